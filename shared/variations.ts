/**
 * Variations: N results of one content image in one job, sharing the style targets (the style
 * images' Gram matrices depend on neither the seed nor the strength). Variation i of N takes seed
 * + i (a different start with `init: 'noise'`) and the style weight β · spread^(i/(N−1) − ½), so
 * the N strengths run geometrically from β/√spread to β·√spread around the one asked for (odd N
 * includes β itself); spread 1 keeps β and varies the seed only. Zod-free: the plugin shares it.
 */

/** The fields of the params that variations read and vary. */
export interface VariationFields {
  seed: number;
  styleWeight: number;
  variations: number;
  variationSpread: number;
}

/** The largest seed the params accept (seeds wrap around below it). */
const SEED_RANGE = 2 ** 31;

/** The style-weight factor of variation `index` (0-based) of `count`. */
export function variationStrength(index: number, count: number, spread: number): number {
  return count <= 1 ? 1 : spread ** (index / (count - 1) - 0.5);
}

/** The params of variation `index` (0-based): one run of its own (`variations: 1`). */
export function variationParams<P extends VariationFields>(params: P, index: number): P {
  if (params.variations <= 1) return params;
  return {
    ...params,
    seed: (params.seed + index) % SEED_RANGE,
    styleWeight: params.styleWeight * variationStrength(index, params.variations, params.variationSpread),
    variations: 1,
  };
}
