/**
 * One scale's optimisation, wherever it runs (../evaluate/chooseEvaluator.ts decides):
 *
 * - on the host: L-BFGS or Adam in TF.js, evaluating the scale's objective (TF.js or ONNX Runtime,
 *   untiled or tiled) once or more per iteration;
 * - on the device: Adam's step inside the loss graph on ONNX Runtime's WebGPU provider, the image
 *   and the moments kept in GPU memory between iterations (onDevice/ortDeviceAdam.ts).
 *
 * Either way the iterate stays inside the pixel box [0,255]: what the optimiser reaches is what is
 * delivered.
 */
import * as tf from '@tensorflow/tfjs';
import type { StylizeParams } from '../../../../shared/params.js';
import { checkpoint } from '../cancel.js';
import { chooseEvaluator, createScaleObjective, withOrtSetup } from '../evaluate/chooseEvaluator.js';
import { createOrtDeviceAdam } from './onDevice/ortDeviceAdam.js';
import type { Evaluation, Objective, ObjectiveOptions } from '../evaluate/objective.js';
import type { OrtRuntime } from '../evaluate/onnx/ortRuntime.js';
import { createAdam } from './adam.js';
import { PIXEL_BOX } from './box.js';
import { createLbfgs } from './lbfgs.js';
import { readScalars, type EvaluateFn, type Evaluated, type Optimizer, type ScaleRun } from './types.js';

export type { ScaleRun };
import type { LayerPlan } from '../loss/resolveLayers.js';
import type { LossTerms } from '../types.js';
import type { Vgg19 } from '../network/vgg19.js';

/** What a scale's run is made from. */
export interface ScaleRunOptions extends ObjectiveOptions {
  layers: LayerPlan;
  /** The starting image [1,H,W,3] (stays the caller's). */
  init: tf.Tensor4D;
  /** The scale's iteration budget (when Adam on the host reads the loss back). */
  planned: number;
}

/** The scale's run: on the device when chooseEvaluator says so, otherwise the host optimiser over the scale's objective. */
export async function createScaleRun(model: Vgg19, opts: ScaleRunOptions, runtime?: OrtRuntime): Promise<ScaleRun> {
  const { params, content, layers, signal } = opts;
  const adam = { learningRate: params.learningRate, bounds: PIXEL_BOX };
  const { adamOnDevice } = chooseEvaluator(model, runtime, content.shape[0], content.shape[1], { params, layers: [...layers.content, ...layers.style] });
  if (adamOnDevice && runtime) return withOrtSetup(model, opts, runtime, (setup) => createOrtDeviceAdam(runtime.context(model), setup, { adam, init: opts.init }));
  const objective = await createScaleObjective(model, opts, runtime);
  let optimizer: Optimizer<TermsEvaluated>;
  try {
    const evaluate = evaluator(objective, signal, lossReadsFor(params, opts.planned));
    optimizer = params.optimizer === 'adam' ? createAdam(opts.init, evaluate, adam) : createLbfgs(opts.init, evaluate, { historySize: params.historySize, bounds: PIXEL_BOX });
  } catch (err) {
    objective.dispose();
    throw err;
  }
  return {
    step: () => optimizer.step(),
    get terms() {
      return optimizer.last?.terms ?? NOT_READ;
    },
    get iterations() {
      return optimizer.iterations;
    },
    get evaluations() {
      return optimizer.evaluations;
    },
    image: async () => optimizer.x as tf.Tensor4D,
    termsAt: (x) => evaluateTerms(objective, x),
    dispose() {
      optimizer.dispose();
      objective.dispose();
    },
  };
}

const NOT_READ: LossTerms = { content: NaN, style: NaN, tv: NaN, total: NaN };

/** An evaluation with its loss terms read back. */
interface TermsEvaluated extends Evaluated {
  terms: LossTerms;
}

/** Reads an evaluation's loss and terms back (and disposes those scalars; the gradient stays). */
async function readTerms(e: Evaluation): Promise<LossTerms> {
  const [total, content, style, tv] = await readScalars([e.loss, e.terms.content, e.terms.style, e.terms.tv]);
  return { content, style, tv, total };
}

/** One loss evaluation at x with every term read back (its gradient is dropped). */
async function evaluateTerms(objective: Objective, x: tf.Tensor4D): Promise<LossTerms> {
  const e = await objective.evaluate(x);
  e.grad.dispose();
  return readTerms(e);
}

/**
 * Adam needs no loss value to step, so its loss terms are read back only every ADAM_LOSS_READ_EVERY
 * evaluations (and at the last one): each read-back waits for the device, and skipping them lets a
 * GPU run ahead. Between reads, progress carries the latest terms read. L-BFGS's line search needs
 * every loss, so it reads each one. (Adam on the device reads its three terms every iteration:
 * they are scalars of the same run.)
 */
const ADAM_LOSS_READ_EVERY = 10;

/** When the evaluator of a scale with `planned` iterations must read the loss back: evaluation number (1-based) → read or not. */
function lossReadsFor(params: StylizeParams, planned: number): (evaluation: number) => boolean {
  if (params.optimizer !== 'adam') return () => true;
  const every = params.previewEvery > 0 ? Math.min(ADAM_LOSS_READ_EVERY, params.previewEvery) : ADAM_LOSS_READ_EVERY;
  return (n) => n === 1 || n % every === 0 || n >= planned;
}

/** The loss+gradient function the optimiser calls: checks for cancellation, reads the terms back when it must. */
function evaluator(objective: Objective, signal: AbortSignal | undefined, mustRead: (evaluation: number) => boolean): EvaluateFn<TermsEvaluated> {
  let count = 0;
  let latest = NOT_READ;
  return async (x) => {
    await checkpoint(signal); // also lets an HTTP cancel arrive between evaluations on synchronous backends
    const e = await objective.evaluate(x as tf.Tensor4D);
    count++;
    if (!mustRead(count)) {
      tf.dispose([e.loss, e.terms.content, e.terms.style, e.terms.tv]);
      return { loss: latest.total, grad: e.grad, terms: latest };
    }
    latest = await readTerms(e);
    return { loss: latest.total, grad: e.grad, terms: latest };
  };
}
