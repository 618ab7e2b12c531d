/** The coarse-to-fine schedule of a multi-scale run. */

/** The coarsest scale's longer side is never below this (unless the output itself is smaller). */
export const MIN_SCALE_SIDE = 32;

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
