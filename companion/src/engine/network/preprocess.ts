/** Input preprocessing for the Keras/Caffe VGG-19 weights. */
import * as tf from '@tensorflow/tfjs';

/** Caffe's ImageNet mean pixel, in BGR order. */
export const VGG_MEAN_BGR: readonly [number, number, number] = [103.939, 116.779, 123.68];

/** RGB 0..255 image [1,H,W,3] → BGR minus the mean pixel, as the weights expect. Differentiable. */
export function preprocess(rgb: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const bgr = tf.reverse(rgb, -1);
    return tf.sub(bgr, tf.tensor1d(VGG_MEAN_BGR as unknown as number[])) as tf.Tensor4D;
  });
}
