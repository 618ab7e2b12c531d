#!/usr/bin/env node
// Entry point of the `atelier` command. In a clone the TypeScript sources run through tsx (a dev
// dependency), so edits take effect without a build; the published package ships no sources, only
// the compiled CLI (dist/cli/, written by `npm run build`, which `npm pack` runs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
