/**
 * The coarse-to-fine schedule: which sizes a run optimises at, and how many iterations each gets.
 * One description, used by the engine (what it runs), its ETA, and the plugin's time estimates.
 * Zod-free and figma-free, so every part of Atelier can import it.
 *
 * Why this shape (measured by `npm run bench -- schedule`, see the README): an evaluation at half the
 * side costs a quarter, and the coarse scales find the large-scale arrangement of the style that the
 * full-size run would otherwise spend most of its evaluations on. So the default starts around
 * AUTO_START_SIDE and doubles up to the requested size, each coarser scale running
 * COARSE_ITERATION_GROWTH times the iterations of the next finer one.
 */

/** The coarsest scale of an automatic schedule is about this long on its longer side. */
export const AUTO_START_SIDE = 128;
/** The coarsest scale is never below this (unless the output itself is smaller). */
export const MIN_SCALE_SIDE = 32;
/** Each coarser scale runs this many times the iterations of the next finer one. */
export const COARSE_ITERATION_GROWTH = 2;
/**
 * A scale stops early when its loss fell by less than STOP_TOLERANCE (relative) over the last
 * STOP_WINDOW iterations: the optimiser has stalled there, and the next scale does better with the time.
 */
export const STOP_WINDOW = 10;
export const STOP_TOLERANCE = 2e-3;
/** L-BFGS evaluates the loss about this many times per iteration (its line search), Adam once. */
export const EVALUATIONS_PER_ITERATION = { lbfgs: 1.1, adam: 1 } as const;

/** `scales` as callers give it: 'auto' (coarse-to-fine from AUTO_START_SIDE) or an explicit count (1 = single scale). */
export type ScalesSetting = 'auto' | number;

/** One scale of a run: its longer side and its iteration budget. */
export interface ScalePlan {
  side: number;
  iterations: number;
}

/** How many scales 'auto' means for an output of longer side `size`: doublings from about AUTO_START_SIDE. */
export function autoScaleCount(size: number): number {
  return size <= AUTO_START_SIDE ? 1 : 1 + Math.max(0, Math.round(Math.log2(size / AUTO_START_SIDE)));
}

/**
 * Longer sides of the scales, coarse to fine, ending at `size`: geometric with ratio 2
 * (size/2^(N−1), …, size/2, size) when the coarsest stays ≥ MIN_SCALE_SIDE; otherwise geometric
 * from MIN_SCALE_SIDE to `size` in N steps.
 */
export function scaleSizes(size: number, scales: number): number[] {
  if (scales <= 1) return [size];
  const coarsest = Math.max(size / 2 ** (scales - 1), Math.min(size, MIN_SCALE_SIDE));
  const ratio = (size / coarsest) ** (1 / (scales - 1));
  return Array.from({ length: scales }, (_, i) => (i === scales - 1 ? size : Math.round(coarsest * ratio ** i)));
}

/**
 * The scales of a run: `iterations` is the budget of the final (full-size) scale, and each coarser
 * scale gets COARSE_ITERATION_GROWTH times the next finer one's.
 */
export function planSchedule(size: number, scales: ScalesSetting, iterations: number): ScalePlan[] {
  const n = scales === 'auto' ? autoScaleCount(size) : scales;
  const sides = scaleSizes(size, n);
  return sides.map((side, i) => ({ side, iterations: Math.round(iterations * COARSE_ITERATION_GROWTH ** (n - 1 - i)) }));
}

/**
 * The schedule's work in evaluations of a `referenceSide`² image (an evaluation's cost grows with
 * its pixels); `aspect` is the image's shorter side over its longer one.
 */
export function scheduleWork(plan: ScalePlan[], optimizer: keyof typeof EVALUATIONS_PER_ITERATION, referenceSide: number, aspect = 1): number {
  return plan.reduce((w, s) => w + s.iterations * EVALUATIONS_PER_ITERATION[optimizer] * ((s.side / referenceSide) ** 2) * aspect, 0);
}

/**
 * A companion's speed: seconds per loss+gradient evaluation of a referenceSide² image, measured at
 * its start; `bySize`, once jobs have finished, the same learned from whole jobs of about that
 * output size (their set-up, early stops and the machine's load included).
 */
export interface MeasuredSpeed {
  referenceSide: number;
  secondsPerEvaluation: number;
  bySize?: { size: number; secondsPerEvaluation: number }[];
}

/** Seconds per evaluation for a run of output side `size`: the learned entry nearest in scale (log2), else the measured one. */
export function secondsPerEvaluationAt(speed: MeasuredSpeed, size: number): number {
  let best: { d: number; s: number } | null = null;
  for (const e of speed.bySize ?? []) {
    const d = Math.abs(Math.log2(e.size / Math.max(1, size)));
    if (!best || d < best.d) best = { d, s: e.secondsPerEvaluation };
  }
  return best?.s ?? speed.secondsPerEvaluation;
}

/** Estimated seconds to run `plan` at `speed` (at the speed learned for its output size, when known); `aspect` as in scheduleWork. */
export function estimateSeconds(plan: ScalePlan[], optimizer: keyof typeof EVALUATIONS_PER_ITERATION, speed: MeasuredSpeed, aspect = 1): number {
  const size = plan.length ? plan[plan.length - 1].side : speed.referenceSide;
  return scheduleWork(plan, optimizer, speed.referenceSide, aspect) * secondsPerEvaluationAt(speed, size);
}

/** Whether a scale should stop: its loss fell by less than STOP_TOLERANCE over the last STOP_WINDOW iterations. */
export function stalled(losses: number[]): boolean {
  if (losses.length <= STOP_WINDOW) return false;
  const now = losses[losses.length - 1];
  const before = losses[losses.length - 1 - STOP_WINDOW];
  return Number.isFinite(now) && Number.isFinite(before) && before - now < STOP_TOLERANCE * Math.abs(now);
}
