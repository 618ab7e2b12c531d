/**
 * The loss's terms and their hand-written gradients, written ONCE over a small set of operations
 * (`LossOps<T>`, the pattern of ../optimise/adamStep.ts), instantiated for TF.js tensors
 * (tfjsOps.ts: the TF.js tiled evaluator) and for ONNX graph values (../evaluate/onnx/graphOps.ts:
 * every ONNX graph). The TF.js autodiff reference (tfjsLoss.ts) is deliberately NOT written from
 * these: it is the independent check that they are right. Constants come from description.ts.
 *
 * Each term is split where tiling needs it split — a sum over feature positions first (tiles add
 * these up), then the term and its seed from the sums — so that untiled and tiled evaluations are
 * built from the same pieces:
 *
 * - content: diff = (F − F(c))·mask → squares Σ diff² → term w·squares·contentMeanScale;
 *   seed contentSeedScale·diff;
 * - style: Fm = F·mask → Gram sum ΣFmᵀFm → (head) term v·mean((sum·gramScale − A)²) and
 *   S = (dG + dGᵀ)·gramScale with dG = styleSeedScale·(G − A) → seed Fm·S;
 * - tv: the whole image's term and gradient (tiling leaves it untiled: it is a few image-sized ops).
 *
 * `mask` (1 on the positions a tile owns, 0 on its halo; absent untiled) is a per-position weight:
 * it is where the next features plug in. Style masks/regions (guided Gram matrices) are Grams of
 * mask-weighted features — `gramSum(masked(F, region))` per region with its own target and a
 * `styleHead` each, the tile's interior mask multiplied in. Wrapped (seamless) images change only
 * `totalVariation` (circular differences: the last pixel's neighbour is the first) and the
 * network's padding (circular), not the terms' algebra.
 */
import { contentMeanScale, contentSeedScale, gramScale, styleMeanScale, styleSeedScale, TV_PIXEL_SCALE, tvMeanScale, tvSeedScale, type LossDescription } from './description.js';

/** What the terms need of a tensor representation T (TF.js tensors, ONNX graph value names). */
export interface LossOps<T> {
  /** A scalar constant. */
  scalar(value: number): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  /** Element-wise, broadcasting (a mask [.., 1, h, w] or a scalar). */
  mul(a: T, b: T): T;
  /** Σ of every element, as a scalar. */
  sum(a: T): T;
  /** The transpose of a matrix. */
  transpose(a: T): T;
  /** Features as the layout's position×channel matrix F (TF.js: N×C; ONNX: C×N, i.e. Fᵀ). */
  featureMatrix(features: T): T;
  /** The unnormalised Gram sum FᵀF (C×C) of a feature matrix. */
  gramSum(matrix: T): T;
  /** F·S for a feature matrix F and a symmetric C×C matrix S, in the features' own shape. */
  timesSeed(matrix: T, seed: T, featuresLike: T): T;
  /** `a` from index `start` to `end` (exclusive) along `axis` of the NHWC image. */
  slice(a: T, axis: number, start: number, end: number): T;
  /** `a` zero-padded by `before`/`after` along `axis` of the NHWC image. */
  pad(a: T, axis: number, before: number, after: number): T;
  /** A name for the values that follow (graph value names; ignored by TF.js). */
  scope(name: string): LossOps<T>;
}

/** A content layer's diff = (F − F(c))·mask and its Σ of squares. */
export function contentSquares<T>(ops: LossOps<T>, features: T, target: T, mask?: T): { diff: T; squares: T } {
  const raw = ops.sub(features, target);
  const diff = mask === undefined ? raw : ops.mul(raw, mask);
  return { diff, squares: ops.sum(ops.mul(diff, diff)) };
}

/** content_l·w_l from the Σ of squares over all N·C entries of the layer. */
export function contentTerm<T>(ops: LossOps<T>, squares: T, weight: number, positions: number, channels: number): T {
  return ops.mul(squares, ops.scalar(weight * contentMeanScale(positions, channels)));
}

/** d(α·w_l·content_l)/dF from diff. */
export function contentSeed<T>(ops: LossOps<T>, d: Pick<LossDescription, 'contentWeight'>, diff: T, weight: number, positions: number, channels: number): T {
  return ops.mul(diff, ops.scalar(contentSeedScale(d, weight, positions, channels)));
}

/** Features times a per-position mask, as the layout's feature matrix (the Gram's and the style seed's F). */
export function maskedMatrix<T>(ops: LossOps<T>, features: T, mask?: T): T {
  return ops.featureMatrix(mask === undefined ? features : ops.mul(features, mask));
}

/**
 * From a style layer's Gram sum over all its N positions: the term v_l·style_l and the seed matrix
 * S_l (d/dF = F·S_l for the feature matrix F).
 */
export function styleHead<T>(
  ops: LossOps<T>,
  d: Pick<LossDescription, 'styleWeight'>,
  sum: T,
  target: T,
  weight: number,
  positions: number,
  channels: number,
): { term: T; seedMatrix: T } {
  const scale = gramScale(positions, channels);
  const e = ops.sub(ops.mul(sum, ops.scalar(scale)), target);
  const term = ops.mul(ops.sum(ops.mul(e, e)), ops.scalar(weight * styleMeanScale(channels)));
  const dG = ops.mul(e, ops.scalar(styleSeedScale(d, weight, channels) * scale));
  return { term, seedMatrix: ops.add(dG, ops.transpose(dG)) };
}

/** d(β·v_l·style_l)/dF in the features' shape, from S_l and the (masked) feature matrix. */
export function styleSeed<T>(ops: LossOps<T>, seedMatrix: T, matrix: T, features: T): T {
  return ops.timesSeed(matrix, seedMatrix, features);
}

/**
 * TV of the NHWC image `x` [1,H,W,3] and d(γ·tv)/dx: tv = Σ Δ²·tvMeanScale over y = x·TV_PIXEL_SCALE;
 * the gradient is tvSeedScale·Σ_axis (pad_before(Δ) − pad_after(Δ)) (Δ[j−1] − Δ[j] at pixel j).
 * `grad` is undefined when γ is 0 or the image is a single pixel.
 */
export function totalVariation<T>(ops: LossOps<T>, d: Pick<LossDescription, 'tvWeight'>, x: T, height: number, width: number): { tv: T; grad?: T } {
  const parts: T[] = [];
  const grads: T[] = [];
  const y = ops.mul(x, ops.scalar(TV_PIXEL_SCALE));
  for (const [axis, len] of [[2, width], [1, height]] as const) {
    if (len < 2) continue;
    const at = ops.scope(`tv${axis}`);
    const delta = at.sub(at.slice(y, axis, 1, len), at.slice(y, axis, 0, len - 1));
    parts.push(at.sum(at.mul(delta, delta)));
    grads.push(at.sub(at.pad(delta, axis, 1, 0), at.pad(delta, axis, 0, 1)));
  }
  const total = parts.length === 0 ? ops.scalar(0) : parts.reduce((a, b) => ops.add(a, b));
  const tv = ops.mul(total, ops.scalar(tvMeanScale(height, width)));
  if (!grads.length || d.tvWeight === 0) return { tv };
  return { tv, grad: ops.mul(grads.reduce((a, b) => ops.add(a, b)), ops.scalar(tvSeedScale(d, height, width))) };
}
