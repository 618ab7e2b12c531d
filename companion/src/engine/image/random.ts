/** Seeded noise: the same seed gives the same tensor on every run and backend. */
import * as tf from '@tensorflow/tfjs';

/** Gaussian noise image [1,H,W,3] around mid-grey (mean 127.5, std 40, RGB 0..255 units), seeded. */
export function noiseImage(height: number, width: number, seed: number): tf.Tensor4D {
  return tf.tidy(() => tf.clipByValue(tf.randomNormal([1, height, width, 3], 127.5, 40, 'float32', seed), 0, 255) as tf.Tensor4D);
}
