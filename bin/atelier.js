#!/usr/bin/env node
// Entry point of the `atelier` command: runs the TypeScript CLI through tsx's loader,
// so `npm install` then `npx atelier …` works without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../companion/src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
// A failed command has nothing left to do: what a library abandoned (a wasm thread pool that
// never came up) must not keep it alive after its one-line error.
if (process.exitCode !== 0) setTimeout(() => process.exit(), 1000).unref();
