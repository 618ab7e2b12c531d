/** A one-line progress bar for long runs on a terminal; plain occasional lines when not a TTY. */
import type { Progress } from '../engine/contract.js';

/** Formats seconds as `1m05s` / `42s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Creates a reporter writing to `stream`; `enabled: false` makes it silent (e.g. with --json). */
export function createProgressReporter(opts: { enabled: boolean; stream: NodeJS.WriteStream }) {
  const { stream } = opts;
  const tty = stream.isTTY === true;
  let lastPlain = 0;
  let drawn = false;
  return {
    /** Shows the latest progress. */
    update(p: Progress): void {
      if (!opts.enabled) return;
      const frac = p.iterations > 0 ? p.iteration / p.iterations : 0;
      const text =
        `scale ${p.scale}/${p.scales} (${p.width}×${p.height}) iter ${p.iteration}/${p.iterations} evals ${p.evaluations} ` +
        `loss ${p.losses.total.toPrecision(4)} elapsed ${formatDuration(p.elapsed)} eta ${formatDuration(p.eta)}`;
      if (tty) {
        const width = 24;
        const filled = Math.round(frac * width);
        stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}\x1b[K`);
        drawn = true;
      } else if (p.elapsed - lastPlain >= 5 || p.iteration === p.iterations) {
        lastPlain = p.elapsed;
        stream.write(`${text}\n`);
      }
    },
    /** Ends the bar's line. */
    done(): void {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
