/**
 * `npm run bench -- cli [--runs 5]`: wall time from process start to exit of `atelier --help`,
 * `token show` and `presets list`, as installed (the compiled CLI in dist/cli/, built here first)
 * and as run from a clone (bin/atelier.js: the sources through tsx). Prints medians.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { buildCli } from '../scripts/build-cli.mjs';
import { intFlag, parseFlags, fmtS } from './lib/args.js';
import { median } from './lib/child.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COMMANDS = [['--help'], ['token', 'show'], ['presets', 'list']];

/** Entry point. */
export async function main(argv: string[]): Promise<void> {
  const runs = intFlag(parseFlags(argv), 'runs', 5);
  const compiled = pathToFileURL(await buildCli()).href;
  const ways: Record<string, string[]> = {
    'installed (compiled)': ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(compiled)}); process.exitCode = await main(process.argv.slice(1));`, '--'],
    'clone (tsx)': [path.join(root, 'bin/atelier.js')],
  };
  const home = mkdtempSync(path.join(os.tmpdir(), 'atelier-bench-cli-'));
  try {
    console.log(`median of ${runs} runs, seconds from start to exit`);
    console.log(`${'command'.padEnd(16)}${Object.keys(ways).map((w) => w.padStart(22)).join('')}`);
    for (const args of COMMANDS) {
      const cells: string[] = [];
      for (const prefix of Object.values(ways)) {
        const times: number[] = [];
        for (let i = 0; i < runs; i++) {
          const t = performance.now();
          await run(process.execPath, [...prefix, ...args], { cwd: root, env: { ...process.env, ATELIER_HOME: home } });
          times.push((performance.now() - t) / 1000);
        }
        cells.push(fmtS(median(times)).padStart(22));
      }
      console.log(`${args.join(' ').padEnd(16)}${cells.join('')}`);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
