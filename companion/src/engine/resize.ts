/** Image sizes and resizing of RGB tensors. */
import * as tf from '@tensorflow/tfjs';

/** Height and width of an image. */
export interface Size {
  height: number;
  width: number;
}

/** The size whose longer side is `longer`, keeping the aspect ratio (each side at least 1). */
export function fitLongerSide(height: number, width: number, longer: number): Size {
  const scale = longer / Math.max(height, width);
  return { height: Math.max(1, Math.round(height * scale)), width: Math.max(1, Math.round(width * scale)) };
}

/**
 * Resizes an [H,W,3] (or [1,H,W,3]) image to exactly height × width: 2x2 box-filter halvings while
 * the image is at least twice the target (to avoid aliasing), then bilinear (half-pixel centres).
 */
export function resizeImage<T extends tf.Tensor3D | tf.Tensor4D>(image: T, height: number, width: number): T {
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
