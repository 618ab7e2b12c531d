/**
 * The multi-scale driver: (content, styles, params) → image. Read it top to bottom:
 * check the request, plan the layers and the scales, then for each scale (coarse to fine)
 * initialise the image (content / seeded noise / given image, or the content plus the previous
 * scale's change upsampled), build the scale's run (its loss and box-constrained optimiser, on the
 * host or on the device: optimise/scaleRun.ts), iterate with progress, previews and cancellation, and at the
 * last scale apply the original colours and report the delivered image's losses. Every tensor
 * created here is disposed on success, failure and cancel.
 */
import * as tf from '@tensorflow/tfjs';
import { EngineError } from './errors.js';
import type { OrtRuntime } from './evaluate/onnx/ortRuntime.js';
import { throwIfAborted } from './cancel.js';
import { createScaleRun, type ScaleRun } from './optimise/scaleRun.js';
import { resolveLayers } from './loss/resolveLayers.js';
import { resizeTensor, sizeOf, type Size } from './image/resize.js';
import { noiseImage } from './image/random.js';
import { transferLuminance } from './image/colors.js';
import { makePreview } from './image/preview.js';
import { stalled } from '../../../shared/schedule.js';
import { createEtaClock } from './schedule/eta.js';
import { planScales } from './schedule/sizePlan.js';
import { createStyleTargetCache } from './loss/styleTargets.js';
import type { LossTerms, Progress, RgbImage, StylizeRequest, StylizeResult } from './types.js';
import type { Vgg19 } from './network/vgg19.js';

/**
 * Stylizes req.content with req.styles; resolves with the image (owned by the caller) and a report.
 * `runtime` (the onnx backends') evaluates the loss; without it TF.js does (evaluate/chooseEvaluator.ts).
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
      let run: ScaleRun | undefined;
      try {
        const init: tf.Tensor4D = coarseChange ? warmStart(coarseChange, content) : initialImage(req, content, size);
        coarseChange?.dispose();
        coarseChange = null;
        try {
          // Untiled or exactly tiled, on ONNX Runtime or TF.js, the optimiser on the host or the device: evaluate/chooseEvaluator.ts decides.
          run = await createScaleRun(model, { content, styles: req.styles, params, layers: plan, styleTargets: cache, signal, init, planned }, runtime);
        } finally {
          init.dispose();
        }
        eta.scaleReady(s);

        const totals: number[] = [];
        for (let it = 1; it <= planned; it++) {
          throwIfAborted(signal);
          const { converged } = await run.step();
          losses = run.terms;
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
            evaluations: evaluations + run.evaluations,
            losses,
            elapsed: (performance.now() - started) / 1000,
            eta: eta.iterationDone(s, it, run.evaluations, done),
          };
          if (params.previewEvery > 0 && (it === 1 || it % params.previewEvery === 0 || done)) { // each scale shows itself at once: the first preview comes early
            progress.preview = await makePreview(await run.image(), params.originalColors ? (x) => transferLuminance(x, tf.expandDims(content, 0) as tf.Tensor4D) : undefined);
          }
          req.onProgress?.(progress);
          if (done) break;
        }
        iterations += run.iterations;
        evaluations += run.evaluations;
        const reached = await run.image();
        if (!last) {
          coarseChange = tf.tidy(() => tf.sub(reached, tf.expandDims(content, 0))) as tf.Tensor4D;
          continue;
        }
        // The delivered image. The optimisers keep it inside 0..255, so the clip only guards rounding.
        output = tf.tidy(() => {
          const x = tf.clipByValue(tf.squeeze(reached, [0]), 0, 255) as RgbImage;
          return params.originalColors ? transferLuminance(x, content) : x;
        });
        // Report the losses of what is delivered: L-BFGS's last evaluation is at its iterate; Adam's is
        // one step behind, and original colours change the image, so those are evaluated once more.
        if (params.optimizer !== 'lbfgs' || params.originalColors) {
          const delivered = tf.expandDims(output, 0) as tf.Tensor4D;
          try {
            losses = await run.termsAt(delivered);
            evaluations++;
          } finally {
            delivered.dispose();
          }
        }
      } finally {
        run?.dispose();
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

