#!/usr/bin/env node
// Entry point of the `atelier` command. In a clone the TypeScript sources run through tsx (a dev
// dependency), so edits take effect without a build; the published package ships no sources, only
// the compiled CLI (dist/cli/, written by `npm run build`, which `npm pack` runs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// A service (`serve`, `worker`) stopped while it starts exits 0, from the first moment: loading
// the TypeScript sources or the bundle takes about a second, and a SIGTERM in that time would
// otherwise kill the process by signal. The command's own handling (cli/stopSignals.ts) replaces
// this handler, which it finds by its `atelierEarlyStop` mark, once it is installed.
if (['serve', 'worker'].includes(process.argv[2])) {
  const earlyStop = (sig) => {
    process.stdout.write(`${sig} during start-up: Atelier companion stopped\n`);
    process.exit(0);
  };
  earlyStop.atelierEarlyStop = true;
  process.once('SIGINT', earlyStop);
  process.once('SIGTERM', earlyStop);
}

const source = new URL('../companion/src/cli.ts', import.meta.url);
let cli;
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source.href);
} else {
  cli = await import('../dist/cli/atelier.mjs');
}
process.exitCode = await cli.main(process.argv.slice(2));
// A failed command has nothing left to do: what a library abandoned (a wasm thread pool that
// never came up) must not keep it alive after its one-line error.
if (process.exitCode !== 0) setTimeout(() => process.exit(), 1000).unref();
