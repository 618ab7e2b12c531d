/** Structured logging (pino) for the companion: JSON lines on stderr, silent in tests unless asked. */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Creates the companion's logger; `level: 'silent'` turns it off. Writes to stderr so stdout stays for humans. */
export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({ name: opts.name ?? 'atelier', level: opts.level ?? process.env.ATELIER_LOG_LEVEL ?? 'info' }, pino.destination(2));
}

/** A logger that discards everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
