/**
 * The one place that chooses how a scale's loss is evaluated, and where its optimiser runs, from
 * (runtime, image size, memory budget, optimiser):
 *
 * | runtime       | fits untiled (tileFor = 0)        | otherwise                              |
 * |---------------|-----------------------------------|----------------------------------------|
 * | ONNX Runtime  | onnx/ortObjective.ts (one graph)  | onnx/ortTiledObjective.ts (pass graphs) |
 * | TF.js only    | objective.ts (autodiff)           | tiledObjective.ts (TF.js passes)       |
 *
 * The optimiser runs in TF.js on the host (../optimise/scaleRun.ts), except Adam on ONNX Runtime's WebGPU
 * provider at an untiled scale: its step joins the loss graph and the image and its moments stay
 * on the device (../optimise/onDevice/ortDeviceAdam.ts). L-BFGS always stays on the host (its line search needs
 * host-side vector operations and every loss value).
 *
 * The style targets go the same way: through the style-target cache, computed by the chosen
 * runtime, tile by tile when the resized style image is larger than a tile. The network (Vgg19)
 * carries no runtime; the runtime comes from the backend (../runtime/backend.ts) and is passed in.
 */
import * as tf from '@tensorflow/tfjs';
import { describeLoss } from '../loss/description.js';
import { createObjective, type GramsOf, type Objective, type ObjectiveOptions } from './objective.js';
import { createTiledObjective, tiledGrams } from './tiledObjective.js';
import { resolveLayers } from '../loss/resolveLayers.js';
import { blendedStyleTargets, gramsOfFeatures, tfjsGrams } from '../loss/styleTargets.js';
import { defaultMemoryBudgetMiB, tileFor } from './tiling.js';
import type { OrtObjectiveSetup, OrtRuntime } from './onnx/ortRuntime.js';
import type { Vgg19 } from '../network/vgg19.js';

/** How one scale is evaluated. */
export interface EvaluatorChoice {
  runtime: 'onnx' | 'tfjs';
  /** Tile size in px, 0 = untiled. */
  tile: number;
  /** Adam's step runs in the loss graph on the device, its state resident there (see above). */
  adamOnDevice: boolean;
}

/** The evaluator for an h×w image of a run (see the table above). */
export function chooseEvaluator(model: Vgg19, runtime: OrtRuntime | undefined, height: number, width: number, opts: Pick<ObjectiveOptions, 'params'> & { layers: string[] }): EvaluatorChoice {
  const tile = tileFor(height, width, opts.params, opts.layers, {
    channels: model.channels,
    // ONNX Runtime works in host memory: it tiles what its limit does not hold; TF.js backends by their own budget.
    fallbackBudgetMiB: runtime ? Math.floor(runtime.memoryLimitBytes / 2 ** 20) : defaultMemoryBudgetMiB(tf.getBackend()),
    untiledLimitBytes: runtime?.memoryLimitBytes,
  });
  const adamOnDevice = runtime?.provider === 'webgpu' && tile === 0 && opts.params.optimizer === 'adam';
  return { runtime: runtime ? 'onnx' : 'tfjs', tile, adamOnDevice };
}

/** Gram matrices through the runtime: untiled when the image fits, tile by tile otherwise. */
function gramsOf(model: Vgg19, runtime: OrtRuntime | undefined, params: ObjectiveOptions['params']): GramsOf {
  return async (image, layers) => {
    const { tile } = chooseEvaluator(model, runtime, image.shape[1], image.shape[2], { params, layers });
    if (!runtime) return tile > 0 ? tiledGrams(model, image, layers, params.pooling, tile) : tfjsGrams(model, params.pooling)(image, layers);
    if (tile > 0) return runtime.tiledGrams(model, image, layers, params.pooling, tile);
    const feats = await runtime.features(model, image, layers, params.pooling);
    try {
      return gramsOfFeatures(feats, layers);
    } finally {
      tf.dispose([...feats.values()]);
    }
  };
}

/** The objective of one scale, evaluated as chooseEvaluator says. */
export async function createScaleObjective(model: Vgg19, opts: ObjectiveOptions, runtime?: OrtRuntime): Promise<Objective> {
  const { params, content } = opts;
  const plan = opts.layers ?? resolveLayers(params, model.availableLayers);
  const [height, width] = content.shape;
  const { tile } = chooseEvaluator(model, runtime, height, width, { params, layers: [...plan.content, ...plan.style] });
  const withGrams = { ...opts, layers: plan, gramsOf: gramsOf(model, runtime, params) };
  if (!runtime) return tile > 0 ? createTiledObjective(model, { ...withGrams, tile }) : createObjective(model, withGrams);
  return withOrtSetup(model, opts, runtime, (setup) => runtime.createObjective(model, setup, tile));
}

/** Computes the scale's blended style targets through the runtime and hands them to `create`, which owns them on success. */
export async function withOrtSetup<T>(model: Vgg19, opts: ObjectiveOptions, runtime: OrtRuntime, create: (setup: OrtObjectiveSetup) => Promise<T>): Promise<T> {
  const { params, content } = opts;
  const plan = opts.layers ?? resolveLayers(params, model.availableLayers);
  const [height, width] = content.shape;
  const style = await blendedStyleTargets(model, { styles: opts.styles, params, height, width, layers: plan.style, cache: opts.styleTargets, gramsOf: gramsOf(model, runtime, params) });
  try {
    return await create({ height, width, loss: describeLoss(params, plan), plan, content, styleTargets: style.grams, signal: opts.signal, release: style.release });
  } catch (err) {
    style.release();
    throw err;
  }
}
