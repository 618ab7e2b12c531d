/** Image sizes and resizing of RGB tensors (sizes as one `Size` object: ../../../../shared/size.ts). */
import * as tf from '@tensorflow/tfjs';
import type { Size } from '../../../../shared/size.js';

export type { Size };

/** The size of an [H,W,C] or [N,H,W,C] image tensor. */
export function sizeOf(image: tf.Tensor3D | tf.Tensor4D): Size {
  const [height, width] = image.rank === 3 ? image.shape : image.shape.slice(1);
  return { height, width };
}

/** `size` scaled so that its longer side is `longer`, keeping the aspect ratio (each side at least 1). */
export function fitLongerSide(size: Size, longer: number): Size {
  const scale = longer / Math.max(size.height, size.width);
  return { height: Math.max(1, Math.round(size.height * scale)), width: Math.max(1, Math.round(size.width * scale)) };
}

/**
 * Resizes an [H,W,3] (or [1,H,W,3]) image tensor to exactly `size`: 2x2 box-filter halvings while
 * the image is at least twice the target (to avoid aliasing), then bilinear (half-pixel centres).
 */
export function resizeTensor<T extends tf.Tensor3D | tf.Tensor4D>(image: T, { height, width }: Size): T {
  return tf.tidy(() => {
    let x = (image.rank === 3 ? tf.expandDims(image, 0) : image) as tf.Tensor4D;
    while (x.shape[1] >= 2 * height && x.shape[2] >= 2 * width && x.shape[1] >= 2 && x.shape[2] >= 2) {
      x = tf.avgPool(x, 2, 2, 'valid');
    }
    if (x.shape[1] !== height || x.shape[2] !== width) x = tf.image.resizeBilinear(x, [height, width], false, true);
    else if (x === image) x = tf.clone(x);
    return (image.rank === 3 ? tf.squeeze(x, [0]) : x) as T;
  });
}
