#!/usr/bin/env node
// Entry point of the `atelier` command: runs the TypeScript CLI through tsx's loader,
// so `npm install` then `npx atelier …` works without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../companion/src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
