/**
 * The multi-scale driver: (content, styles, params) → image. Read it top to bottom:
 * check the request, plan the layers and the scales, then for each scale (coarse to fine) build
 * the objective, initialise the image (content / seeded noise / given image, or the content plus the
 * previous scale's change upsampled), run the box-constrained optimiser with progress, previews and
 * cancellation, and at the last scale apply the original colours and report the delivered image's
 * losses. Every tensor created here is disposed on success, failure and cancel.
 */
import * as tf from '@tensorflow/tfjs';
import type { StylizeParams } from '../../../shared/params.js';
import { EngineError } from './errors.js';
import type { Evaluation, Objective } from './objective.js';
import { createScaleObjective } from './chooseEvaluator.js';
import type { OrtRuntime } from './onnx/ortRuntime.js';
import { throwIfAborted, yieldToEventLoop } from './cancel.js';
import { createAdam } from './optimizers/adam.js';
import { createLbfgs } from './optimizers/lbfgs.js';
import { readScalars, type EvaluateFn, type Evaluated, type Optimizer } from './optimizers/types.js';
import { resolveLayers } from './resolveLayers.js';
import { resizeTensor, sizeOf, type Size } from './resize.js';
import { noiseImage } from './random.js';
import { transferLuminance } from './colors.js';
import { makePreview } from './preview.js';
import { stalled } from '../../../shared/schedule.js';
import { PIXEL_BOX } from './optimizers/box.js';
import { createEtaClock } from './eta.js';
import { planScales } from './sizePlan.js';
import { createStyleTargetCache } from './styleTargets.js';
import type { LossTerms, Progress, RgbImage, StylizeRequest, StylizeResult } from './types.js';
import type { Vgg19 } from './vgg19.js';

/** An evaluation with its loss terms read back. */
interface TermsEvaluated extends Evaluated {
  terms: LossTerms;
}

/**
 * Stylizes req.content with req.styles; resolves with the image (owned by the caller) and a report.
 * `runtime` (the onnx backends') evaluates the loss; without it TF.js does (chooseEvaluator.ts).
 */
export async function stylize(model: Vgg19, req: StylizeRequest, runtime?: OrtRuntime): Promise<StylizeResult> {
  const started = performance.now();
  const { params, signal } = req;
  throwIfAborted(signal);
  checkRequest(req);
  const plan = resolveLayers(params, model.availableLayers);
  const schedule = planScales(sizeOf(req.content), req.styles.map(sizeOf), params, [...plan.content, ...plan.style]);

  const cache = req.styleTargets ?? createStyleTargetCache();
  const eta = createEtaClock(schedule.map((s) => ({ pixels: s.size.height * s.size.width, iterations: s.iterations })), params.optimizer);
  let coarseChange: tf.Tensor4D | null = null; // what the previous scale changed in its content
  let output: RgbImage | null = null;
  let losses: LossTerms = { content: NaN, style: NaN, tv: NaN, total: NaN };
  let iterations = 0;
  let evaluations = 0;
  try {
    for (let s = 0; s < schedule.length; s++) {
      const { size, iterations: planned } = schedule[s];
      const last = s === schedule.length - 1;
      const content = resizeTensor(req.content, size);
      let objective: Objective | undefined;
      let optimizer: Optimizer<TermsEvaluated> | undefined;
      try {
        // Untiled or exactly tiled, on ONNX Runtime or TF.js: chooseEvaluator.ts decides.
        objective = await createScaleObjective(model, { content, styles: req.styles, params, layers: plan, styleTargets: cache, signal }, runtime);
        const init: tf.Tensor4D = coarseChange ? warmStart(coarseChange, content) : initialImage(req, content, size);
        coarseChange?.dispose();
        coarseChange = null;
        optimizer = createOptimizer(params, init, evaluator(objective, signal, lossReadsFor(params, planned)));
        init.dispose();
        eta.scaleReady(s);

        const totals: number[] = [];
        for (let it = 1; it <= planned; it++) {
          throwIfAborted(signal);
          const { converged } = await optimizer.step();
          losses = optimizer.last!.terms;
          totals.push(losses.total);
          // L-BFGS's loss decreases monotonically, so a stall is real; Adam's is noisy and read back sparsely.
          const done = converged || it === planned || (params.optimizer === 'lbfgs' && stalled(totals));
          const progress: Progress = {
            scale: s + 1,
            scales: schedule.length,
            width: size.width,
            height: size.height,
            iteration: it,
            iterations: planned,
            evaluations: evaluations + optimizer.evaluations,
            losses,
            elapsed: (performance.now() - started) / 1000,
            eta: eta.iterationDone(s, it, optimizer.evaluations, done),
          };
          if (params.previewEvery > 0 && (it === 1 || it % params.previewEvery === 0 || done)) { // each scale shows itself at once: the first preview comes early
            progress.preview = await makePreview(optimizer.x as tf.Tensor4D, params.originalColors ? (x) => transferLuminance(x, tf.expandDims(content, 0) as tf.Tensor4D) : undefined);
          }
          req.onProgress?.(progress);
          if (done) break;
        }
        iterations += optimizer.iterations;
        evaluations += optimizer.evaluations;
        if (!last) {
          coarseChange = tf.tidy(() => tf.sub(optimizer!.x, tf.expandDims(content, 0))) as tf.Tensor4D;
          continue;
        }
        // The delivered image. The optimisers keep it inside 0..255, so the clip only guards rounding.
        output = tf.tidy(() => {
          const x = tf.clipByValue(tf.squeeze(optimizer!.x, [0]), 0, 255) as RgbImage;
          return params.originalColors ? transferLuminance(x, content) : x;
        });
        // Report the losses of what is delivered: L-BFGS's last evaluation is at its iterate; Adam's is
        // one step behind, and original colours change the image, so those are evaluated once more.
        if (params.optimizer !== 'lbfgs' || params.originalColors) {
          const delivered = tf.expandDims(output, 0) as tf.Tensor4D;
          try {
            losses = await evaluateTerms(objective, delivered);
            evaluations++;
          } finally {
            delivered.dispose();
          }
        }
      } finally {
        optimizer?.dispose();
        objective?.dispose();
        content.dispose();
      }
    }
    throwIfAborted(signal);
    const finalSize = schedule[schedule.length - 1].size;
    const result = output!;
    output = null;
    return {
      image: result,
      width: finalSize.width,
      height: finalSize.height,
      losses,
      iterations,
      evaluations,
      seconds: (performance.now() - started) / 1000,
      warnings: plan.warnings,
    };
  } finally {
    coarseChange?.dispose();
    output?.dispose();
    if (!req.styleTargets) cache.dispose();
  }
}

/**
 * The next scale's start: the content at the new size plus what the coarser scale added to its
 * content, upsampled. Upsampling the coarse result itself would start the finer scale from a blurred
 * photo (its content loss far from the optimum); this keeps the photo's fine detail and the coarse
 * scale's style. The optimiser projects it into 0..255.
 */
function warmStart(added: tf.Tensor4D, content: tf.Tensor3D): tf.Tensor4D {
  return tf.tidy(() => {
    const up = resizeTensor(added, sizeOf(content));
    return tf.add(up, tf.expandDims(content, 0)) as tf.Tensor4D;
  });
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
 * every loss, so it reads each one.
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
  let latest: LossTerms = { content: NaN, style: NaN, tv: NaN, total: NaN };
  return async (x) => {
    await yieldToEventLoop(); // lets timers and I/O (e.g. an HTTP cancel) run between evaluations on synchronous backends
    throwIfAborted(signal);
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

/** L-BFGS (default) or Adam, as the parameters say. */
function createOptimizer(params: StylizeParams, init: tf.Tensor4D, evaluate: EvaluateFn<TermsEvaluated>): Optimizer<TermsEvaluated> {
  // The pixels stay in 0..255 throughout: what the optimiser reaches is what is delivered.
  return params.optimizer === 'adam'
    ? createAdam(init, evaluate, { learningRate: params.learningRate, bounds: PIXEL_BOX })
    : createLbfgs(init, evaluate, { historySize: params.historySize, bounds: PIXEL_BOX });
}

/** The first scale's starting image [1,H,W,3]: the content, seeded noise, or the given image resized. */
function initialImage(req: StylizeRequest, content: tf.Tensor3D, size: Size): tf.Tensor4D {
  switch (req.params.init) {
    case 'noise':
      return noiseImage(size.height, size.width, req.params.seed);
    case 'image':
      return tf.tidy(() => tf.expandDims(resizeTensor(req.initImage!, size), 0) as tf.Tensor4D);
    default:
      return tf.expandDims(content, 0) as tf.Tensor4D;
  }
}

function isRgb(t: tf.Tensor | undefined): t is tf.Tensor3D {
  return !!t && !t.isDisposed && t.rank === 3 && t.shape[2] === 3 && (t.shape[0] ?? 0) > 0 && (t.shape[1] ?? 0) > 0;
}

/** Rejects malformed requests with EngineError `bad_input`. */
function checkRequest(req: StylizeRequest): void {
  if (!isRgb(req.content)) throw new EngineError('bad_input', 'the content image must be an RGB tensor [H,W,3]');
  if (req.styles.length === 0) throw new EngineError('bad_input', 'at least one style image is required');
  if (!req.styles.every(isRgb)) throw new EngineError('bad_input', 'every style image must be an RGB tensor [H,W,3]');
  if (req.params.init === 'image' && !isRgb(req.initImage)) {
    throw new EngineError('bad_input', 'init "image" needs an initial image (an RGB tensor [H,W,3])');
  }
}

