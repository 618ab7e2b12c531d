/**
 * TF.js's exact tiled objective — the evaluator of the TF.js backends for images over their memory
 * budget (the onnx backends use onnx/ortTiledObjective.ts, the same algorithm as ONNX graphs). Same
 * loss (loss/description.ts), same Objective interface, device memory following the tile. Exact:
 * the loss is a sum over feature positions, so
 *
 * - pass 1 runs the forward pass on each tile's crop (interior + halo, tiling.ts), keeps the
 *   features of the tile's INTERIOR at each used layer and accumulates Σ FᵀF per style layer and
 *   Σ (F − F_c)² per content layer; then G_l = ΣFᵀF·gramScale and every term is as untiled;
 * - the head makes the terms and each style layer's seed matrix S_l from the GLOBAL G_l, and TV's
 *   term and gradient on the whole image (a few image-sized ops, as ONNX Runtime's tiling does);
 * - pass 2 recomputes each crop's forward pass and seeds its backward pass, at the interior's
 *   positions, with the terms' hand-written gradients (loss/terms.ts: content contentSeedScale·
 *   (F − F(c)), style F·S_l). The crop's gradient (halo included) is added into the full-size
 *   gradient, which is accumulated on the device (padded into place and added: no synchronous
 *   read-back, which WebGPU in Node cannot do).
 *
 * Content targets (the content image's interior features per tile) are kept on the host; the
 * style Grams go through the style-target cache, tile by tile when the style image exceeds a tile.
 */
import * as tf from '@tensorflow/tfjs';
import { describeLoss, gramScale, TERMS, termWeights } from '../loss/description.js';
import { contentSeed, contentSquares, contentTerm, styleHead, styleSeed, totalVariation } from '../loss/terms.js';
import { tfjsOps } from '../loss/tfjsOps.js';
import { preprocess } from '../network/preprocess.js';
import { resolveLayers } from '../loss/resolveLayers.js';
import { blendedStyleTargets, tfjsGrams } from '../loss/styleTargets.js';
import { checkpoint, throwIfAborted } from '../cancel.js';
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

/** FᵀF (unnormalised) of features [1,h,w,C]: the terms' Gram sum. */
function gramSum(f: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => tfjsOps.gramSum(tfjsOps.featureMatrix(f)) as tf.Tensor2D);
}

/**
 * A scalar whose gradient with respect to f is seedOf(f) (times the incoming scalar): how pass 2
 * seeds the backward pass of a crop with the terms' hand-written gradients (terms.ts) at the
 * positions the tile owns. Its value is 0 (only the gradient is used).
 */
function seeded(f: tf.Tensor4D, seedOf: (f: tf.Tensor4D) => tf.Tensor): tf.Scalar {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    save([input]);
    return {
      value: tf.scalar(0),
      // dy is a scalar (1 here): scale the seed by it.
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => [tf.mul(seedOf(saved[0] as tf.Tensor4D), dy)],
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

/** The content targets F_l(c) on each tile's interior, kept on the host (one map per tile). */
async function hostContentTargets(model: Vgg19, content: tf.Tensor3D, tiles: Tile[], layers: string[], levels: Map<string, number>, pooling: Pooling): Promise<Array<Map<string, HostFeatures>>> {
  const contentTargets: Array<Map<string, HostFeatures>> = [];
  const content4 = tf.expandDims(content, 0) as tf.Tensor4D;
  try {
    for (const t of tiles) {
      // tidy returns plain objects, not Maps: go through a record.
      const feats = tf.tidy(() => Object.fromEntries(interiorFeatures(model.features(preprocess(crop(content4, t)), layers, pooling), t, levels)));
      const host = new Map<string, HostFeatures>();
      try {
        for (const [l, f] of Object.entries(feats)) host.set(l, { data: (await f.data()) as Float32Array, shape: f.shape as HostFeatures['shape'] });
      } finally {
        tf.dispose(Object.values(feats));
      }
      contentTargets.push(host);
    }
    return contentTargets;
  } finally {
    content4.dispose();
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
    const contentTargets = await hostContentTargets(model, content, tiles, plan.content, levels, params.pooling);
    const hostTensor = (h: HostFeatures) => tf.tensor4d(h.data, h.shape);

    /** Pass 1: Σ FᵀF per style layer and Σ (F − F_c)² per content layer, over the positions each tile owns. */
    async function pass1(x: tf.Tensor4D): Promise<{ sums: Map<string, tf.Tensor2D>; contentSq: Map<string, tf.Scalar> }> {
      const sums = new Map<string, tf.Tensor2D>();
      const contentSq = new Map<string, tf.Scalar>();
      const accumulate = <T extends tf.Tensor>(acc: Map<string, T>, key: string, value: T) => {
        const prev = acc.get(key);
        acc.set(key, tf.keep(prev ? (tf.add(prev, value) as T) : value));
        prev?.dispose();
      };
      try {
        for (const [i, t] of tiles.entries()) {
          if (i > 0) await checkpoint(signal);
          tf.tidy(() => {
            const feats = interiorFeatures(model.features(preprocess(crop(x, t)), layers, params.pooling), t, levels);
            for (const l of plan.style) if (feats.has(l)) accumulate(sums, l, gramSum(feats.get(l)!));
            for (const l of plan.content) {
              const target = contentTargets[i].get(l);
              if (target) accumulate(contentSq, l, contentSquares(tfjsOps, feats.get(l)!, hostTensor(target)).squares as tf.Scalar);
            }
          });
        }
        return { sums, contentSq };
      } catch (err) {
        tf.dispose([...sums.values(), ...contentSq.values()]);
        throw err;
      }
    }

    return sizedObjective({ height, width, layers: plan }, {
      async evaluate(x) {
        throwIfAborted(signal);
        const { sums, contentSq } = await pass1(x);
        // Global terms and, per style layer, the seed matrix S_l from the GLOBAL G_l (terms.ts's styleHead).
        const seeds = new Map<string, tf.Tensor2D>();
        let terms: Evaluation['terms'] | undefined;
        let total: tf.Scalar | undefined;
        let grad: tf.Tensor4D | undefined;
        try {
          const parts = tf.tidy(() => {
            const styleParts = loss.style.map(({ layer: l, weight }) => {
              const head = styleHead(tfjsOps, loss, sums.get(l)!, targets.get(l)!, weight, positions(l), targets.get(l)!.shape[0]);
              seeds.set(l, tf.keep(head.seedMatrix as tf.Tensor2D));
              return head.term;
            });
            const contentParts = loss.content.map(({ layer: l, weight }) => {
              const sq = contentSq.get(l);
              if (!sq) return tf.scalar(0);
              return contentTerm(tfjsOps, sq, weight, positions(l), contentTargets.find((m) => m.has(l))!.get(l)!.shape[3]);
            });
            // TV on the whole image, as ONNX Runtime's tiling does: its gradient starts the image's gradient.
            const tv = totalVariation(tfjsOps, loss, x, height, width);
            const t = { content: tf.addN(contentParts) as tf.Scalar, style: tf.addN(styleParts) as tf.Scalar, tv: tv.tv as tf.Scalar };
            return { ...t, total: tf.addN(TERMS.map((k) => tf.mul(t[k], weights[k]))) as tf.Scalar, grad: (tv.grad ?? tf.zerosLike(x)) as tf.Tensor4D };
          });
          terms = { content: parts.content, style: parts.style, tv: parts.tv };
          total = parts.total;
          grad = parts.grad;
        } catch (err) {
          tf.dispose([...seeds.values()]);
          throw err;
        } finally {
          tf.dispose([...sums.values(), ...contentSq.values()]);
        }

        // Pass 2: per tile, backpropagate the owned positions' share of the global gradient.
        try {
          for (const [i, t] of tiles.entries()) {
            await checkpoint(signal);
            const hostTargets = new Map([...contentTargets[i]].map(([l, h]) => [l, hostTensor(h)]));
            try {
              const g = tf.tidy(() =>
                tf.grad((input: tf.Tensor) => {
                  const feats = interiorFeatures(model.features(preprocess(input as tf.Tensor4D), layers, params.pooling), t, levels);
                  const parts: tf.Scalar[] = [tf.scalar(0)];
                  for (const l of plan.style) {
                    const seed = seeds.get(l)!;
                    if (feats.has(l)) parts.push(seeded(feats.get(l)!, (f) => styleSeed(tfjsOps, seed, tfjsOps.featureMatrix(f), f)));
                  }
                  loss.content.forEach(({ layer: l, weight }) => {
                    const target = hostTargets.get(l);
                    if (!target) return;
                    const seedOf = (f: tf.Tensor4D) => contentSeed(tfjsOps, loss, contentSquares(tfjsOps, f, target).diff, weight, positions(l), target.shape[3]);
                    parts.push(seeded(feats.get(l)!, seedOf));
                  });
                  return tf.addN(parts) as tf.Scalar;
                })(crop(x, t)),
              );
              const prev: tf.Tensor4D = grad!;
              grad = tf.tidy((): tf.Tensor4D => tf.add(prev, tf.pad(g, [[0, 0], [t.cy0, height - t.cy1], [t.cx0, width - t.cx1], [0, 0]])));
              prev.dispose();
              g.dispose();
            } finally {
              tf.dispose([...hostTargets.values()]);
            }
          }
          return { loss: total!, grad: grad!, terms: terms! };
        } catch (err) {
          tf.dispose([total!, grad!, terms!.content, terms!.style, terms!.tv]);
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
