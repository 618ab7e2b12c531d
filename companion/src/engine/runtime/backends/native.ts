/**
 * The cuda (@tensorflow/tfjs-node-gpu) and native (@tensorflow/tfjs-node) backends: opt-in
 * installs, loaded only by dynamic import, never needed by install or tests.
 */
import * as tf from '@tensorflow/tfjs';

/** What a libtensorflow backend reports. */
export interface TfjsNodeSetup {
  device?: string;
}

/** True when a dynamic import failed because the package is not installed. */
export function isNotInstalled(err: unknown, pkg: string): boolean {
  const e = err as { code?: string; message?: string };
  return (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') && String(e.message).includes(pkg);
}

/** Imports tfjs-node(-gpu) and activates its `tensorflow` backend; throws with the reason otherwise. */
export async function initTfjsNode(gpu: boolean): Promise<TfjsNodeSetup> {
  const pkg = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  try {
    const specifier: string = pkg;
    await import(specifier);
  } catch (err) {
    if (isNotInstalled(err, pkg)) throw new Error(`not installed: npm install ${pkg}`);
    throw new Error(`${pkg} failed to load: ${(err as Error).message}`);
  }
  if (!tf.findBackendFactory('tensorflow')) throw new Error(`${pkg} loaded but registered no backend (a second copy of @tensorflow/tfjs-core?)`);
  if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") failed');
  return { device: gpu ? 'libtensorflow (CUDA)' : undefined };
}
