/**
 * The wasm backend (XNNPACK, SIMD) with its .wasm files loaded from disk and, in Node, the
 * threaded build enabled. tfjs-backend-wasm turns threads off in Node because its worker script
 * and main script are handed to Emscripten as Blob URLs, which Node's worker_threads cannot load;
 * here both are written to temporary files while the backend initialises, so the Emscripten
 * pthread pool runs on worker_threads.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';

const SIMD_FILE = 'tfjs-backend-wasm-simd.wasm';
const MAIN_SCRIPT = 'tfjs-backend-wasm-threaded-simd.js';
const MAIN_SCRIPT_PREFIX = 'var WasmBackendModuleThreadedSimd';
/** The node bundle's copy of the Emscripten script refers to these rollup-hoisted requires. */
const MAIN_SCRIPT_PRELUDE =
  "var require$$0=require('fs'),require$$1=require('path'),require$$3=require('perf_hooks')," +
  "require$$4=require('os'),commonjsGlobal=globalThis;\n";

/** What the wasm backend ended up with. */
export interface WasmSetup {
  threads: number;
  simd: boolean;
  wasmDir: string;
}

let pathsSet = false;
let scriptDir: string | undefined;

/** Directory that holds the tfjs .wasm binaries: $ATELIER_WASM_DIR, beside a bundle, or node_modules. */
export function findWasmDir(): string {
  const candidates: string[] = [];
  if (process.env.ATELIER_WASM_DIR) candidates.push(process.env.ATELIER_WASM_DIR);
  // Bundled (scripts/bundle-companion.mjs): the files sit beside the entry script, code may be in chunks/.
  const here = path.dirname(fileURLToPath(import.meta.url));
  candidates.push(here, path.dirname(here));
  if (process.argv[1]) candidates.push(path.dirname(path.resolve(process.argv[1])));
  try {
    const require = createRequire(import.meta.url);
    candidates.push(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')));
  } catch {
    // not resolvable (bundled without node_modules): the other candidates decide
  }
  const found = candidates.find((dir) => existsSync(path.join(dir, SIMD_FILE)));
  if (!found) throw new Error(`the tfjs wasm binaries (${SIMD_FILE}) were not found in ${candidates.join(', ')}`);
  return found;
}

/**
 * Runs `init` with Blob and URL.createObjectURL patched so that the threaded Emscripten module's
 * worker script (and the main script it imports) are served from files that worker_threads can load.
 */
async function withFileServedWorkers<T>(wasmDir: string, threads: number, init: () => Promise<T>): Promise<T> {
  const originalCpus = os.cpus;
  const OriginalBlob = globalThis.Blob;
  const originalCreate = URL.createObjectURL;
  const texts = new WeakMap<Blob, string>();
  let mainScript: string | undefined;
  class RecordingBlob extends OriginalBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (parts && parts.every((p) => typeof p === 'string')) {
        const text = (parts as string[]).join('');
        texts.set(this, text);
        if (text.startsWith(MAIN_SCRIPT_PREFIX)) mainScript = text;
      }
    }
  }
  globalThis.Blob = RecordingBlob as typeof Blob;
  // The module caps its thread pool at (logical cores / 2), read once while it initialises.
  const cpus = originalCpus();
  os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);
  URL.createObjectURL = (obj: Blob | MediaSource): string => {
    const text = obj instanceof OriginalBlob ? texts.get(obj) : undefined;
    if (text === undefined || mainScript === undefined || !text.includes('importScripts(objectUrl)')) {
      return originalCreate(obj as Blob);
    }
    if (!scriptDir) {
      scriptDir = mkdtempSync(path.join(tmpdir(), 'atelier-wasm-'));
      process.once('exit', removeWorkerScripts);
    }
    const mainPath = path.join(scriptDir, 'tfjs-backend-wasm-threaded-simd.cjs');
    const workerPath = path.join(scriptDir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
    const original = [path.join(wasmDir, MAIN_SCRIPT), path.join(wasmDir, '..', 'wasm-out', MAIN_SCRIPT)].find(existsSync);
    writeFileSync(mainPath, original ? readFileSync(original, 'utf8') : MAIN_SCRIPT_PRELUDE + mainScript);
    writeFileSync(workerPath, text.replace('importScripts(objectUrl)', `importScripts(${JSON.stringify(mainPath)})`));
    return workerPath;
  };
  // Emscripten unrefs its pthread workers, so while they load nothing keeps Node's event loop
  // alive: on a busy machine the process then exited (code 13) before tf.setBackend resolved.
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    return await init();
  } finally {
    clearInterval(keepAlive);
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreate;
    os.cpus = originalCpus;
  }
}

/** Removes the temporary worker scripts (after the backend is gone). */
export function removeWorkerScripts(): void {
  if (scriptDir) rmSync(scriptDir, { recursive: true, force: true });
  scriptDir = undefined;
}

/**
 * Initialises and activates the wasm backend with `threads` threads (1 = the plain SIMD build).
 * Returns null (with the reason thrown away by tfjs) when tf.setBackend fails.
 */
export async function initWasm(threads: number): Promise<WasmSetup> {
  const wasmDir = findWasmDir();
  if (!pathsSet) {
    tfwasm.setWasmPaths(wasmDir + path.sep);
    pathsSet = true;
  }
  const useThreads = threads > 1;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', useThreads);
  if (useThreads) tfwasm.setThreadsCount(threads);
  const ok = await withFileServedWorkers(wasmDir, threads, () => tf.setBackend('wasm'));
  if (!ok) throw new Error('tf.setBackend("wasm") failed');
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  return { threads: useThreads ? tfwasm.getThreadsCount() : 1, simd, wasmDir };
}
