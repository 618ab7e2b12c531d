/**
 * `/v1/jobs`: submit (multipart → 202 {id}), status, SSE events, result PNG, cancel/delete.
 * Everything a job needs is validated and decoded before it is queued, so bad input is a 4xx at
 * submit time and never reaches the worker. Jobs are visible only to the team that created them.
 */
import { Router, type Request } from 'express';
import { blendLengthError, paramsObjectSchema, stylizeParamsSchema, type StylizeParams } from '../../../shared/params.js';
import { createJobFieldsSchema, type CreateJobResponse } from '../../../shared/protocol.js';
import { planScales, resolveLayers, type Vgg19 } from '../engine/index.js';
import { decodeImage, readImageHeader, type DecodedImage } from '../io/images.js';
import { isTerminal, Job } from '../jobs/job.js';
import type { PixelBudget } from '../jobs/pixelBudget.js';
import type { JobQueue } from '../jobs/queue.js';
import { admission, checkDeclaredPixels, type UploadSlots } from './admission.js';
import { teamOf } from './auth.js';
import type { PresetsStore } from '../presets/contract.js';
import { HttpError } from './errors.js';
import type { ServerLimits } from './limits.js';
import { streamJobEvents, type StreamSet } from './sse.js';
import { jobUpload, type UploadedFiles } from './upload.js';

/** What the jobs router needs. */
export interface JobsRouterDeps {
  queue: JobQueue;
  /** Decoded pixels that waiting and running jobs may hold. */
  pixels: PixelBudget;
  /** Job uploads being read, per team. */
  uploads: UploadSlots;
  model: Vgg19;
  limits: ServerLimits;
  presets?: Pick<PresetsStore, 'resolve'>;
  heartbeatMs: number;
  /** How often an event stream re-checks its token. */
  reauthMs: number;
  streams: StreamSet;
}

/** Parses the `params` text field (JSON object) → 400 `bad_params`. */
function parseParamsField(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad_params', 'params is not valid JSON');
  }
  const r = paramsObjectSchema.safeParse(json);
  if (!r.success) throw new HttpError(400, 'bad_params', 'params must be a JSON object');
  return r.data;
}

/** Checks params against this server's limits, the style count, and the model's layers (as the engine will); returns the layers used. */
function checkParams(params: StylizeParams, styles: number, hasInit: boolean, model: Vgg19, limits: ServerLimits): string[] {
  if (params.size > limits.maxSize) throw new HttpError(400, 'bad_params', `size: at most ${limits.maxSize} on this server`);
  if (params.iterations > limits.maxIterations) {
    throw new HttpError(400, 'bad_params', `iterations: at most ${limits.maxIterations} on this server`);
  }
  const badBlend = blendLengthError(params.styleBlend, styles);
  if (badBlend) throw new HttpError(400, 'bad_params', `styleBlend: ${badBlend}`);
  if (params.init === 'image' && !hasInit) throw new HttpError(400, 'missing_init', "params.init is 'image' but no 'init' file was sent");
  const plan = resolveLayers(params, model.availableLayers);
  return [...plan.content, ...plan.style];
}

/** Decodes uploads one after another (bounded memory), each within the pixel limit. */
async function decodeAll(files: Express.Multer.File[], maxPixels: number): Promise<DecodedImage[]> {
  const out: DecodedImage[] = [];
  for (const f of files) out.push(await decodeImage(f.buffer, { maxPixels }));
  return out;
}

/** Pixels of images, from their headers (nothing decoded). */
async function headerPixels(buffers: Buffer[], maxPixels: number): Promise<number> {
  let pixels = 0;
  for (const b of buffers) {
    const { width, height } = await readImageHeader(b, { maxPixels });
    pixels += width * height;
  }
  return pixels;
}

/** The bytes of uploaded files. */
const asBuffers = (files: Express.Multer.File[] | undefined): Buffer[] => (files ?? []).map((f) => f.buffer);

/** The router mounted at /v1/jobs (behind auth). */
export function jobsRouter(deps: JobsRouterDeps): Router {
  const { queue, limits } = deps;
  const r = Router();

  const findJob = (req: Request): Job => {
    const job = queue.get(String(req.params.id));
    if (!job || job.teamId !== teamOf(req)) throw new HttpError(404, 'job_not_found', 'no such job');
    return job;
  };

  const admit = admission({ checkRoom: (t) => queue.checkRoom(t), checkPixels: (t, px) => deps.pixels.check(t, px ?? 1, () => queue.retryAfterSeconds(t), { teamOnly: px === undefined }) }, deps.uploads);
  r.post('/', ...jobUpload(limits, admit), async (req, res) => {
    const teamId = teamOf(req);
    queue.checkRoom(teamId); // before reading any image; checked again at submit
    const fields = createJobFieldsSchema.parse(req.body ?? {});
    const files = (req.files ?? {}) as UploadedFiles;
    if (!files.content?.length) throw new HttpError(400, 'missing_content', "send at least one 'content' image");
    const given = parseParamsField(fields.params);
    let styleBuffers = asBuffers(files.style);
    let merged: Record<string, unknown> = given;
    if (fields.presetId !== undefined) {
      if (styleBuffers.length) throw new HttpError(400, 'style_conflict', "send 'style' images or a 'presetId', not both");
      const preset = deps.presets ? await deps.presets.resolve(teamId, fields.presetId) : null;
      if (!preset) throw new HttpError(404, 'preset_not_found', 'no such preset');
      styleBuffers = preset.styles.map((s) => s.data);
      merged = { ...preset.params, ...given };
      if (merged.styleBlend === undefined && preset.styles.length > 1) merged.styleBlend = preset.styles.map((s) => s.weight);
    }
    if (!styleBuffers.length) throw new HttpError(400, 'missing_style', "send at least one 'style' image or a 'presetId'");
    const params = stylizeParamsSchema.parse(merged);
    const layers = checkParams(params, styleBuffers.length, Boolean(files.init?.length), deps.model, limits);

    // Reserve the pixels the decoded images will hold (from their headers) before decoding any.
    const uploaded = await headerPixels([...asBuffers(files.content), ...asBuffers(files.style), ...asBuffers(files.init)], limits.maxPixels);
    checkDeclaredPixels(res, uploaded);
    const pixels = uploaded + (fields.presetId !== undefined ? await headerPixels(styleBuffers, limits.maxPixels) : 0);
    const release = deps.pixels.reserve(teamId, pixels, () => queue.retryAfterSeconds(teamId));
    try {
      const contents = await decodeAll(files.content, limits.maxPixels);
      const styles: DecodedImage[] = [];
      for (const b of styleBuffers) styles.push(await decodeImage(b, { maxPixels: limits.maxPixels }));
      const [initImage] = await decodeAll(files.init ?? [], limits.maxPixels);
      // The engine's own size check, now rather than in the worker.
      for (const c of contents) planScales(c, styles, params, layers);
      const job = new Job({ contents, styles, initImage, params, resultSize: fields.resultSize }, teamId, release);
      queue.submit(job);
      const body: CreateJobResponse = { id: job.id };
      res.status(202).location(`/v1/jobs/${job.id}`).json(body);
    } catch (err) {
      release();
      throw err;
    }
  });
  r.get('/:id', (req, res) => {
    const job = findJob(req);
    res.json(job.toStatus(queue.position(job)));
  });

  r.get('/:id/events', (req, res) => {
    const job = findJob(req);
    const { stillValid } = req.auth!;
    streamJobEvents(req, res, job, () => queue.position(job), { heartbeatMs: deps.heartbeatMs, streams: deps.streams, stillValid, reauthMs: deps.reauthMs });
  });

  r.get('/:id/result', (req, res) => {
    const job = findJob(req);
    const raw = req.query.index ?? '0';
    if (typeof raw !== 'string' || !/^\d{1,4}$/.test(raw)) throw new HttpError(400, 'bad_index', 'index must be a non-negative integer');
    if (job.state !== 'succeeded') throw new HttpError(409, 'job_not_succeeded', `the job is ${job.state}`);
    const result = job.results[Number(raw)];
    if (!result) throw new HttpError(404, 'result_not_found', `the job has ${job.results.length} result(s)`);
    res
      .status(200)
      .set({
        'Content-Type': 'image/png',
        'Content-Length': String(result.png.length),
        'Content-Disposition': `inline; filename="atelier-${job.id}-${raw}.png"`,
        'X-Image-Width': String(result.width),
        'X-Image-Height': String(result.height),
      })
      .end(result.png);
  });

  r.delete('/:id', (req, res) => {
    const job = findJob(req);
    if (isTerminal(job.state)) {
      queue.remove(job);
      res.status(204).end();
      return;
    }
    queue.cancel(job);
    res.status(202).json(job.toStatus(queue.position(job)));
  });

  return r;
}
