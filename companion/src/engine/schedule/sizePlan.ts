/**
 * The size and iteration budget of every scale of a run (shared/schedule.ts), and the one check that
 * the content and style images are large enough (and not too elongated) for the chosen layers. It
 * needs only image sizes, so the server runs it at submit time, before a job is queued, and the
 * engine again before it runs.
 */
import type { StylizeParams } from '../../../../shared/params.js';
import { planSchedule } from '../../../../shared/schedule.js';
import { EngineError } from '../errors.js';
import { minSideFor } from '../network/layers.js';
import { fitLongerSide, type Size } from '../image/resize.js';

/** One scale of a run: its image size and iteration budget. */
export interface PlannedScale {
  size: Size;
  iterations: number;
}

/**
 * The scales, coarse to fine; EngineError `bad_input` when an image would be too small at some
 * scale. An automatic schedule leaves out coarse scales that would be too small for the layers.
 */
export function planScales(
  content: Size,
  styles: readonly Size[],
  params: Pick<StylizeParams, 'size' | 'scales' | 'iterations' | 'styleScale'>,
  kerasLayers: readonly string[],
): PlannedScale[] {
  const minSide = minSideFor(kerasLayers);
  const scales = planSchedule(params.size, params.scales, params.iterations).map((s) => ({
    size: fitLongerSide(content, s.side),
    iterations: s.iterations,
  }));
  const problems = scales.map((s) => sizeProblem(s.size, styles, params.styleScale, minSide));
  const kept = params.scales === 'auto' ? scales.filter((_, i) => i === scales.length - 1 || !problems[i]) : scales;
  const problem = params.scales === 'auto' ? problems[problems.length - 1] : problems.find(Boolean);
  if (problem) throw new EngineError('bad_input', problem);
  return kept;
}

/** Why an output of `size` cannot run with these layers, or null. */
function sizeProblem({ height, width }: Size, styles: readonly Size[], styleScale: number, minSide: number): string | null {
  if (Math.min(height, width) < minSide) {
    return `the output would be ${width}x${height}: too small (or too elongated) for the chosen layers, which need at least ${minSide} px on each side`;
  }
  for (const style of styles) {
    const st = fitLongerSide(style, Math.max(1, Math.round(Math.max(height, width) * styleScale)));
    if (Math.min(st.height, st.width) < minSide) {
      return `a style image would be ${st.width}x${st.height} at style scale ${styleScale}: too small for the chosen layers (at least ${minSide} px on each side)`;
    }
  }
  return null;
}
