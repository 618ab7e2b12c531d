/**
 * The `atelier` command line: one subcommand module per verb under ./cli/.
 * `main(argv)` returns the exit code: 0 ok, 1 failure, 2 bad input (one clear line on stderr).
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from './version.js';

/** Exit code for bad input (missing file, not an image, unknown layer, bad number). */
export const EXIT_BAD_INPUT = 2;

/** An error the user caused; printed as one line, exit code 2 unless given. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = EXIT_BAD_INPUT,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

type Register = (program: Command) => void;

/** Subcommand modules; each exports `register(program)`. */
const SUBCOMMANDS: Array<() => Promise<{ register: Register }>> = [
  () => import('./cli/stylize.js'),
  () => import('./cli/serve.js'),
  () => import('./cli/token.js'),
  () => import('./cli/presets.js'),
  () => import('./cli/teams.js'),
  () => import('./cli/weights.js'),
];

/** Runs the CLI with the given arguments (without `node` and the script path); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('atelier')
    .description('Neural style transfer (Gatys et al., VGG-19) for designers: CLI and companion server')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const load of SUBCOMMANDS) (await load()).register(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    const e = err as Error & { exitCode?: number; code?: string };
    process.stderr.write(`atelier: ${e.message}\n`);
    if (err instanceof UsageError) return err.exitCode;
    if (typeof e.exitCode === 'number') return e.exitCode;
    return 1;
  }
}
