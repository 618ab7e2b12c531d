/**
 * The onnx backend: VGG-19's loss and gradient in ONNX Runtime's CPU kernels (onnxruntime-node,
 * whose npm package carries its CPU library: nothing is downloaded), everything else on TF.js wasm.
 * See ../onnx/ for the graph.
 */
import type { ObjectiveAccelerator } from '../accelerator.js';
import { createOrtAccelerator, type OrtModule } from '../onnx/ortObjective.js';
import { initWasm } from './wasm.js';

/** What the onnx backend reports. */
export interface OnnxSetup {
  accelerator: ObjectiveAccelerator;
  /** e.g. "ONNX Runtime 1.30.0 (CPU, 2 threads) + TF.js wasm SIMD". */
  runtime: string;
}

/** Loads onnxruntime-node and starts TF.js wasm beside it; throws with the reason otherwise. */
export async function initOnnx(threads: number): Promise<OnnxSetup> {
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if ((e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') && String(e.message).includes('onnxruntime-node')) {
      throw new Error('not installed: npm install onnxruntime-node');
    }
    throw new Error(`onnxruntime-node failed to load: ${String(e?.message).split('\n')[0]}`);
  }
  // onnxruntime-node exports CommonJS: the namespace may hold it under `default`.
  const mod: OrtModule = (ort as unknown as { default?: OrtModule }).default ?? ort;
  const accelerator = createOrtAccelerator(mod, { threads });
  const wasm = await initWasm(threads);
  return { accelerator, runtime: `${accelerator.description} + TF.js wasm${wasm.simd ? ' SIMD' : ''}` };
}
