/**
 * THE description of Atelier's loss: which layers, with which weights, and every normaliser and
 * gradient seed, as data plus a few named functions. Every evaluator is generated from it — the
 * TF.js autodiff reference (tfjsLoss.ts), the ONNX forward+backward graph, the tiled pass graphs
 * (../evaluate/onnx/) and TF.js's tiled passes — so no constant below is typed anywhere else.
 *
 * Exactly (x = the image, c = the content image, s_k = the style images, F_l = the ReLU output of
 * VGG-19 layer l for the preprocessed image as an N_l × C_l matrix, N_l = H_l·W_l positions):
 *
 * - content(x) = Σ_l w_l · mean((F_l(x) − F_l(c))²)           mean over N_l·C_l entries
 * - G_l(x) = F_l(x)ᵀ F_l(x) / (N_l·C_l)                          C_l × C_l
 * - style(x) = Σ_l v_l · mean((G_l(x) − A_l)²),  A_l = Σ_k b_k G_l(s_k)   mean over C_l² entries
 * - tv(x) = Σ_{i,j,ch} [(y[i,j+1]−y[i,j])² + (y[i+1,j]−y[i,j])²] / (H·W·3),  y = x/255;
 *   a difference whose neighbour lies outside the image counts 0
 * - total(x) = α·content + β·style + γ·tv
 *
 * w_l, v_l and b_k are each normalised to sum 1 (equal by default). Reported terms are content,
 * style and tv UNWEIGHTED, and total weighted.
 *
 * Gradients (what the hand-written evaluators seed their backward pass with):
 * - d(α·w_l·content_l)/dF_l = contentSeedScale · (F_l − F_l(c))
 * - with E_l = G_l − A_l and dG_l = styleSeedScale · E_l (the gradient of β·v_l·style_l in G_l):
 *   d/dF_l = F_l · (dG_l + dG_lᵀ) · gramScale        (G is symmetric in F; see ops.gram)
 * - d(γ·tv)/dx = tvSeedScale · Σ_axis (Δ[j−1] − Δ[j]) with Δ the neighbour differences of y
 */
import type { StylizeParams } from '../../../../shared/params.js';
import { EngineError } from '../errors.js';

/** One weighted layer of a term. */
export interface WeightedLayer {
  /** Keras name, e.g. `block4_conv2`. */
  layer: string;
  /** w_l or v_l (each list sums to 1). */
  weight: number;
}

/** The loss of one run, whatever evaluates it. */
export interface LossDescription {
  content: WeightedLayer[];
  style: WeightedLayer[];
  /** α, β, γ. */
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
  pooling: 'max' | 'avg';
}

/** The description for a run's parameters and resolved layers. */
export function describeLoss(
  params: Pick<StylizeParams, 'contentWeight' | 'styleWeight' | 'tvWeight' | 'pooling'>,
  plan: { content: string[]; contentWeights: number[]; style: string[]; styleWeights: number[] },
): LossDescription {
  return {
    content: plan.content.map((layer, i) => ({ layer, weight: plan.contentWeights[i] })),
    style: plan.style.map((layer, i) => ({ layer, weight: plan.styleWeights[i] })),
    contentWeight: params.contentWeight,
    styleWeight: params.styleWeight,
    tvWeight: params.tvWeight,
    pooling: params.pooling,
  };
}

/** Normalises non-negative weights to sum 1 (equal when none are given); EngineError `bad_input` on a bad list. */
export function normalizeWeights(weights: readonly number[] | undefined, count: number, what = 'weights'): number[] {
  const w = weights ?? new Array<number>(count).fill(1);
  if (w.length !== count) throw new EngineError('bad_input', `${what}: expected ${count} value(s), got ${w.length}`);
  if (w.some((v) => !Number.isFinite(v) || v < 0)) throw new EngineError('bad_input', `${what} must be finite and non-negative`);
  const total = w.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new EngineError('bad_input', `${what} must not all be zero`);
  return w.map((v) => v / total);
}

/** Every layer the loss reads, content layers first, each once. */
export function usedLayers(d: Pick<LossDescription, 'content' | 'style'>): string[] {
  return [...new Set([...d.content.map((c) => c.layer), ...d.style.map((s) => s.layer)])];
}

/** Unweighted terms as numbers. */
export interface TermValues {
  content: number;
  style: number;
  tv: number;
}

/** The three terms, in the order they are reported. */
export const TERMS = ['content', 'style', 'tv'] as const;

/** Each term's weight in the total: α, β, γ. */
export function termWeights(d: Pick<LossDescription, 'contentWeight' | 'styleWeight' | 'tvWeight'>): TermValues {
  return { content: d.contentWeight, style: d.styleWeight, tv: d.tvWeight };
}

/** total = α·content + β·style + γ·tv. */
export function weightedTotal(d: Pick<LossDescription, 'contentWeight' | 'styleWeight' | 'tvWeight'>, t: TermValues): number {
  const w = termWeights(d);
  return TERMS.reduce((sum, k) => sum + w[k] * t[k], 0);
}

/** The Gram normaliser 1/(N·C): G = FᵀF · gramScale(N, C), N positions, C channels. */
export function gramScale(positions: number, channels: number): number {
  return 1 / (positions * channels);
}

/** The style term's mean over the C² entries of G − A. */
export function styleMeanScale(channels: number): number {
  return 1 / (channels * channels);
}

/** The content term's mean over the N·C entries of F − F(c). */
export function contentMeanScale(positions: number, channels: number): number {
  return 1 / (positions * channels);
}

/** Pixel values scale for TV: y = x · TV_PIXEL_SCALE (RGB 0..255 → 0..1). */
export const TV_PIXEL_SCALE = 1 / 255;

/** TV's mean over the H·W·3 values of the image. */
export function tvMeanScale(height: number, width: number): number {
  return 1 / (height * width * 3);
}

/** d(α·w·content_l)/dF = contentSeedScale · (F − F(c)). */
export function contentSeedScale(d: Pick<LossDescription, 'contentWeight'>, weight: number, positions: number, channels: number): number {
  return 2 * d.contentWeight * weight * contentMeanScale(positions, channels);
}

/** d(β·v·style_l)/dG = styleSeedScale · (G − A). */
export function styleSeedScale(d: Pick<LossDescription, 'styleWeight'>, weight: number, channels: number): number {
  return 2 * d.styleWeight * weight * styleMeanScale(channels);
}

/** d(γ·tv)/dx = tvSeedScale · Σ_axis (Δ[j−1] − Δ[j]), Δ the neighbour differences of y = x/255. */
export function tvSeedScale(d: Pick<LossDescription, 'tvWeight'>, height: number, width: number): number {
  return 2 * d.tvWeight * TV_PIXEL_SCALE * tvMeanScale(height, width);
}
