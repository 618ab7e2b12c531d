/**
 * The graphs of the exact tiled evaluation (see ortTiledObjective.ts for the algorithm), built from
 * the same fragments as the untiled graph. The loss is a sum over feature positions, so
 *
 * - pass 1, per crop: Σ (F − F(c))² and Σ FᵀF over the positions the tile owns (its interior,
 *   selected by 0/1 masks `mask_<pools>` at each used level), per layer;
 * - head, once: from the sums over all tiles, the terms and each style layer's seed matrix S_l;
 * - pass 2, per crop: the forward pass again, seeded at the owned positions with the GLOBAL loss's
 *   gradient (content: contentSeedScale·(F − F(c)), style: S_l·F), backpropagated to the crop;
 * - tv: the whole image's TV term and gradient.
 *
 * A crop graph depends only on the crop's shape (the interior comes in through the masks), so a
 * tiling needs a few of them, cached by shape.
 */
import { layerIndex } from '../../network/layers.js';
import type { LossDescription } from '../../loss/description.js';
import { poolsBefore } from '../tiling.js';
import { deepestIndex } from './gatysGraph.js';
import { GraphBuilder } from './graphBuilder.js';
import { contentSeed, contentSquares, contentTerm, maskedMatrix, styleHead, styleSeed, totalVariation } from '../../loss/terms.js';
import { graphOps } from './graphOps.js';
import { names } from './lossGraph.js';
import { addBackward, addForward, type Forward, type GraphKernels, type MaxPoolBackward } from './vggGraph.js';

/** Feature positions N_l and channels C_l of a layer over the WHOLE image (the normalisers' N and C). */
export type LayerSize = (layer: string) => { positions: number; channels: number };

/** What a crop graph is built for. */
export interface CropGraphSpec {
  /** The crop's size in px. */
  height: number;
  width: number;
  pooling: 'max' | 'avg';
  /** Layers whose Σ (F − F(c))² (pass 1) or content gradient (pass 2) the crop contributes. */
  content: string[];
  /** Layers whose Σ FᵀF (pass 1) or style gradient (pass 2) the crop contributes. */
  style: string[];
  weights: (index: number) => GraphKernels;
}

/** Declares the mask input of every level the layers are on; returns layer → mask name. */
function addMasks(g: GraphBuilder, fwd: Forward, layers: string[]): (layer: string) => string {
  const declared = new Set<number>();
  for (const l of layers) {
    const p = poolsBefore(l);
    if (declared.has(p)) continue;
    declared.add(p);
    const [, , h, w] = fwd.shapes[layerIndex(l)];
    g.input(names.mask(p), [1, 1, h, w]);
  }
  return (layer) => names.mask(poolsBefore(layer));
}

/** Pass 1: outputs `content_sq_<l>` (scalar) and `gram_sum_<l>` ([C,C]) over the owned positions. */
export function buildTilePass1Graph(spec: CropGraphSpec): Uint8Array {
  const g = new GraphBuilder();
  const layers = [...new Set([...spec.content, ...spec.style])];
  const fwd = addForward(g, { ...spec, deepest: deepestIndex(layers), indices: false, withBackward: false });
  const mask = addMasks(g, fwd, layers);
  for (const layer of spec.content) {
    const i = layerIndex(layer);
    const ops = graphOps(g, `content_${layer}`, fwd.shapes[i]);
    const { squares } = contentSquares(ops, fwd.relu[i], g.input(names.contentTarget(layer), fwd.shapes[i]), mask(layer));
    g.output(names.contentSquares(layer), squares, []);
  }
  for (const layer of spec.style) {
    const i = layerIndex(layer);
    const c = fwd.shapes[i][1];
    const ops = graphOps(g, `style_${layer}`, fwd.shapes[i]);
    g.output(names.gramSum(layer), ops.gramSum(maskedMatrix(ops, fwd.relu[i], mask(layer))), [c, c]);
  }
  return g.encode();
}

/** Head: inputs the summed `content_sq_<l>`, `gram_sum_<l>` and `style_target_<l>`; outputs `content`, `style` and `style_seed_<l>`. */
export function buildTileHeadGraph(loss: LossDescription, size: LayerSize): Uint8Array {
  const g = new GraphBuilder();
  const contentParts = loss.content.map(({ layer, weight }) => {
    const { positions, channels } = size(layer);
    return contentTerm(graphOps(g, `content_${layer}`), g.input(names.contentSquares(layer), []), weight, positions, channels);
  });
  const styleParts = loss.style.map(({ layer, weight }) => {
    const { positions, channels } = size(layer);
    const sum = g.input(names.gramSum(layer), [channels, channels]);
    const head = styleHead(graphOps(g, `style_${layer}`), loss, sum, g.input(names.styleTarget(layer), [channels, channels]), weight, positions, channels);
    g.output(names.styleSeed(layer), head.seedMatrix, [channels, channels]);
    return head.term;
  });
  g.output('content', g.sum(contentParts, 'content_sum'), []);
  g.output('style', g.sum(styleParts, 'style_sum'), []);
  return g.encode();
}

/** Pass 2: inputs the crop, masks, content targets and `style_seed_<l>`; output `grad` [1,h,w,3], the crop's share of the features' gradient. */
export function buildTilePass2Graph(spec: CropGraphSpec & { loss: LossDescription; size: LayerSize; maxPoolBackward: MaxPoolBackward }): Uint8Array {
  const g = new GraphBuilder();
  const { loss } = spec;
  const layers = [...new Set([...spec.content, ...spec.style])];
  const fwd = addForward(g, { ...spec, deepest: deepestIndex(layers), indices: spec.maxPoolBackward === 'unpool', withBackward: true });
  const mask = addMasks(g, fwd, layers);
  const seeds = new Map<number, string[]>();
  const seed = (i: number, s: string) => seeds.set(i, [...(seeds.get(i) ?? []), s]);
  for (const { layer, weight } of loss.content.filter((c) => spec.content.includes(c.layer))) {
    const i = layerIndex(layer);
    const { positions, channels } = spec.size(layer);
    const ops = graphOps(g, `content_${layer}`, fwd.shapes[i]);
    const { diff } = contentSquares(ops, fwd.relu[i], g.input(names.contentTarget(layer), fwd.shapes[i]), mask(layer));
    seed(i, contentSeed(ops, loss, diff, weight, positions, channels));
  }
  for (const layer of spec.style) {
    const i = layerIndex(layer);
    const c = fwd.shapes[i][1];
    const ops = graphOps(g, `style_${layer}`, fwd.shapes[i]);
    seed(i, styleSeed(ops, g.input(names.styleSeed(layer), [c, c]), maskedMatrix(ops, fwd.relu[i], mask(layer)), fwd.relu[i]));
  }
  g.output('grad', addBackward(g, fwd, seeds, spec.maxPoolBackward), [1, spec.height, spec.width, 3]);
  return g.encode();
}

/** TV of a whole image: input `x`; outputs `tv` and, when γ ≠ 0, `grad` = d(γ·tv)/dx. */
export function buildTvGraph(loss: LossDescription, height: number, width: number): Uint8Array {
  const g = new GraphBuilder();
  g.input('x', [1, height, width, 3]);
  const tv = totalVariation(graphOps(g, 'tv'), loss, 'x', height, width);
  g.output('tv', tv.tv, []);
  if (tv.grad) g.output('grad', tv.grad, [1, height, width, 3]);
  return g.encode();
}
