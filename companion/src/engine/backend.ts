/**
 * Chooses and initialises a TF.js backend and says what it runs on.
 *
 * `auto` tries, fastest first: webgpu on a hardware adapter, cuda (tfjs-node-gpu), native
 * (tfjs-node), onnx (the loss and gradient in ONNX Runtime's CPU kernels, the rest on wasm),
 * wasm (XNNPACK, SIMD, threads), webgpu on a software adapter (lavapipe/SwiftShader:
 * measured ~10x slower than wasm on a 2-core CPU), cpu (pure JS, last resort). It reports the
 * choice and why every other backend was skipped.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { EngineError } from './errors.js';
import { initWasm, removeWorkerScripts } from './backends/wasm.js';
import { initWebGpu, probeWebGpu, uninstallNavigatorGpu } from './backends/webgpu.js';
import { initTfjsNode } from './backends/native.js';
import { initOnnx } from './backends/onnx.js';
import type { OrtRuntime } from './onnx/ortRuntime.js';

import { BACKEND_NAMES, type BackendName, type ConcreteBackend } from './backendNames.js';

export { BACKEND_NAMES, type BackendName, type ConcreteBackend };

/** What initBackend chose. */
export interface BackendInfo {
  name: ConcreteBackend;
  /** GPU adapter name, or the CPU model (with threads/SIMD for wasm). */
  device: string;
  /** True when a "GPU" is emulated on the CPU (lavapipe, llvmpipe, SwiftShader, WARP). */
  software: boolean;
  /** Backends not used, with the reason (failed to initialise, not installed, or not tried). */
  skipped: Array<{ name: ConcreteBackend; reason: string }>;
  /** Releases the backend (GPU device, wasm threads) so that the process can exit. */
  shutdown(): Promise<void>;
  /** The onnx backends' compute runtime: pass it to stylize / createScaleObjective (the network carries none). */
  runtime?: OrtRuntime;
}

/** Options for initBackend. */
export interface BackendOptions {
  /** wasm threads (default $ATELIER_WASM_THREADS or the number of CPUs, at most 8). */
  wasmThreads?: number;
  /**
   * Finds the high-performance WebGPU adapter before Dawn is loaded here, throwing the reason when
   * there is none (default: Dawn in this process). The CLI probes in a child process, so that Dawn's
   * native warnings on a machine without a GPU stay off the user's terminal.
   */
  probeWebGpu?: () => Promise<{ device: string; software: boolean }>;
}

/** The TF.js registry name behind each concrete backend. */
const TF_NAME: Record<ConcreteBackend, string> = {
  webgpu: 'webgpu',
  cuda: 'tensorflow',
  native: 'tensorflow',
  onnx: 'wasm',
  'onnx-cuda': 'wasm',
  'onnx-webgpu': 'wasm',
  wasm: 'wasm',
  cpu: 'cpu',
};

/** The TF.js backend that holds the tensors of a concrete backend (`wasm` under the onnx ones). */
export function tfBackendOf(name: ConcreteBackend): string {
  return TF_NAME[name];
}

/** Backend factories captured on first use so that a backend can be initialised again after shutdown. */
type BackendFactory = () => tf.KernelBackend | Promise<tf.KernelBackend>;
const factories = new Map<string, { factory: BackendFactory; priority: number }>();

function cpuModel(): string {
  return os.cpus()[0]?.model?.trim() || `${os.arch()} CPU`;
}

/** Number of wasm threads to use when not told. */
export function defaultWasmThreads(): number {
  const env = Number(process.env.ATELIER_WASM_THREADS);
  if (Number.isInteger(env) && env >= 1) return Math.min(env, 8);
  return Math.max(1, Math.min(os.availableParallelism(), 8));
}

function rememberFactory(name: string, priority: number): void {
  const factory = tf.findBackendFactory(name) as BackendFactory | null;
  if (factory && !factories.has(name)) factories.set(name, { factory, priority });
  if (!factory) {
    const saved = factories.get(name);
    if (saved) tf.registerBackend(name, saved.factory, saved.priority);
  }
}

function makeShutdown(name: ConcreteBackend, runtime?: OrtRuntime): () => Promise<void> {
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    await runtime?.dispose();
    const tfName = TF_NAME[name];
    if (tf.findBackend(tfName)) tf.removeBackend(tfName);
    if (name === 'webgpu') uninstallNavigatorGpu();
    if (TF_NAME[name] === 'wasm') removeWorkerScripts();
  };
}

/** Initialises one concrete backend and makes it active; throws an Error whose message is the reason when it cannot. */
async function initOne(name: ConcreteBackend, opts: BackendOptions): Promise<{ device: string; software: boolean; runtime?: OrtRuntime }> {
  switch (name) {
    case 'webgpu': {
      rememberFactory('webgpu', 3);
      const setup = await initWebGpu();
      rememberFactory('webgpu', 3);
      return { device: setup.device, software: setup.software };
    }
    case 'cuda':
    case 'native': {
      const setup = await initTfjsNode(name === 'cuda');
      return { device: setup.device ?? cpuModel(), software: false };
    }
    case 'onnx': {
      rememberFactory('wasm', 2);
      const setup = await initOnnx(opts.wasmThreads ?? defaultWasmThreads());
      return { device: `${cpuModel()} (${setup.description})`, software: false, runtime: setup.runtime };
    }
    case 'onnx-webgpu':
    case 'onnx-cuda': {
      rememberFactory('wasm', 2);
      const setup = await initOnnx(opts.wasmThreads ?? defaultWasmThreads(), name === 'onnx-cuda' ? 'cuda' : 'webgpu');
      return { device: `GPU through ${setup.description}`, software: false, runtime: setup.runtime };
    }
    case 'wasm': {
      rememberFactory('wasm', 2);
      const setup = await initWasm(opts.wasmThreads ?? defaultWasmThreads());
      return {
        device: `${cpuModel()} (wasm${setup.simd ? ' SIMD' : ''}, ${setup.threads} thread${setup.threads === 1 ? '' : 's'})`,
        software: false,
      };
    }
    case 'cpu': {
      if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") failed');
      return { device: `${cpuModel()} (pure JS)`, software: false };
    }
  }
}

function reasonOf(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0] || 'failed to initialise';
}

/**
 * Initialises the named backend (or the fastest available for `auto`) and makes it TF.js's active
 * backend. A named backend that cannot start is an EngineError `backend_unavailable` with the reason.
 */
export async function initBackend(name: BackendName = 'auto', opts: BackendOptions = {}): Promise<BackendInfo> {
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
    throw new EngineError('bad_input', `unknown backend "${name}"; expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  const probe = opts.probeWebGpu ?? probeWebGpu;
  if (name !== 'auto') {
    try {
      if (name === 'webgpu' && opts.probeWebGpu) await opts.probeWebGpu();
      const { device, software, runtime } = await initOne(name, opts);
      return { name, device, software, skipped: [], shutdown: makeShutdown(name, runtime), runtime };
    } catch (err) {
      throw new EngineError('backend_unavailable', `backend ${name} is not available: ${reasonOf(err)}`);
    }
  }
  const skipped: BackendInfo['skipped'] = [];
  let softwareGpu: string | undefined;
  try {
    const adapter = await probe();
    if (adapter.software) {
      softwareGpu = adapter.device;
      skipped.push({ name: 'webgpu', reason: `software adapter (${adapter.device}): slower than wasm on the CPU` });
    } else {
      try {
        const { device, software } = await initOne('webgpu', opts);
        return finishAuto('webgpu', device, software, skipped, ['cuda', 'native', 'onnx', 'wasm', 'cpu']);
      } catch (err) {
        skipped.push({ name: 'webgpu', reason: reasonOf(err) });
      }
    }
  } catch (err) {
    skipped.push({ name: 'webgpu', reason: reasonOf(err) });
  }
  const order: ConcreteBackend[] = ['cuda', 'native', 'onnx', 'wasm'];
  for (let i = 0; i < order.length; i++) {
    try {
      const { device, software, runtime } = await initOne(order[i], opts);
      return finishAuto(order[i], device, software, skipped, [...order.slice(i + 1), 'cpu'], runtime);
    } catch (err) {
      skipped.push({ name: order[i], reason: reasonOf(err) });
    }
  }
  if (softwareGpu) {
    skipped.splice(skipped.findIndex((s) => s.name === 'webgpu'), 1);
    try {
      const { device, software } = await initOne('webgpu', opts);
      return finishAuto('webgpu', device, software, skipped, ['cpu']);
    } catch (err) {
      skipped.push({ name: 'webgpu', reason: reasonOf(err) });
    }
  }
  const { device, software } = await initOne('cpu', opts);
  return finishAuto('cpu', device, software, skipped, []);
}

function finishAuto(
  name: ConcreteBackend,
  device: string,
  software: boolean,
  skipped: BackendInfo['skipped'],
  notTried: ConcreteBackend[],
  runtime?: OrtRuntime,
): BackendInfo {
  const all = [...skipped, ...notTried.map((n) => ({ name: n, reason: `not tried: ${name} comes first` }))];
  return { name, device, software, skipped: all, shutdown: makeShutdown(name, runtime), runtime };
}

/** One line for logs and `--json`: "wasm on Intel Xeon … (wasm SIMD, 2 threads); skipped webgpu: …". */
export function describeBackend(info: BackendInfo): string {
  const skipped = info.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  return `${info.name} on ${info.device}${info.software ? ' [software]' : ''}${skipped ? `; skipped ${skipped}` : ''}`;
}
