/**
 * `npm run bench -- compose --out FILE.png [--cell PX] [--palette true] --row 'label=file.png,label=file.png,…' [--row …]`
 *
 * Composes images that already exist (e.g. the PNGs of an earlier `schedule` run kept with
 * `--baseline-cache`, and `atelier stylize` outputs) side by side in one PNG, a row per `--row`
 * (bench/lib/compose.ts, as `schedule --compose` does for its own run). Prints the size written.
 */
import path from 'node:path';
import { intFlag } from './lib/args.js';
import { composeGrid, type GridCell } from './lib/compose.js';

/** Entry point. */
export async function main(argv: string[]): Promise<void> {
  const rows: GridCell[][] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (!k.startsWith('--') || v === undefined) throw new Error(`expected --flag value pairs, got "${k}"`);
    if (k === '--row') rows.push(v.split(',').map((cell) => {
      const at = cell.indexOf('=');
      if (at <= 0) throw new Error(`--row cells are label=file.png, got "${cell}"`);
      return { label: cell.slice(0, at), file: cell.slice(at + 1) };
    }));
    else flags.set(k.slice(2), v);
  }
  const out = flags.get('out');
  if (!out || rows.length === 0) throw new Error('usage: compose --out FILE.png --row label=file.png,… [--row …] [--cell PX] [--palette true]');
  const bytes = await composeGrid(rows, path.resolve(out), intFlag(flags, 'cell', 256), flags.get('palette') === 'true');
  console.log(`composed ${rows.length} row(s) into ${out} (${(bytes / 1024).toFixed(0)} KiB)`);
}
