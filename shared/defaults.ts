/** Defaults that figma-free, zod-free code (the plugin's main thread) needs too. */

/** β, the default style weight: tuned on real VGG-19 weights for a clearly stylised result that keeps the content. */
export const DEFAULT_STYLE_WEIGHT = 100;

/** Iterations of the final scale of a run (shared/schedule.ts gives the coarser scales more). */
export const DEFAULT_ITERATIONS = 100;
