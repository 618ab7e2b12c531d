/**
 * Whether libraries' own output reaches the terminal: Dawn's Vulkan warnings (native, see
 * gpuProbe.ts) and TF.js's console advice are noise to a designer, so they show only at log level
 * debug (`--log-level debug`, or ATELIER_LOG_LEVEL=debug for `stylize`).
 */
import * as tf from '@tensorflow/tfjs';

/** True at log level debug. */
export function showNativeOutput(level: string | undefined = process.env.ATELIER_LOG_LEVEL): boolean {
  return level === 'debug';
}

/** Silences TF.js's console advice ("install our node backend", kernel warnings) unless `show`. */
export function quietLibraries(show: boolean): void {
  if (!show) tf.env().set('PROD', true);
}
