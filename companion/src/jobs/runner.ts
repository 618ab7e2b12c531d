/**
 * Runs a job through the engine: each content image of the batch is stylized in turn (its
 * params.variations results one after another, each an item of the job's progress), sharing one
 * StyleTargetCache (style Grams computed once per job), with progress and small PNG previews
 * forwarded to the job, and each result encoded as PNG with the content's alpha re-applied.
 */
import type { OrtRuntime } from '../engine/evaluate/onnx/ortRuntime.js';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { EngineError, CancelledError } from '../engine/errors.js';
import { createStyleTargetCache } from '../engine/loss/styleTargets.js';
import type { Progress } from '../engine/types.js';
import type { Vgg19 } from '../engine/network/vgg19.js';
import { PREVIEW_MAX_SIDE } from '../engine/image/preview.js';
import { fitLongerSide } from '../engine/image/resize.js';
import { ImageError, resizeDecoded, type DecodedImage } from '../io/images.js';
import { encodeRgbPngSync } from './previewPng.js';
import { stylizeVariationsToPng } from '../pipeline.js';
import type { JobProgress } from '../../../shared/protocol.js';
import type { Job, JobError, JobResult } from './job.js';
import type { JobRunner } from './queue.js';

/** Encodes an engine preview as a base64 PNG no larger than PREVIEW_MAX_SIDE; synchronous for the usual small preview. */
export function encodePreview(p: { width: number; height: number; rgb: Uint8Array }): string | Promise<string> {
  const longer = Math.max(p.width, p.height);
  if (longer <= PREVIEW_MAX_SIDE) return encodeRgbPngSync(p.width, p.height, p.rgb).toString('base64');
  const img: DecodedImage = { width: p.width, height: p.height, rgb: p.rgb, alpha: null };
  return resizeDecoded(img, fitLongerSide(p, PREVIEW_MAX_SIDE)).then((r) =>
    encodeRgbPngSync(r.width, r.height, r.rgb).toString('base64'),
  );
}

/** Maps whatever a job threw to the error clients see (details of unexpected errors go to the log only). */
export function describeJobError(err: unknown, logger?: Logger): JobError {
  if (err instanceof EngineError || err instanceof ImageError) return { code: err.code, message: err.message };
  if (err instanceof CancelledError) return { code: 'canceled', message: err.message };
  if (err instanceof ZodError) return { code: 'bad_params', message: 'invalid parameters' };
  logger?.error({ err }, 'job failed unexpectedly');
  return { code: 'internal_error', message: 'the job failed unexpectedly; see the companion log' };
}

/** Whole-job progress from the engine's per-item progress (item is 1-based). */
function jobProgress(p: Progress, item: number, items: number, itemStart: number, jobStart: number): JobProgress {
  const now = performance.now();
  const itemSeconds = (now - itemStart) / 1000 + p.eta;
  return {
    item,
    items,
    scale: p.scale,
    scales: p.scales,
    width: p.width,
    height: p.height,
    iteration: p.iteration,
    iterations: p.iterations,
    evaluations: p.evaluations,
    losses: p.losses,
    elapsed: (now - jobStart) / 1000,
    eta: p.eta + (items - item) * itemSeconds,
  };
}

/** Options of createJobRunner. */
export interface JobRunnerOptions {
  /** Device-memory budget (MiB) for jobs whose params set neither `tile` nor `memoryBudget`. */
  memoryBudgetMiB?: number;
  /** The onnx backends' runtime (BackendInfo.runtime). */
  runtime?: OrtRuntime;
}

/** A JobRunner over one model (one device). */
export function createJobRunner(model: Vgg19, logger?: Logger, opts: JobRunnerOptions = {}): JobRunner {
  return async (job: Job, signal: AbortSignal): Promise<JobResult[]> => {
    const input = job.input;
    if (!input) throw new Error('job has no input');
    const budget = opts.memoryBudgetMiB ?? 0;
    const params = budget > 0 && input.params.tile === 0 && input.params.memoryBudget === 0 ? { ...input.params, memoryBudget: budget } : input.params;
    const cache = createStyleTargetCache();
    const jobStart = performance.now();
    const results: JobResult[] = [];
    // Previews are encoded asynchronously; chaining keeps events in order.
    let events: Promise<void> = Promise.resolve();
    let pending = false;
    try {
      for (let i = 0; i < input.contents.length; i++) {
        if (signal.aborted) throw new CancelledError();
        const variations = params.variations;
        let itemStart = performance.now();
        let current = 0; // the variation running: each variation is an item with its own start
        const r = await stylizeVariationsToPng({
          model,
          runtime: opts.runtime,
          content: input.contents[i],
          styles: input.styles,
          initImage: input.initImage,
          params,
          styleTargets: cache,
          outputSize: input.resultSize === 'original' ? 'original' : 'engine',
          signal,
          onProgress: (p, variation) => {
            const item = i * variations + variation + 1;
            if (variation !== current) [current, itemStart] = [variation, performance.now()];
            const progress = jobProgress(p, item, job.items, itemStart, jobStart);
            let preview: string | Promise<string> | undefined;
            try {
              preview = p.preview ? encodePreview(p.preview) : undefined;
            } catch (err) {
              logger?.warn({ err, job: job.id }, 'preview encoding failed');
            }
            // Published at once when nothing is pending, so the event is written before the next evaluation.
            if (typeof preview !== 'object' && !pending) {
              job.report(progress, preview);
              return;
            }
            const encoded = preview;
            if (encoded instanceof Promise) encoded.catch(() => undefined); // awaited below; never unhandled
            events = events.then(async () => {
              try {
                job.report(progress, await encoded);
              } catch (err) {
                logger?.warn({ err, job: job.id }, 'preview encoding failed');
                job.report(progress);
              }
            });
            pending = true;
            const tail = events;
            void tail.then(() => {
              if (events === tail) pending = false;
            });
          },
        });
        for (const v of r) results.push({ png: v.png, width: v.width, height: v.height });
      }
      await events;
      return results;
    } finally {
      cache.dispose();
    }
  };
}
