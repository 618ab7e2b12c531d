/**
 * The wasm backend (XNNPACK, SIMD) with its .wasm files loaded from disk and, in Node, the
 * threaded build enabled. tfjs-backend-wasm turns threads off in Node because its worker script
 * and main script are handed to Emscripten as Blob URLs, which Node's worker_threads cannot load;
 * here both are written to temporary files while the backend initialises, so the Emscripten
 * pthread pool runs on worker_threads.
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { ownedName, sweepDeadWriters } from '../../../io/deadWriters.js';

const SIMD_FILE = 'tfjs-backend-wasm-simd.wasm';
const MAIN_SCRIPT = 'tfjs-backend-wasm-threaded-simd.js';
const MAIN_SCRIPT_PREFIX = 'var WasmBackendModuleThreadedSimd';
/** Temp folders of the worker scripts: `atelier-wasm-<pid>-XXXXXX` (swept at start once their process is gone). */
const SCRIPT_DIR_PREFIX = 'atelier-wasm-';
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

/** Contents of the worker scripts written so far, by path. */
const written = new Map<string, string>();

/**
 * Writes a worker script unless it already holds this text. Emscripten asks for the worker URL once
 * per pool worker: rewriting the files each time truncated them under workers that were still
 * loading them, which then ran an empty script and exited (code 0) before reporting `loaded` —
 * the pool never came up and Node exited 13 (about 15% of `serve --backend onnx` starts). A
 * changed text goes through a temporary file and a rename, so a reader never sees half of it.
 */
function writeOnce(file: string, text: string): void {
  if (written.get(file) === text) return;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  written.set(file, text);
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
      sweepDeadWriters(tmpdir(), SCRIPT_DIR_PREFIX);
      scriptDir = mkdtempSync(path.join(tmpdir(), ownedName(SCRIPT_DIR_PREFIX, '')));
      process.once('exit', removeWorkerScripts);
    }
    const mainPath = path.join(scriptDir, 'tfjs-backend-wasm-threaded-simd.cjs');
    const workerPath = path.join(scriptDir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
    const original = [path.join(wasmDir, MAIN_SCRIPT), path.join(wasmDir, '..', 'wasm-out', MAIN_SCRIPT)].find(existsSync);
    writeOnce(mainPath, original ? readFileSync(original, 'utf8') : MAIN_SCRIPT_PRELUDE + mainScript);
    writeOnce(workerPath, text.replace('importScripts(objectUrl)', `importScripts(${JSON.stringify(mainPath)})`));
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

type WorkerClass = typeof import('node:worker_threads').Worker;

/**
 * Runs `init` and rejects at once when a pool worker exits before it reported `loaded`: such a
 * pool never comes up (tfjs waits for every worker), so there is no point waiting for the
 * watchdog. Emscripten creates its workers with the global `Worker` it assigns while the module
 * initialises; a property with a setter lets us hand it a subclass that watches each worker.
 */
async function failOnDeadPoolWorker<T>(init: () => Promise<T>): Promise<T> {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  let base: WorkerClass | undefined;
  let watched: WorkerClass | undefined;
  let fail!: (err: Error) => void;
  const died = new Promise<never>((_, reject) => (fail = reject));
  const watch = (Base: WorkerClass): WorkerClass =>
    class WatchedWorker extends Base {
      constructor(...args: ConstructorParameters<WorkerClass>) {
        super(...args);
        let loaded = false;
        this.on('message', (m: { cmd?: string } | null) => {
          if (m?.cmd === 'loaded') loaded = true;
        });
        this.on('exit', (code) => {
          if (!loaded) fail(new Error(`a thread-pool worker exited (code ${code}) before it was ready`));
        });
      }
    };
  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    get: () => (base ? (watched ??= watch(base)) : undefined),
    set: (v: WorkerClass) => {
      base = v;
      watched = undefined;
    },
  });
  try {
    return await Promise.race([init(), died]);
  } finally {
    delete (globalThis as { Worker?: unknown }).Worker;
    if (saved) Object.defineProperty(globalThis, 'Worker', saved);
    else if (base) (globalThis as { Worker?: unknown }).Worker = base;
  }
}

/** Removes the temporary worker scripts (after the backend is gone). */
export function removeWorkerScripts(): void {
  if (scriptDir) rmSync(scriptDir, { recursive: true, force: true });
  scriptDir = undefined;
  written.clear();
}

/** How long the thread pool may take to come up before the watchdog gives up on that attempt. */
export function wasmStartTimeoutMs(): number {
  const env = Number(process.env.ATELIER_WASM_START_TIMEOUT_MS);
  return Number.isFinite(env) && env > 0 ? env : 60_000;
}

/**
 * Resolves with `start()`'s result, or rejects after `ms`. The timer is deliberately ref'd: when a
 * pool worker dies before reporting back, tfjs's promise never settles and nothing else keeps the
 * event loop alive, so without it Node exits 13 ("unsettled top-level await") without a word.
 */
export async function withWatchdog<T>(ms: number, start: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`it did not come up within ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`}`)), ms);
  });
  try {
    return await Promise.race([start(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Initialises and activates the wasm backend with `threads` threads (1 = the plain SIMD build).
 * A thread pool that does not come up (a worker that exits right after coming online leaves
 * tfjs waiting forever) is detected at once, or by the watchdog after a minute, and started once
 * more from scratch; a second failure throws.
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
  const what = `the wasm backend's thread pool (${threads} thread${threads === 1 ? '' : 's'})`;
  const attempt = (): Promise<boolean> =>
    withWatchdog(wasmStartTimeoutMs(), () => failOnDeadPoolWorker(() => withFileServedWorkers(wasmDir, threads, () => tf.setBackend('wasm'))));
  let ok: boolean;
  try {
    ok = await attempt();
  } catch (first) {
    // Each tf.setBackend call builds a fresh Emscripten module and pool; the stuck one is abandoned.
    process.emitWarning(`${what} failed to start (${(first as Error).message}); retrying once`);
    try {
      ok = await attempt();
    } catch (second) {
      throw new Error(`${what} failed to start twice (${(second as Error).message}); set ATELIER_WASM_THREADS=1 to run without threads`);
    }
  }
  if (!ok) throw new Error('tf.setBackend("wasm") failed');
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  return { threads: useThreads ? tfwasm.getThreadsCount() : 1, simd, wasmDir };
}
