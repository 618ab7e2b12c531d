/**
 * Runs a job through the engine: each content image of the batch is stylized in turn (its
 * params.variations results one after another, each an item of the job's progress), sharing one
 * StyleTargetCache (style Grams computed once per job), with progress and small PNG previews
 * forwarded to the job, and each result encoded as PNG with the content's alpha re-applied.
 */
import { CancelledError, EngineError, createStyleTargetCache, type OrtRuntime, type Preview, type Progress, type Vgg19 } from '../engine/index.js';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { ImageError } from '../io/images.js';
import { encodeRgbPngSync } from './previewPng.js';
import { stylizeVariationsToPng } from '../pipeline.js';
import type { JobProgress } from '../../../shared/protocol.js';
import type { Job, JobError, JobResult } from './job.js';
import type { JobRunner } from './queue.js';

/**
 * Encodes an engine preview as a base64 PNG, synchronously, so that its event is written before
 * the next evaluation (the engine's previews are already at most PREVIEW_MAX_SIDE: engine/image/preview.ts).
 */
export function encodePreview(p: Preview): string {
  return encodeRgbPngSync(p.width, p.height, p.rgb).toString('base64');
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
            let preview: string | undefined;
            try {
              preview = p.preview ? encodePreview(p.preview) : undefined;
            } catch (err) {
              logger?.warn({ err, job: job.id }, 'preview encoding failed');
            }
            job.report(progress, preview);
          },
        });
        for (const v of r) results.push({ png: v.png, width: v.width, height: v.height });
      }
      return results;
    } finally {
      cache.dispose();
    }
  };
}
