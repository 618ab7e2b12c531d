/**
 * The loss terms' operations (terms.ts) on TF.js tensors, for the TF.js tiled evaluator. Feature
 * matrices are TF.js's NHWC layout: the N×C matrix F of features [1,h,w,C]. The Gram sum FᵀF uses
 * an explicit transpose (matMul's transpose flags miss XNNPACK on wasm: see gram.ts). Callers
 * manage memory (tf.tidy).
 */
import * as tf from '@tensorflow/tfjs';
import type { LossOps } from './terms.js';

function axisWindow(rank: number, axis: number, start: number, end: number): { begin: number[]; size: number[] } {
  const begin = new Array<number>(rank).fill(0);
  const size = new Array<number>(rank).fill(-1);
  begin[axis] = start;
  size[axis] = end - start;
  return { begin, size };
}

export const tfjsOps: LossOps<tf.Tensor> = {
  scalar: (v) => tf.scalar(v),
  add: (a, b) => tf.add(a, b),
  sub: (a, b) => tf.sub(a, b),
  mul: (a, b) => tf.mul(a, b),
  sum: (a) => tf.sum(a),
  transpose: (a) => tf.transpose(a),
  featureMatrix: (f) => tf.reshape(f, [-1, f.shape[f.rank - 1]]),
  gramSum: (m) => tf.matMul(tf.transpose(m as tf.Tensor2D), m as tf.Tensor2D),
  timesSeed: (m, s, f) => tf.reshape(tf.matMul(m as tf.Tensor2D, s as tf.Tensor2D), f.shape),
  slice: (a, axis, start, end) => {
    const { begin, size } = axisWindow(a.rank, axis, start, end);
    return tf.slice(a, begin, size);
  },
  pad: (a, axis, before, after) => tf.pad(a, a.shape.map((_, i) => (i === axis ? [before, after] : [0, 0])) as Array<[number, number]>),
  scope: () => tfjsOps,
};
