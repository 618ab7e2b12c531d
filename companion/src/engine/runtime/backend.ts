/**
 * Chooses and initialises a TF.js backend and says what it runs on.
 *
 * `auto` tries, fastest first (autoOrder.ts; CONCRETE_BACKENDS' order on a hardware adapter):
 * - onnx-cuda, the loss and gradient as one ONNX graph on ONNX Runtime's CUDA provider, when its
 *   libraries are all present (looked for on disk, nothing loaded: otherwise the skip names each
 *   missing file and its fix, `atelier gpu install cuda` for the provider's own);
 * - on a hardware WebGPU adapter, onnx-webgpu (the same graph on ONNX Runtime's WebGPU provider),
 *   then webgpu (TF.js's WebGPU kernels);
 * - cuda (tfjs-node-gpu), native (tfjs-node), onnx (the graph on ONNX Runtime's CPU kernels, the
 *   rest on wasm), wasm (XNNPACK, SIMD, threads);
 * - the WebGPU backends on a software adapter (lavapipe/SwiftShader: measured ~10x slower than wasm
 *   on a 2-core CPU), then cpu (pure JS, last resort).
 * It reports the choice and why every other backend was skipped.
 *
 * onnx-webgpu before webgpu is a fixed order, not a probe. The evidence: TF.js WebGPU was measured
 * 20x slower than CUDA PyTorch on an H100, and ONNX Runtime is the engine's compute core on every
 * device; ORT-WebGPU has not been measured on real GPU hardware yet (`atelier doctor` times both on
 * the machine at hand, and `--backend webgpu` overrides). A probe was not practical: a sub-second
 * evaluation has to be tiny (64², a few channels), which on a GPU measures dispatch latency rather
 * than the throughput a 512-px VGG-19 evaluation needs, and TF.js WebGPU compiles its shader
 * pipelines on the first evaluation (seconds), so a warmed-up timing of both cannot be sub-second;
 * probing both would also start two Dawn instances (TF.js's and ONNX Runtime's own) in the process,
 * where doctor keeps each backend in a process of its own.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { EngineError } from '../errors.js';
import { initWasm, removeWorkerScripts } from './backends/wasm.js';
import { initWebGpu, probeWebGpu, uninstallNavigatorGpu } from './backends/webgpu.js';
import { initTfjsNode } from './backends/native.js';
import { cudaProviderMissing, initOnnx } from './backends/onnx.js';
import type { OrtRuntime } from '../evaluate/onnx/ortRuntime.js';
import { autoOrder, firstLine, firstThatStarts, type AutoFacts, type Skip } from './autoOrder.js';

import { BACKEND_NAMES, type BackendName, type ConcreteBackend } from './backendNames.js';

export { BACKEND_NAMES, type BackendName, type ConcreteBackend };

/** What initBackend chose. */
export interface BackendInfo {
  name: ConcreteBackend;
  /** GPU adapter name, or the CPU model (with threads/SIMD for wasm). */
  device: string;
  /** True when a "GPU" is emulated on the CPU (lavapipe, llvmpipe, SwiftShader, WARP). */
  software: boolean;
  /** Backends not used, in auto's order, with the reason (failed to initialise, not installed, or not tried). */
  skipped: Skip[];
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

/** What auto knows before starting anything: whether onnx-cuda's libraries are there, and Dawn's adapter. */
export async function autoFacts(probe: BackendOptions['probeWebGpu'] = probeWebGpu): Promise<AutoFacts> {
  const adapter = await probe().then(
    (a) => a,
    (err: unknown) => ({ reason: firstLine(err) }),
  );
  return { cudaMissing: cudaProviderMissing(), adapter };
}

/**
 * Initialises the named backend (or the fastest available for `auto`) and makes it TF.js's active
 * backend. A named backend that cannot start is an EngineError `backend_unavailable` with the reason.
 */
export async function initBackend(name: BackendName = 'auto', opts: BackendOptions = {}): Promise<BackendInfo> {
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
    throw new EngineError('bad_input', `unknown backend "${name}"; expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  if (name !== 'auto') {
    try {
      if (name === 'webgpu' && opts.probeWebGpu) await opts.probeWebGpu();
      const { device, software, runtime } = await initOne(name, opts);
      return { name, device, software, skipped: [], shutdown: makeShutdown(name, runtime), runtime };
    } catch (err) {
      throw new EngineError('backend_unavailable', `backend ${name} is not available: ${firstLine(err)}`);
    }
  }
  const steps = autoOrder(await autoFacts(opts.probeWebGpu));
  const chosen = await firstThatStarts(steps, (n) => initOne(n, opts)).catch((err: unknown) => {
    throw new EngineError('backend_unavailable', firstLine(err));
  });
  const { device, software, runtime } = chosen.started;
  return { name: chosen.name, device, software, skipped: chosen.skipped, shutdown: makeShutdown(chosen.name, runtime), runtime };
}

/** One line for logs and `--json`: "wasm on Intel Xeon … (wasm SIMD, 2 threads); skipped webgpu: …". */
export function describeBackend(info: BackendInfo): string {
  const skipped = info.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  return `${info.name} on ${info.device}${info.software ? ' [software]' : ''}${skipped ? `; skipped ${skipped}` : ''}`;
}
