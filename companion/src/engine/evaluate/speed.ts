/**
 * How fast this engine is: seconds per loss+gradient evaluation of a SPEED_REFERENCE_SIDE² image
 * with the default loss, measured with random images (so nothing but the compute is timed). A
 * client turns it into the time of any schedule with shared/schedule.ts's estimateSeconds.
 */
import * as tf from '@tensorflow/tfjs';
import { parseStylizeParams } from '../../../../shared/params.js';
import type { MeasuredSpeed } from '../../../../shared/schedule.js';
import { disposeEvaluation } from './objective.js';
import { createScaleObjective } from './chooseEvaluator.js';
import type { OrtRuntime } from './onnx/ortRuntime.js';
import type { Vgg19 } from '../network/vgg19.js';

/** The probe's image side: small enough to measure in well under a second on a CPU. */
export const SPEED_REFERENCE_SIDE = 128;

/**
 * Measures the speed on a side² image (SPEED_REFERENCE_SIDE by default; doctor's check uses its
 * own side): one warm-up evaluation, then the fastest of `samples` timed ones.
 */
export async function measureSpeed(model: Vgg19, samples = 2, runtime?: OrtRuntime, side = SPEED_REFERENCE_SIDE): Promise<MeasuredSpeed> {
  const [content, style] = tf.tidy(() => [tf.randomUniform([side, side, 3], 0, 255, 'float32', 1), tf.randomUniform([side, side, 3], 0, 255, 'float32', 2)] as tf.Tensor3D[]);
  const x = tf.expandDims(content, 0) as tf.Tensor4D;
  const objective = await createScaleObjective(model, { content, styles: [style], params: parseStylizeParams({ size: side }) }, runtime);
  try {
    let best = Infinity;
    for (let i = 0; i <= samples; i++) {
      const t0 = performance.now();
      const e = await objective.evaluate(x);
      await e.loss.data(); // wait for the device
      disposeEvaluation(e);
      if (i > 0) best = Math.min(best, (performance.now() - t0) / 1000);
    }
    return { referenceSide: side, secondsPerEvaluation: best };
  } finally {
    objective.dispose();
    tf.dispose([content, style, x]);
  }
}
