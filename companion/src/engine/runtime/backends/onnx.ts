/**
 * The onnx backend: VGG-19's loss and gradient in ONNX Runtime's CPU kernels (onnxruntime-node,
 * whose npm package carries its CPU library: nothing is downloaded), everything else on TF.js wasm.
 * See ../../evaluate/onnx/ for the graphs.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { createOrtRuntime, PROVIDER_LABEL, type OrtModule, type OrtProvider, type OrtRuntime } from '../../evaluate/onnx/ortRuntime.js';
import { describeMissing, missingCudaPieces } from './cudaLibraries.js';
import { encodeModel } from '../../evaluate/onnx/protobuf.js';
import { initWasm } from './wasm.js';
import { isNotInstalled } from './native.js';

/** What the onnx backend reports. */
export interface OnnxSetup {
  runtime: OrtRuntime;
  /** e.g. "ONNX Runtime 1.30.0 (CPU, 2 threads) + TF.js wasm SIMD". */
  description: string;
}

/**
 * Loads onnxruntime-node and starts TF.js wasm beside it; throws with the reason otherwise.
 * `provider` webgpu runs the graph on the GPU through ONNX Runtime's own Dawn (bundled in its npm
 * package on Linux and Windows x64); cuda through its CUDA 12 provider (Linux x64; the provider's
 * libraries come from `atelier gpu install cuda`, CUDA 12 and cuDNN 9 from NVIDIA): when anything
 * is missing, the reason names it.
 */
export async function initOnnx(threads: number, provider: OrtProvider = 'cpu'): Promise<OnnxSetup> {
  const mod = await importOrt();
  if (provider === 'webgpu') {
    const list = (mod as unknown as { listSupportedBackends?: () => Array<{ name: string; bundled: boolean }> }).listSupportedBackends?.() ?? [];
    if (!list.some((b) => b.name === 'webgpu' && b.bundled)) throw new Error(`this onnxruntime-node build has no WebGPU provider on ${process.platform}-${process.arch}`);
  }
  if (provider === 'cuda') {
    const missing = cudaProviderMissing();
    if (missing) throw new Error(missing);
  }
  if (provider !== 'cpu') await checkProvider(mod, provider);
  const runtime = createOrtRuntime(mod, { threads, provider });
  const wasm = await initWasm(threads);
  return { runtime, description: `${runtime.description} + TF.js wasm${wasm.simd ? ' SIMD' : ''}` };
}

/** onnxruntime-node's native folder for this platform (where its install script puts the CUDA provider). */
export function ortBindingDir(): string {
  const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  return path.join(path.dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

/** Why the onnx backends cannot start when onnxruntime-node is missing (it is an optional dependency). */
const ORT_NOT_INSTALLED = 'not installed: npm install onnxruntime-node';

/**
 * Why ONNX Runtime's CUDA provider cannot load here (each missing library and its fix), or null when
 * everything it loads is present. Cheap: looks for files, loads nothing (auto asks before trying).
 */
export function cudaProviderMissing(): string | null {
  let bindingDir: string;
  try {
    bindingDir = ortBindingDir();
  } catch {
    return ORT_NOT_INSTALLED;
  }
  const missing = missingCudaPieces(bindingDir);
  return missing.length ? `ONNX Runtime's CUDA provider cannot load: ${describeMissing(missing)}` : null;
}

/** Imports onnxruntime-node; throws an Error whose message is the reason (e.g. not installed) when it cannot. */
export async function importOrt(): Promise<OrtModule> {
  try {
    const ort = await import('onnxruntime-node');
    // onnxruntime-node exports CommonJS: the namespace may hold it under `default`.
    return (ort as unknown as { default?: OrtModule }).default ?? ort;
  } catch (err) {
    if (isNotInstalled(err, 'onnxruntime-node')) throw new Error(ORT_NOT_INSTALLED);
    throw new Error(`onnxruntime-node failed to load: ${String((err as Error)?.message).split('\n')[0]}`);
  }
}

/** Runs a one-node graph on the provider, so that a missing adapter or library fails here, with the reason. */
async function checkProvider(ort: OrtModule, provider: Exclude<OrtProvider, 'cpu'>): Promise<void> {
  const bytes = encodeModel({
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    initializers: [],
    inputs: [{ name: 'x', dims: [1, 4] }],
    outputs: [{ name: 'y', dims: [1, 4] }],
  });
  let session: Awaited<ReturnType<OrtModule['InferenceSession']['create']>> | undefined;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: [provider] });
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([-1, 0, 1, 2]), [1, 4]) });
    const y = Array.from(out.y.data as Float32Array);
    if (y.join(',') !== '0,0,1,2') throw new Error(`the ${PROVIDER_LABEL[provider]} provider computed ${y.join(',')}`);
  } catch (err) {
    throw new Error(`ONNX Runtime's ${PROVIDER_LABEL[provider]} provider is unavailable: ${String((err as Error).message).split('\n')[0]}`);
  } finally {
    await session?.release();
  }
}

