#!/usr/bin/env node
/**
 * Bundles the companion CLI and the benchmarks for a machine without node_modules (e.g. a lent GPU
 * box with only a Node binary): writes OUT/ (default dist/companion-bundle/) with
 *   atelier.mjs   the `atelier` CLI (companion/src/cli.ts)
 *   bench.mjs     `node bench.mjs engine|vs-torch …` (bench/run.ts); chunk-*.mjs shared code
 *   *.wasm + tfjs-backend-wasm-threaded-simd.js   the tfjs wasm backend's files (found beside the bundle)
 *   dist/<platform>-<arch>/dawn.node   Dawn for the webgpu backend, where the `webgpu` package looks
 * Native modules that cannot be bundled (sharp, better-sqlite3, onnxruntime-node) stay external: the commands that
 * need them (image I/O, presets) require `npm install` on the target; the engine and benchmarks do not.
 *
 * Usage: node scripts/bundle-companion.mjs [--out DIR] [--platform linux-x64] [--no-minify]
 */
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_ESM_BUILD } from './build-cli.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const out = path.resolve(root, flag('out', 'dist/companion-bundle'));
const platform = flag('platform', `${process.platform}-${process.arch}`);
const minify = !process.argv.includes('--no-minify');

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

await build({
  entryPoints: { atelier: path.join(root, 'companion/src/cli.ts'), bench: path.join(root, 'bench/run.ts') },
  ...NODE_ESM_BUILD,
  outdir: out,
  chunkNames: 'chunk-[name]-[hash]', // beside the entries, so __dirname-relative files (dawn.node, .wasm) resolve
  minify,
  external: ['sharp', 'better-sqlite3', 'onnxruntime-node', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  // CommonJS dependencies (and Emscripten's loader) use require, __dirname and __filename: give the ESM bundle them.
  banner: {
    js: [
      "import { createRequire as __atelierRequire } from 'node:module';",
      "import { fileURLToPath as __atelierToPath } from 'node:url';",
      "import { dirname as __atelierDir } from 'node:path';",
      'const require = __atelierRequire(import.meta.url);',
      'const __atelierFilename = __atelierToPath(import.meta.url);',
      'const __atelierDirname = __atelierDir(__atelierFilename);',
    ].join(' '),
  },
  define: { __dirname: '__atelierDirname', __filename: '__atelierFilename' },
  logLevel: 'warning',
});

const wasmDist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
for (const f of await readdir(wasmDist)) if (f.endsWith('.wasm')) await copyFile(path.join(wasmDist, f), path.join(out, f));
await copyFile(path.join(wasmDist, '..', 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js'), path.join(out, 'tfjs-backend-wasm-threaded-simd.js'));

const webgpuDir = path.dirname(require.resolve('webgpu'));
const dawnDir = path.join(out, 'dist', platform);
await mkdir(dawnDir, { recursive: true });
await copyFile(path.join(webgpuDir, 'dist', platform, 'dawn.node'), path.join(dawnDir, 'dawn.node'));

console.log(`bundle written to ${path.relative(process.cwd(), out) || '.'}: atelier.mjs, bench.mjs, tfjs wasm files, dist/${platform}/dawn.node`);
