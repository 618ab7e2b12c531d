/**
 * The Gram matrix with its hand-made gradient (TF.js), for the loss's TF.js units and the style
 * targets. Speed (tfjs 4.22, wasm): matMul with transpose flags misses XNNPACK, so FᵀF is computed
 * from an explicit transpose, and its gradient F·(dG + dGᵀ)·gramScale with a plain matMul.
 */
import * as tf from '@tensorflow/tfjs';
import { gramScale } from './description.js';

/**
 * Gram matrix of features [1,H,W,C] as C x C, normalised by H·W·C:
 * G = FᵀF / (H·W·C) with F the (H·W) x C matrix. Gradient: dF = F·(dG + dGᵀ) / (H·W·C).
 */
export function gram(features: tf.Tensor4D): tf.Tensor2D {
  const [, h, w, c] = features.shape;
  const scale = gramScale(h * w, c);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const f = tf.reshape(input, [h * w, c]) as tf.Tensor2D;
    const g = tf.tidy(() => tf.mul(tf.matMul(tf.transpose(f), f), scale) as tf.Tensor2D);
    save([f]);
    return {
      value: g,
      gradFunc: (dg: tf.Tensor2D, saved: tf.Tensor[]) => {
        const sym = tf.mul(tf.add(dg, tf.transpose(dg)), scale) as tf.Tensor2D;
        return [tf.reshape(tf.matMul(saved[0] as tf.Tensor2D, sym), input.shape)];
      },
    };
  });
  return op(features) as tf.Tensor2D;
}
