/**
 * The output size of every scale of a run, and the one check that the content and style images
 * are large enough (and not too elongated) for the chosen layers. It needs only image sizes, so
 * the server runs it at submit time, before a job is queued, and the engine again before it runs.
 */
import type { StylizeParams } from '../../../shared/params.js';
import { EngineError } from './errors.js';
import { minSideFor } from './layers.js';
import { fitLongerSide, type Size } from './resize.js';
import { scaleSizes } from './scales.js';

/** Sizes of each scale's output, coarse to fine; EngineError `bad_input` when an image would be too small at some scale. */
export function planSizes(
  content: Size,
  styles: readonly Size[],
  params: Pick<StylizeParams, 'size' | 'scales' | 'styleScale'>,
  kerasLayers: readonly string[],
): Size[] {
  const minSide = minSideFor(kerasLayers);
  const scales = scaleSizes(params.size, params.scales).map((side) => fitLongerSide(content.height, content.width, side));
  for (const { height, width } of scales) {
    if (Math.min(height, width) < minSide) {
      throw new EngineError('bad_input', `the output would be ${width}x${height}: too small (or too elongated) for the chosen layers, which need at least ${minSide} px on each side`);
    }
    for (const style of styles) {
      const st = fitLongerSide(style.height, style.width, Math.max(1, Math.round(Math.max(height, width) * params.styleScale)));
      if (Math.min(st.height, st.width) < minSide) {
        throw new EngineError('bad_input', `a style image would be ${st.width}x${st.height} at style scale ${params.styleScale}: too small for the chosen layers (at least ${minSide} px on each side)`);
      }
    }
  }
  return scales;
}
