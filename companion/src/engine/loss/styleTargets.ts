/**
 * Style targets: Gram matrices of the style images, which depend only on the style image, its size,
 * the layers and the pooling. Computed once per run and cached, so the scales of a run and the
 * items of a batch (same styles, different contents) share them.
 */
import * as tf from '@tensorflow/tfjs';
import { gram } from './gram.js';
import { fitLongerSide, resizeTensor, sizeOf } from '../image/resize.js';
import { preprocess } from '../network/preprocess.js';
import type { Vgg19 } from '../network/vgg19.js';
import type { StylizeParams } from '../../../../shared/params.js';
import { EngineError } from '../errors.js';
import { normalizeWeights } from './description.js';

/** Computes Gram matrices G_l [C,C] of an RGB 0..255 image [1,H,W,3] at the given layers (caller disposes). */
export type GramsOf = (image: tf.Tensor4D, layers: string[]) => Promise<Map<string, tf.Tensor2D>>;

/** Gram matrices of features [1,h,w,C] at `layers` (the features stay the caller's; the Grams are the caller's to dispose). */
export function gramsOfFeatures(features: Map<string, tf.Tensor4D>, layers: string[]): Map<string, tf.Tensor2D> {
  // tidy keeps the tensors of arrays and plain objects, not of Maps.
  const grams = tf.tidy(() => layers.map((l) => gram(features.get(l)!)));
  return new Map(layers.map((l, i) => [l, grams[i]]));
}

/** Gram matrices through TF.js on the active backend, untiled. */
export function tfjsGrams(model: Vgg19, pooling: 'max' | 'avg'): GramsOf {
  return async (image, layers) => {
    const x = preprocess(image);
    const feats = model.features(x, layers, pooling);
    try {
      return gramsOfFeatures(feats, layers);
    } finally {
      tf.dispose([x, ...feats.values()]);
    }
  };
}

/** Gram matrices per (model, style image content, size, pooling, layer). Dispose it when the batch is done. */
export interface StyleTargetCache {
  /**
   * Gram matrices of `style` resized so its longer side is `longerSide`, at the given Keras layers.
   * Missing ones are computed by `gramsOf` (default: TF.js, untiled). The returned tensors belong to
   * the cache: do not dispose them.
   */
  grams(model: Vgg19, style: tf.Tensor3D, longerSide: number, layers: string[], pooling: 'max' | 'avg', gramsOf?: GramsOf): Promise<Map<string, tf.Tensor2D>>;
  /** Number of cached Gram matrices. */
  readonly size: number;
  /** Number of times a forward pass over a style image was run. */
  readonly computed: number;
  /** Frees every cached tensor. */
  dispose(): void;
}

const modelIds = new WeakMap<Vgg19, number>();
let nextModelId = 1;

/** Creates an empty cache of style Gram matrices. */
export function createStyleTargetCache(): StyleTargetCache {
  const entries = new Map<string, tf.Tensor2D>();
  const fingerprints = new WeakMap<tf.Tensor, string>();
  let computed = 0;

  async function fingerprint(style: tf.Tensor3D): Promise<string> {
    const known = fingerprints.get(style);
    if (known) return known;
    const sums = tf.tidy(() => {
      const flat = tf.reshape(style, [-1]);
      const ramp = tf.add(tf.mod(tf.range(0, flat.shape[0], 1, 'float32'), 997), 1);
      return tf.stack([tf.sum(flat), tf.sum(tf.mul(flat, ramp)), tf.sum(tf.square(flat))]);
    });
    const values = await sums.data();
    sums.dispose();
    const fp = `${style.shape.join('x')}:${Array.from(values).join(',')}`;
    fingerprints.set(style, fp);
    return fp;
  }

  return {
    async grams(model, style, longerSide, layers, pooling, gramsOf = tfjsGrams(model, pooling)) {
      if (!modelIds.has(model)) modelIds.set(model, nextModelId++);
      const prefix = `${modelIds.get(model)}|${await fingerprint(style)}|${longerSide}|${pooling}|`;
      const missing = layers.filter((l) => !entries.has(prefix + l));
      if (missing.length) {
        const size = fitLongerSide(sizeOf(style), longerSide);
        const resized = tf.tidy(() => tf.expandDims(resizeTensor(style, size), 0) as tf.Tensor4D);
        const grams = await gramsOf(resized, missing).finally(() => resized.dispose());
        computed++;
        for (const l of missing) entries.set(prefix + l, grams.get(l)!);
      }
      return new Map(layers.map((l) => [l, entries.get(prefix + l)!]));
    },
    get size() {
      return entries.size;
    },
    get computed() {
      return computed;
    },
    dispose() {
      for (const t of entries.values()) t.dispose();
      entries.clear();
    },
  };
}

/** A_l = Σ_k b_k G_l(style_k) for each layer, with blend weights b already normalised. Caller disposes. */
export function blendGrams(perStyle: Array<Map<string, tf.Tensor2D>>, blend: number[], layers: string[]): Map<string, tf.Tensor2D> {
  return new Map(
    layers.map((l) => [
      l,
      tf.tidy(() => perStyle.reduce<tf.Tensor2D>((acc, g, k) => tf.add(acc, tf.mul(g.get(l)!, blend[k])) as tf.Tensor2D, tf.zerosLike(perStyle[0].get(l)!))),
    ]),
  );
}

/** A scale's blended style targets A_l, owned by whoever called blendedStyleTargets until `release`. */
export interface BlendedStyleTargets {
  grams: Map<string, tf.Tensor2D>;
  /** Frees the targets, and the cache when it was the scale's own. */
  release(): void;
}

/**
 * The style targets of a scale whose content is height×width: each style image resized so its
 * longer side is max(H,W)·styleScale, its Grams at `layers` from `cache` (a private one when none
 * is given, freed by release) computed by `gramsOf`, blended with the normalised styleBlend weights.
 * EngineError `bad_input` without a style image or with a bad blend list; nothing is left on failure.
 */
export async function blendedStyleTargets(
  model: Vgg19,
  opts: {
    styles: tf.Tensor3D[];
    params: Pick<StylizeParams, 'styleBlend' | 'styleScale' | 'pooling'>;
    height: number;
    width: number;
    layers: string[];
    cache?: StyleTargetCache;
    gramsOf?: GramsOf;
  },
): Promise<BlendedStyleTargets> {
  const { styles, params } = opts;
  if (styles.length === 0) throw new EngineError('bad_input', 'at least one style image is required');
  const blend = normalizeWeights(params.styleBlend, styles.length, 'style blend weights');
  const side = Math.max(1, Math.round(Math.max(opts.height, opts.width) * params.styleScale));
  const cache = opts.cache ?? createStyleTargetCache();
  const releaseCache = () => {
    if (!opts.cache) cache.dispose();
  };
  try {
    const perStyle = [];
    for (const s of styles) perStyle.push(await cache.grams(model, s, side, opts.layers, params.pooling, opts.gramsOf));
    const grams = blendGrams(perStyle, blend, opts.layers);
    return {
      grams,
      release() {
        tf.dispose([...grams.values()]);
        grams.clear();
        releaseCache();
      },
    };
  } catch (err) {
    releaseCache();
    throw err;
  }
}
