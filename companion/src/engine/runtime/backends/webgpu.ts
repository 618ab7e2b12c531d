/**
 * The webgpu backend in Node: Dawn (the `webgpu` npm package) provides navigator.gpu, which must
 * exist BEFORE @tensorflow/tfjs-backend-webgpu is imported (it registers itself only then), and
 * must be removed at shutdown or Node never exits (the global patch: ../globalPatch.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { installNavigatorGpu, uninstallNavigatorGpu, type Gpu, type GpuAdapter } from '../globalPatch.js';

export { uninstallNavigatorGpu, type GpuAdapter };

/** What the webgpu backend ended up with. */
export interface WebGpuSetup {
  /** Adapter description, e.g. "NVIDIA H100 80GB HBM3" or "llvmpipe (LLVM 15.0.7, 256 bits)". */
  device: string;
  /** True for CPU (software) adapters: lavapipe/llvmpipe, SwiftShader, WARP. */
  software: boolean;
  features: string[];
}

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|microsoft basic render|\bwarp\b/i;

/** A one-line description of an adapter from its info. */
export function describeAdapter(adapter: GpuAdapter): { device: string; software: boolean } {
  const info = adapter.info ?? {};
  const parts = [info.description, info.device, info.vendor, info.architecture].filter((p): p is string => !!p);
  const device = info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(' ') || 'unknown adapter';
  const fallback = info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
  return { device, software: fallback || parts.some((p) => SOFTWARE_ADAPTER.test(p)) };
}

/** Why webgpu cannot run when Dawn finds no adapter. */
export const NO_ADAPTER = 'no WebGPU adapter (needs libvulkan.so.1 and a Vulkan driver on Linux, Metal on macOS, D3D12 on Windows)';

async function requestAdapter(): Promise<GpuAdapter> {
  let gpu: Gpu;
  try {
    gpu = await installNavigatorGpu();
  } catch (err) {
    throw new Error(`the webgpu (Dawn) module failed to load: ${(err as Error).message}`);
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    uninstallNavigatorGpu();
    throw new Error(NO_ADAPTER);
  }
  return adapter;
}

/** Looks for the high-performance adapter without starting the backend; throws with the reason when there is none. */
export async function probeWebGpu(): Promise<{ device: string; software: boolean }> {
  return describeAdapter(await requestAdapter());
}

/** Initialises and activates the webgpu backend on the high-performance adapter; throws with the reason when it cannot. */
export async function initWebGpu(): Promise<WebGpuSetup> {
  const adapter = await requestAdapter();
  const { device, software } = describeAdapter(adapter);
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!tf.findBackendFactory('webgpu')) throw new Error('@tensorflow/tfjs-backend-webgpu did not register (imported before navigator.gpu existed)');
  const ok = await tf.setBackend('webgpu');
  if (!ok) {
    uninstallNavigatorGpu();
    throw new Error(`tf.setBackend("webgpu") failed on ${device}`);
  }
  return { device, software, features: [...adapter.features] };
}
