/**
 * The loss's ONNX graph fragments, generated from THE description (../loss/description.ts): the
 * normalisers and gradient seeds come from its named functions. Each term is split where tiling
 * needs it split — a sum over feature positions first (tiles add these up), then the term and its
 * seed from the sums — so that the untiled graph and the tiled pass graphs are built from the same
 * pieces:
 *
 * - content: diff = (F − F(c))·mask → squares Σ diff² → term w·squares·contentMeanScale;
 *   seed contentSeedScale·diff;
 * - style: Fm = F·mask as a C×N matrix → gram sum FmFmᵀ → (head) term v·mean((sum·gramScale − A)²)
 *   and S = (dG + dGᵀ)·gramScale with dG = styleSeedScale·(G − A) → seed S·Fm;
 * - tv: the whole image's term and gradient (tiling leaves it untiled: it is a few image-sized ops).
 *
 * `mask` (1 on the tile's interior, 0 on its halo; absent untiled) selects the positions a tile owns.
 */
import {
  contentMeanScale,
  contentSeedScale,
  gramScale,
  styleMeanScale,
  styleSeedScale,
  TV_PIXEL_SCALE,
  tvMeanScale,
  tvSeedScale,
  type LossDescription,
} from '../../loss/description.js';
import type { GraphBuilder } from './graphBuilder.js';

/** Names of graph inputs and outputs shared by the builders and the evaluators that feed them. */
export const names = {
  contentTarget: (layer: string) => `content_target_${layer}`,
  styleTarget: (layer: string) => `style_target_${layer}`,
  /** Σ over owned positions of (F − F(c))², per content layer. */
  contentSquares: (layer: string) => `content_sq_${layer}`,
  /** Σ over owned positions of FᵀF (unnormalised), per style layer. */
  gramSum: (layer: string) => `gram_sum_${layer}`,
  /** The style seed matrix S_l, per style layer. */
  styleSeed: (layer: string) => `style_seed_${layer}`,
  /** The interior mask at `pools` poolings. */
  mask: (pools: number) => `mask_${pools}`,
};

/** diff = (F − target)·mask and its Σ of squares. */
export function contentSquares(g: GraphBuilder, features: string, target: string, layer: string, mask?: string): { diff: string; squares: string } {
  const raw = g.add('Sub', [features, target], `cdiff_${layer}`);
  const diff = mask ? g.add('Mul', [raw, mask], `cdiffm_${layer}`) : raw;
  const squares = g.add('ReduceSum', [g.add('Mul', [diff, diff], `csq_${layer}`)], `csum_${layer}`, { keepdims: 0 });
  return { diff, squares };
}

/** content_l·w_l from the Σ of squares over all N·C entries of the layer. */
export function contentTerm(g: GraphBuilder, squares: string, layer: string, weight: number, positions: number, channels: number): string {
  return g.add('Mul', [squares, g.scalar(weight * contentMeanScale(positions, channels))], `cterm_${layer}`);
}

/** d(α·w_l·content_l)/dF from diff. */
export function contentSeed(g: GraphBuilder, d: LossDescription, diff: string, layer: string, weight: number, positions: number, channels: number): string {
  return g.add('Mul', [diff, g.scalar(contentSeedScale(d, weight, positions, channels))], `cgrad_${layer}`);
}

/** Features [1,C,h,w] (times the mask) as a C×N matrix. */
export function featureMatrix(g: GraphBuilder, features: string, shape: [number, number, number, number], layer: string, mask?: string): string {
  const [, c, h, w] = shape;
  const masked = mask ? g.add('Mul', [features, mask], `fm_${layer}`) : features;
  return g.add('Reshape', [masked, g.ints([c, h * w])], `fmat_${layer}`);
}

/** The unnormalised Gram sum FFᵀ of a C×N matrix. */
export function gramSum(g: GraphBuilder, matrix: string, layer: string): string {
  return g.add('MatMul', [matrix, g.add('Transpose', [matrix], `fmatT_${layer}`, { perm: [1, 0] })], `ffT_${layer}`);
}

/**
 * From a layer's Gram sum over all its N positions: the term v_l·style_l and the seed matrix S_l
 * (d/dF = S_l·F for the C×N matrix F).
 */
export function styleHead(
  g: GraphBuilder,
  d: LossDescription,
  sum: string,
  target: string,
  layer: string,
  weight: number,
  positions: number,
  channels: number,
): { term: string; seedMatrix: string } {
  const { add, scalar } = g;
  const scale = gramScale(positions, channels);
  const e = add('Sub', [add('Mul', [sum, scalar(scale)], `gram_${layer}`), target], `gdiff_${layer}`);
  const squares = add('ReduceSum', [add('Mul', [e, e], `gsq_${layer}`)], `gsum_${layer}`, { keepdims: 0 });
  const term = add('Mul', [squares, scalar(weight * styleMeanScale(channels))], `sterm_${layer}`);
  const dG = add('Mul', [e, scalar(styleSeedScale(d, weight, channels) * scale)], `dG_${layer}`);
  const seedMatrix = add('Add', [dG, add('Transpose', [dG], `dGT_${layer}`, { perm: [1, 0] })], `dGsym_${layer}`);
  return { term, seedMatrix };
}

/** d(β·v_l·style_l)/dF in the layer's shape [1,C,h,w], from S_l and the (masked) C×N matrix. */
export function styleSeed(g: GraphBuilder, seedMatrix: string, matrix: string, shape: [number, number, number, number], layer: string): string {
  return g.add('Reshape', [g.add('MatMul', [seedMatrix, matrix], `dGF_${layer}`), g.ints(shape)], `sgrad_${layer}`);
}

/**
 * TV of the NHWC image `x` [1,H,W,3] and d(γ·tv)/dx: tv = Σ Δ²·tvMeanScale over y = x·TV_PIXEL_SCALE;
 * the gradient is tvSeedScale·Σ_axis (pad_before(Δ) − pad_after(Δ)). Returns `grad` undefined when γ
 * is 0 or the image is a single pixel.
 */
export function totalVariation(g: GraphBuilder, d: LossDescription, x: string, height: number, width: number): { tv: string; grad?: string } {
  const { add } = g;
  const parts: string[] = [];
  const grads: string[] = [];
  const y = add('Mul', [x, g.scalar(TV_PIXEL_SCALE)], 'tv_y');
  for (const [axis, len] of [[2, width], [1, height]] as const) {
    if (len < 2) continue;
    const along = g.ints([axis]);
    const later = add('Slice', [y, g.ints([1]), g.ints([len]), along], `tv_later${axis}`);
    const earlier = add('Slice', [y, g.ints([0]), g.ints([len - 1]), along], `tv_earlier${axis}`);
    const delta = add('Sub', [later, earlier], `tv_d${axis}`);
    parts.push(add('ReduceSum', [add('Mul', [delta, delta], `tv_sq${axis}`)], `tv_sum${axis}`, { keepdims: 0 }));
    const before = [0, 0, 0, 0, 0, 0, 0, 0];
    const after = [0, 0, 0, 0, 0, 0, 0, 0];
    before[axis] = 1; // pad at the start of the axis: Δ[j−1] lands on pixel j
    after[4 + axis] = 1; // pad at the end: Δ[j] lands on pixel j
    grads.push(add('Sub', [add('Pad', [delta, g.ints(before)], `tv_pb${axis}`), add('Pad', [delta, g.ints(after)], `tv_pa${axis}`)], `tv_g${axis}`));
  }
  const tv = add('Mul', [g.sum(parts, 'tv_total'), g.scalar(tvMeanScale(height, width))], 'tv_term');
  if (!grads.length || d.tvWeight === 0) return { tv };
  const grad = add('Mul', [grads.length === 1 ? grads[0] : add('Add', grads, 'tv_gsum'), g.scalar(tvSeedScale(d, height, width))], 'tv_grad');
  return { tv, grad };
}
