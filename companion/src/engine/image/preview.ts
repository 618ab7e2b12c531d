/** Small previews of the image being optimised, read back as RGB bytes. */
import * as tf from '@tensorflow/tfjs';
import { fitLongerSide, resizeTensor, sizeOf } from './resize.js';
import type { Preview } from '../types.js';

/** Longest side of a preview, in pixels. */
export const PREVIEW_MAX_SIDE = 256;

/** An RGB 0..255 image [1,H,W,3] as a preview no larger than PREVIEW_MAX_SIDE (optionally post-processed first). */
export async function makePreview(image: tf.Tensor4D, post?: (x: tf.Tensor4D) => tf.Tensor4D): Promise<Preview> {
  const full = sizeOf(image);
  const size = Math.max(full.height, full.width) > PREVIEW_MAX_SIDE ? fitLongerSide(full, PREVIEW_MAX_SIDE) : full;
  const bytes = tf.tidy(() => {
    const x = post ? post(image) : image;
    return tf.cast(tf.round(tf.clipByValue(resizeTensor(x, size), 0, 255)), 'int32');
  });
  try {
    return { width: size.width, height: size.height, rgb: Uint8Array.from(await bytes.data()) };
  } finally {
    bytes.dispose();
  }
}
