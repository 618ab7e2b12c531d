/**
 * Box constraints lower ≤ x ≤ upper for the optimisers (the image's pixels live in [0, 255]).
 *
 * The projected-gradient view (Bertsekas; the active-set idea of L-BFGS-B): a coordinate sitting on
 * a bound whose motion would leave the box is pinned for this step; every other coordinate is free.
 * Moving along a direction v from x then follows the projected path P(x + t·v), P = clip to the box.
 */
import * as tf from '@tensorflow/tfjs';

/** Element-wise bounds, the same for every coordinate. */
export interface Box {
  lower: number;
  upper: number;
}

/** The image's box: 8-bit pixel values. */
export const PIXEL_BOX: Box = { lower: 0, upper: 255 };

/** P(x): x clipped to the box. */
export function project(box: Box, x: tf.Tensor): tf.Tensor {
  return tf.clipByValue(x, box.lower, box.upper);
}

/**
 * 1 where x may move along v (it is not on a bound with v pointing out of the box), else 0.
 * With v = −g this is the free set; with a search direction, what the projected path moves.
 */
export function movable(box: Box, x: tf.Tensor, v: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const pinnedLow = tf.logicalAnd(tf.lessEqual(x, box.lower), tf.less(v, 0));
    const pinnedHigh = tf.logicalAnd(tf.greaterEqual(x, box.upper), tf.greater(v, 0));
    return tf.cast(tf.logicalNot(tf.logicalOr(pinnedLow, pinnedHigh)), 'float32');
  });
}

/** The projected gradient: g on the free set, 0 where a bound pins the coordinate (zero at a constrained minimum). */
export function projectedGradient(box: Box, x: tf.Tensor, g: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(g, movable(box, x, tf.neg(g))));
}
