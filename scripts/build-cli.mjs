#!/usr/bin/env node
/**
 * Compiles the `atelier` command (companion/src/cli.ts) to JavaScript in dist/cli/, so that the
 * installed package runs without tsx: atelier.mjs plus one chunk per lazily imported verb (the
 * verbs' dynamic imports stay dynamic, so `atelier --help` loads none of the engine). Dependencies
 * stay in node_modules (`packages: 'external'`): their native binaries and .wasm files resolve
 * where npm put them. Run by `npm run build` (and so by `prepack`).
 */
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Writes dist/cli/ (replacing it); returns the entry file. */
export async function buildCli({ outDir = path.join(root, 'dist/cli'), minify = true } = {}) {
  await rm(outDir, { recursive: true, force: true });
  await build({
    entryPoints: { atelier: path.join(root, 'companion/src/cli.ts') },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return path.join(outDir, 'atelier.mjs');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const entry = await buildCli({ minify: !process.argv.includes('--no-minify') });
  console.log(`built ${path.relative(process.cwd(), entry)}`);
}
