/**
 * The benchmark's workload: VGG-19 at its real channel widths with random (seeded) weights, and
 * the Gatys objective configured exactly like ../shared/bench/torch_gatys.py — content relu4_2,
 * style relu1_1..relu5_1 with equal weights (1/5 each), Gram /(C·H·W), total = content + 1e6·style,
 * no total variation, max pooling.
 */
import * as tf from '@tensorflow/tfjs';
import { parseStylizeParams } from '../../shared/params.js';
import { VGG19_LAYERS } from '../../companion/src/engine/network/layers.js';
import { Vgg19 } from '../../companion/src/engine/network/vgg19.js';
import type { OrtRuntime } from '../../companion/src/engine/evaluate/onnx/ortRuntime.js';
import { createScaleObjective } from '../../companion/src/engine/evaluate/chooseEvaluator.js';
import { type Objective } from '../../companion/src/engine/evaluate/objective.js';
import type { VggWeights } from '../../companion/src/engine/types.js';

/** torch_gatys.py's style weight. */
export const TORCH_STYLE_WEIGHT = 1e6;

/** Random He-initialised VGG-19 weights up to `upTo` (default block5_conv1, where torch_gatys.py cuts). */
export function randomVggWeights(seed = 0, upTo = 'block5_conv1'): VggWeights {
  const weights: VggWeights = new Map();
  for (const [i, layer] of VGG19_LAYERS.entries()) {
    const std = Math.sqrt(2 / (9 * layer.inChannels));
    weights.set(layer.name, {
      kernel: tf.randomNormal([3, 3, layer.inChannels, layer.outChannels], 0, std, 'float32', seed + i) as tf.Tensor4D,
      bias: tf.randomUniform([layer.outChannels], -0.05, 0.05, 'float32', seed + 100 + i) as tf.Tensor1D,
    });
    if (layer.name === upTo) break;
  }
  return weights;
}

/** A ready objective at size×size with random content and style images, plus the image to evaluate at. */
export interface GatysWorkload {
  model: Vgg19;
  objective: Objective;
  x: tf.Tensor4D;
  dispose(): void;
}

/** Builds the torch-matched workload at size×size on the active backend (through `runtime` when given). */
export async function createGatysWorkload(size: number, pooling: 'max' | 'avg' = 'max', runtime?: OrtRuntime): Promise<GatysWorkload> {
  const model = new Vgg19(randomVggWeights());
  const content = tf.randomUniform([size, size, 3], 0, 255, 'float32', 1) as tf.Tensor3D;
  const style = tf.randomUniform([size, size, 3], 0, 255, 'float32', 2) as tf.Tensor3D;
  const params = parseStylizeParams({ size, contentWeight: 1, styleWeight: TORCH_STYLE_WEIGHT, tvWeight: 0, pooling });
  const objective = await createScaleObjective(model, { content, styles: [style], params }, runtime);
  const x = tf.expandDims(content, 0) as tf.Tensor4D;
  style.dispose();
  return {
    model,
    objective,
    x,
    dispose() {
      objective.dispose();
      model.dispose();
      tf.dispose([x, content]);
    },
  };
}
