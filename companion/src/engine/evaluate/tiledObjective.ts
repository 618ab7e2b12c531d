/**
 * TF.js's exact tiled objective — the evaluator of the TF.js backends for images over their memory
 * budget (the onnx backends use onnx/ortTiledObjective.ts, the same algorithm as ONNX graphs). Same
 * loss (loss/description.ts), same Objective interface, device memory following the tile. Exact:
 * the loss is a sum over feature positions, so
 *
 * - pass 1 runs the forward pass on each tile's crop (interior + halo, tiling.ts), keeps the
 *   features of the tile's INTERIOR at each used layer and accumulates Σ FᵀF per style layer and
 *   Σ (F − F_c)² per content layer; then G_l = ΣFᵀF·gramScale and every term is as untiled;
 * - pass 2 recomputes each crop's forward pass and backpropagates a surrogate whose gradient is the
 *   global loss gradient restricted to the interior: for style, dF_int = F_int·(K_l + K_lᵀ) with
 *   K_l = styleSeedScale·(G_l − A_l)·gramScale from the GLOBAL G_l (as ops.gram's gradient); for
 *   content the weighted content term on the interior; for TV the tile's own share of the neighbour
 *   differences. The crop's gradient (halo included) is added into the full-size gradient, which
 *   is accumulated on the device (padded into place and added: no synchronous read-back, which
 *   WebGPU in Node cannot do).
 *
 * Content targets (the content image's interior features per tile) are kept on the host; the
 * style Grams go through the style-target cache, tile by tile when the style image exceeds a tile.
 */
import * as tf from '@tensorflow/tfjs';
import { contentMeanScale, describeLoss, gramScale, styleMeanScale, styleSeedScale, TERMS, termWeights, TV_PIXEL_SCALE, tvMeanScale } from '../loss/description.js';
import { preprocess } from '../network/preprocess.js';
import { resolveLayers } from '../loss/resolveLayers.js';
import { blendedStyleTargets, tfjsGrams } from '../loss/styleTargets.js';
import { throwIfAborted, yieldToEventLoop } from '../cancel.js';
import { interiorAt, planTiles, poolsBefore, type Tile } from './tiling.js';
import { sizedObjective, type Evaluation, type Objective, type ObjectiveOptions } from './objective.js';
import type { Vgg19 } from '../network/vgg19.js';

/** ObjectiveOptions plus the tile size in px (aligned down to the deepest layer's pooling grid). */
export interface TiledObjectiveOptions extends ObjectiveOptions {
  tile: number;
}

type Pooling = 'max' | 'avg';

/** Interior features of one crop's features (layers with no interior position are left out). Caller disposes. */
function interiorFeatures(feats: Map<string, tf.Tensor4D>, tile: Tile, levels: Map<string, number>): Map<string, tf.Tensor4D> {
  const out = new Map<string, tf.Tensor4D>();
  for (const [layer, f] of feats) {
    const { r0, r1, c0, c1 } = interiorAt(tile, levels.get(layer)!);
    if (r1 > r0 && c1 > c0) out.set(layer, tf.slice(f, [0, r0, c0, 0], [1, r1 - r0, c1 - c0, f.shape[3]]));
  }
  return out;
}

function crop(x: tf.Tensor4D, t: Tile): tf.Tensor4D {
  return tf.slice(x, [0, t.cy0, t.cx0, 0], [1, t.cy1 - t.cy0, t.cx1 - t.cx0, 3]);
}

/** FᵀF (unnormalised) of features [1,h,w,C], with an explicit transpose (see ops.ts). */
function gramSum(f: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const m = tf.reshape(f, [-1, f.shape[3]]) as tf.Tensor2D;
    return tf.matMul(tf.transpose(m), m);
  });
}

/**
 * The TV neighbour differences owned by the tile (pixel (i,j) owns its right and lower
 * differences), summed, unnormalised, from the crop of an RGB 0..255 image.
 */
function tvShare(cropped: tf.Tensor4D, t: Tile, h: number, w: number): tf.Scalar {
  return tf.tidy(() => {
    const ownH = t.y1 - t.y0;
    const ownW = t.x1 - t.x0;
    const eh = Math.min(t.y1 + 1, h) - t.y0;
    const ew = Math.min(t.x1 + 1, w) - t.x0;
    const y = tf.mul(tf.slice(cropped, [0, t.y0 - t.cy0, t.x0 - t.cx0, 0], [1, eh, ew, 3]), TV_PIXEL_SCALE);
    let sum = tf.scalar(0);
    if (ew > 1) {
      const dx = tf.sub(tf.slice(y, [0, 0, 1, 0], [1, ownH, ew - 1, 3]), tf.slice(y, [0, 0, 0, 0], [1, ownH, ew - 1, 3]));
      sum = tf.add(sum, tf.sum(tf.square(dx)));
    }
    if (eh > 1) {
      const dy = tf.sub(tf.slice(y, [0, 1, 0, 0], [1, eh - 1, ownW, 3]), tf.slice(y, [0, 0, 0, 0], [1, eh - 1, ownW, 3]));
      sum = tf.add(sum, tf.sum(tf.square(dy)));
    }
    return sum as tf.Scalar;
  });
}

/**
 * A scalar whose gradient with respect to f [1,h,w,C] is f·S (S a constant C×C matrix): the exact
 * style gradient of ops.gram with S = (dG + dGᵀ)/N. Its value is 0 (only the gradient is used).
 */
function styleSeed(f: tf.Tensor4D, s: tf.Tensor2D): tf.Scalar {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    save([input]);
    return {
      value: tf.scalar(0),
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const v = saved[0] as tf.Tensor4D;
        const m = tf.reshape(v, [-1, v.shape[3]]) as tf.Tensor2D;
        // dy is a scalar: scale the C×C matrix, not the n×C product.
        return [tf.reshape(tf.matMul(m, tf.mul(s, dy)), v.shape)];
      },
    };
  });
  return op(f) as tf.Scalar;
}

/** Host copy of one content layer's interior target features for one tile. */
interface HostFeatures {
  data: Float32Array;
  shape: [number, number, number, number];
}

/**
 * Gram matrices G_l = ΣFᵀF/(H_l·W_l·C_l) of an RGB 0..255 image [1,H,W,3], computed tile by tile
 * (exactly equal to untiled). Caller disposes.
 */
export function tiledGrams(model: Vgg19, image: tf.Tensor4D, layers: string[], pooling: Pooling, tile: number): Map<string, tf.Tensor2D> {
  const [, h, w] = image.shape;
  const levels = new Map(layers.map((l) => [l, poolsBefore(l)]));
  const sums = new Map<string, tf.Tensor2D>();
  try {
    for (const t of planTiles(h, w, tile, layers)) {
      tf.tidy(() => {
        const feats = interiorFeatures(model.features(preprocess(crop(image, t)), layers, pooling), t, levels);
        for (const [l, f] of feats) {
          const prev = sums.get(l);
          const next = prev ? tf.add(prev, gramSum(f)) : gramSum(f);
          sums.set(l, tf.keep(next) as tf.Tensor2D);
          prev?.dispose();
        }
      });
    }
    return new Map(
      layers.map((l) => {
        const s = sums.get(l)!;
        const p = 2 ** levels.get(l)!;
        return [l, tf.mul(s, gramScale(Math.floor(h / p) * Math.floor(w / p), s.shape[0])) as tf.Tensor2D];
      }),
    );
  } finally {
    tf.dispose([...sums.values()]);
  }
}

/** Precomputes the targets tile by tile and returns the tiled objective (same contract as createObjective). */
export async function createTiledObjective(model: Vgg19, opts: TiledObjectiveOptions): Promise<Objective> {
  const { params, content, tile, signal } = opts;
  const plan = opts.layers ?? resolveLayers(params, model.availableLayers);
  const [height, width] = content.shape;
  const layers = [...new Set([...plan.content, ...plan.style])];
  const levels = new Map(layers.map((l) => [l, poolsBefore(l)]));
  const tiles = planTiles(height, width, tile, layers);
  const positions = (l: string) => Math.floor(height / 2 ** levels.get(l)!) * Math.floor(width / 2 ** levels.get(l)!);
  const loss = describeLoss(params, plan);
  const weights = termWeights(loss);
  // Style Grams tile by tile when the resized style image is larger than a tile.
  const gramsOf = opts.gramsOf ?? (async (image: tf.Tensor4D, ls: string[]) =>
    planTiles(image.shape[1], image.shape[2], tile, ls).length === 1 ? tfjsGrams(model, params.pooling)(image, ls) : tiledGrams(model, image, ls, params.pooling, tile));
  const style = await blendedStyleTargets(model, { styles: opts.styles, params, height, width, layers: plan.style, cache: opts.styleTargets, gramsOf });
  const targets = style.grams;
  try {

    // Content targets F_l(c) on each tile's interior, kept on the host.
    const contentTargets: Array<Map<string, HostFeatures>> = [];
    const content4 = tf.expandDims(content, 0) as tf.Tensor4D;
    try {
      for (const t of tiles) {
        // tidy returns plain objects, not Maps: go through a record.
        const feats = tf.tidy(() => Object.fromEntries(interiorFeatures(model.features(preprocess(crop(content4, t)), plan.content, params.pooling), t, levels)));
        const host = new Map<string, HostFeatures>();
        try {
          for (const [l, f] of Object.entries(feats)) host.set(l, { data: (await f.data()) as Float32Array, shape: f.shape as HostFeatures['shape'] });
        } finally {
          tf.dispose(Object.values(feats));
        }
        contentTargets.push(host);
      }
    } finally {
      content4.dispose();
    }
    const hostTensor = (h: HostFeatures) => tf.tensor4d(h.data, h.shape);

    /** Pass 1: Σ FᵀF per style layer and Σ (F − F_c)² per content layer, and the TV sum. */
    /** Between tiles: lets an abort arrive (a cancel over HTTP, Ctrl-C) and honours it. */
    async function checkpoint(): Promise<void> {
      await yieldToEventLoop();
      throwIfAborted(signal);
    }

    async function pass1(x: tf.Tensor4D): Promise<{ sums: Map<string, tf.Tensor2D>; contentSq: Map<string, tf.Scalar>; tvSum: tf.Scalar }> {
      const sums = new Map<string, tf.Tensor2D>();
      const contentSq = new Map<string, tf.Scalar>();
      let tvSum = tf.scalar(0);
      const accumulate = <T extends tf.Tensor>(acc: Map<string, T>, key: string, value: T) => {
        const prev = acc.get(key);
        acc.set(key, tf.keep(prev ? (tf.add(prev, value) as T) : value));
        prev?.dispose();
      };
      try {
        for (const [i, t] of tiles.entries()) {
          if (i > 0) await checkpoint();
          tf.tidy(() => {
            const cropped = crop(x, t);
            const feats = interiorFeatures(model.features(preprocess(cropped), layers, params.pooling), t, levels);
            for (const l of plan.style) if (feats.has(l)) accumulate(sums, l, gramSum(feats.get(l)!));
            for (const l of plan.content) {
              const target = contentTargets[i].get(l);
              if (target) accumulate(contentSq, l, tf.sum(tf.squaredDifference(feats.get(l)!, hostTensor(target))) as tf.Scalar);
            }
            const prev = tvSum;
            tvSum = tf.keep(tf.add(prev, tvShare(cropped, t, height, width)));
            prev.dispose();
          });
        }
        return { sums, contentSq, tvSum };
      } catch (err) {
        tf.dispose([...sums.values(), ...contentSq.values(), tvSum]);
        throw err;
      }
    }

    return sizedObjective({ height, width, layers: plan }, {
      async evaluate(x) {
        throwIfAborted(signal);
        const { sums, contentSq, tvSum } = await pass1(x);
        // Global terms and, per style layer, S_l = K_l + K_lᵀ with K_l = β·v_l·2(G_l − A_l)/C_l² / N_l.
        const seeds = new Map<string, tf.Tensor2D>();
        let terms: Evaluation['terms'] | undefined;
        let total: tf.Scalar | undefined;
        try {
          const styleParts: tf.Scalar[] = [];
          tf.tidy(() => {
            loss.style.forEach(({ layer: l, weight }) => {
              const c = targets.get(l)!.shape[0];
              const scale = gramScale(positions(l), c);
              const diff = tf.sub(tf.mul(sums.get(l)!, scale), targets.get(l)!);
              styleParts.push(tf.keep(tf.mul(tf.sum(tf.square(diff)), weight * styleMeanScale(c))) as tf.Scalar);
              const k = tf.mul(diff, styleSeedScale(loss, weight, c) * scale);
              seeds.set(l, tf.keep(tf.add(k, tf.transpose(k))) as tf.Tensor2D);
            });
          });
          const contentParts = loss.content.map(({ layer: l, weight }) => {
            const sq = contentSq.get(l);
            if (!sq) return tf.scalar(0);
            const c = contentTargets.find((m) => m.has(l))!.get(l)!.shape[3];
            return tf.mul(sq, weight * contentMeanScale(positions(l), c)) as tf.Scalar;
          });
          const style = tf.addN(styleParts) as tf.Scalar;
          const contentTerm = tf.addN(contentParts) as tf.Scalar;
          const tv = tf.mul(tvSum, tvMeanScale(height, width)) as tf.Scalar;
          tf.dispose([...styleParts, ...contentParts]);
          terms = { content: contentTerm, style, tv };
          total = tf.tidy(() => tf.addN(TERMS.map((k) => tf.mul(terms![k], weights[k]))) as tf.Scalar);
        } finally {
          tf.dispose([...sums.values(), ...contentSq.values(), tvSum]);
        }

        // Pass 2: per tile, backpropagate the interior's share of the global gradient.
        try {
          let grad: tf.Tensor4D = tf.zeros([1, height, width, 3]);
          for (const [i, t] of tiles.entries()) {
            try {
              await checkpoint();
            } catch (err) {
              grad.dispose();
              throw err;
            }
            const hostTargets = new Map([...contentTargets[i]].map(([l, h]) => [l, hostTensor(h)]));
            try {
              const g = tf.tidy(() =>
                tf.grad((input: tf.Tensor) => {
                  const cropped = input as tf.Tensor4D;
                  const feats = interiorFeatures(model.features(preprocess(cropped), layers, params.pooling), t, levels);
                  const parts: tf.Scalar[] = [tf.mul(tvShare(cropped, t, height, width), weights.tv * tvMeanScale(height, width))];
                  for (const l of plan.style) if (feats.has(l)) parts.push(styleSeed(feats.get(l)!, seeds.get(l)!));
                  // The content term on the interior, weighted as in the total: its gradient is the global one there.
                  loss.content.forEach(({ layer: l, weight }) => {
                    const target = hostTargets.get(l);
                    if (!target) return;
                    parts.push(tf.mul(tf.sum(tf.squaredDifference(feats.get(l)!, target)), weights.content * weight * contentMeanScale(positions(l), target.shape[3])));
                  });
                  return tf.addN(parts) as tf.Scalar;
                })(crop(x, t)),
              );
              const prev = grad;
              grad = tf.tidy(() => tf.add(prev, tf.pad(g, [[0, 0], [t.cy0, height - t.cy1], [t.cx0, width - t.cx1], [0, 0]])));
              prev.dispose();
              g.dispose();
            } catch (err) {
              grad.dispose();
              throw err;
            } finally {
              tf.dispose([...hostTargets.values()]);
            }
          }
          return { loss: total!, grad, terms: terms! };
        } catch (err) {
          if (total) total.dispose();
          if (terms) tf.dispose([terms.content, terms.style, terms.tv]);
          throw err;
        } finally {
          tf.dispose([...seeds.values()]);
        }
      },
      dispose: () => style.release(),
    });
  } catch (err) {
    style.release();
    throw err;
  }
}
