#!/usr/bin/env node
/**
 * Compiles the `atelier` command (companion/src/cli.ts) to JavaScript in dist/cli/, so that the
 * installed package runs without tsx: atelier.mjs plus one chunk per lazily imported verb (the
 * verbs' dynamic imports stay dynamic, so `atelier --help` loads none of the engine). Dependencies
 * stay in node_modules (`packages: 'external'`): their native binaries and .wasm files resolve
 * where npm put them. Run by `npm run build` (and so by `prepack`).
 */
import { build } from 'esbuild';
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** esbuild options of every Node.js build of the companion: ESM .mjs entries with split chunks for Node 20. */
export const NODE_ESM_BUILD = {
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
};

/** Writes dist/cli/ (replacing it); returns the entry file. */
export async function buildCli({ outDir = path.join(root, 'dist/cli'), minify = true } = {}) {
  await rm(outDir, { recursive: true, force: true });
  await build({
    entryPoints: { atelier: path.join(root, 'companion/src/cli.ts') },
    ...NODE_ESM_BUILD,
    outdir: outDir,
    chunkNames: 'chunks/[name]-[hash]',
    packages: 'external',
    minify,
    logLevel: 'warning',
  });
  // The PostgreSQL schema migrations node-pg-migrate reads at run time (presets/postgres/migrate.ts finds them here).
  await cp(path.join(root, 'companion/migrations/postgres'), path.join(outDir, 'migrations/postgres'), { recursive: true });
  return path.join(outDir, 'atelier.mjs');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const entry = await buildCli({ minify: !process.argv.includes('--no-minify') });
  console.log(`built ${path.relative(process.cwd(), entry)}`);
}
