/**
 * The loss's TF.js units, generated from THE description (loss/description.ts: layers, weights,
 * normalisers), composed by small combinators in the spirit of crowsonkb's style_transfer.py. Every
 * unit returns an UNWEIGHTED scalar; weights are applied by `scaled`. TF.js differentiates them:
 * this is the reference evaluator every other one is tested against.
 */
import * as tf from '@tensorflow/tfjs';
import { gram } from './gram.js';
import { contentMeanScale, styleMeanScale, TV_PIXEL_SCALE, tvMeanScale } from './description.js';

/** Features by Keras layer name, as returned by Vgg19.features. */
export type Features = Map<string, tf.Tensor4D>;

/** A loss on one layer's features [1,H,W,C]. */
export type FeatureLoss = (features: tf.Tensor4D) => tf.Scalar;

/** A loss on the whole set of features of an image. */
export type FeaturesLoss = (features: Features) => tf.Scalar;

/** Content loss against fixed target features: mean((F − target)²). */
export function contentLoss(target: tf.Tensor4D): FeatureLoss {
  return (features) =>
    tf.tidy(() => {
      const [, h, w, c] = features.shape;
      return tf.mul(tf.sum(tf.squaredDifference(features, target)), contentMeanScale(h * w, c)) as tf.Scalar;
    });
}

/** Style loss against a fixed target Gram matrix: mean((G(F) − target)²). */
export function styleLoss(targetGram: tf.Tensor2D): FeatureLoss {
  return (features) => tf.tidy(() => tf.mul(tf.sum(tf.squaredDifference(gram(features), targetGram)), styleMeanScale(features.shape[3])) as tf.Scalar);
}

/**
 * Total variation of an RGB 0..255 image [1,H,W,3]: mean over pixels and channels of the squared
 * differences to the right and lower neighbours, on the image scaled to 0..1 (see file comment).
 */
export function tvLoss(image: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const [, h, w] = image.shape;
    const y = tf.mul(image, TV_PIXEL_SCALE);
    let sum = tf.scalar(0);
    if (w > 1) {
      const dx = tf.sub(tf.slice(y, [0, 0, 1, 0], [-1, -1, w - 1, -1]), tf.slice(y, [0, 0, 0, 0], [-1, -1, w - 1, -1]));
      sum = tf.add(sum, tf.sum(tf.square(dx)));
    }
    if (h > 1) {
      const dy = tf.sub(tf.slice(y, [0, 1, 0, 0], [-1, h - 1, -1, -1]), tf.slice(y, [0, 0, 0, 0], [-1, h - 1, -1, -1]));
      sum = tf.add(sum, tf.sum(tf.square(dy)));
    }
    return tf.mul(sum, tvMeanScale(h, w)) as tf.Scalar;
  });
}

/** Applies a per-layer loss to one layer of a feature set. */
export function atLayer(layer: string, loss: FeatureLoss): FeaturesLoss {
  return (features) => {
    const f = features.get(layer);
    if (!f) throw new Error(`internal: features for ${layer} were not computed`);
    return loss(f);
  };
}

/** Multiplies a loss by a constant weight. */
export function scaled<T>(weight: number, loss: (input: T) => tf.Scalar): (input: T) => tf.Scalar {
  return (input) => tf.tidy(() => tf.mul(loss(input), weight) as tf.Scalar);
}

/** Sums several losses on the same input. */
export function summed<T>(losses: Array<(input: T) => tf.Scalar>): (input: T) => tf.Scalar {
  return (input) => tf.tidy(() => losses.reduce<tf.Scalar>((acc, l) => tf.add(acc, l(input)) as tf.Scalar, tf.scalar(0)));
}
