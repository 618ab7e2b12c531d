/**
 * The companion's HTTP API v1, as types and zod schemas imported by BOTH the companion and the
 * Figma plugin. Errors are always `{ error: { code, message } }`.
 */
import { z } from 'zod';
import { stylizeParamsSchema } from './params.js';

export const API_PREFIX = '/v1';
export { DEFAULT_COMPANION_URL, DEFAULT_PORT } from './defaults.js';

/** Error body of every non-2xx answer. */
export const apiErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});
export type ApiError = z.infer<typeof apiErrorSchema>;

/**
 * `GET /v1/health` (no auth). `preparing`: the companion is up but still getting ready — on its
 * first start it downloads the style network (VGG-19 weights); `percent` is null while the size is
 * unknown. Every other endpoint answers 503 `preparing` meanwhile.
 */
export const healthSchema = z.object({
  ok: z.literal(true),
  version: z.string(),
  preparing: z.object({ step: z.literal('weights'), percent: z.number().min(0).max(100).nullable() }).optional(),
});
export type Health = z.infer<typeof healthSchema>;

/** `GET /v1/info`. */
export const infoSchema = z.object({
  version: z.string(),
  backend: z.string(),
  device: z.string(),
  weights: z.object({ source: z.string(), layers: z.array(z.string()) }),
  queue: z.object({ length: z.number().int(), max: z.number().int() }),
  limits: z.object({
    maxPixels: z.number().int(),
    maxFileBytes: z.number().int(),
    maxFiles: z.number().int(),
    maxSize: z.number().int(),
    maxIterations: z.number().int(),
  }),
  /**
   * Seconds per loss+gradient evaluation of a referenceSide² image, measured by the companion at
   * start-up (null until measured); shared/schedule.ts's estimateSeconds turns it into a run's time.
   */
  speed: z
    .object({
      referenceSide: z.number().int(),
      secondsPerEvaluation: z.number(),
      /** Learned from finished jobs, per output size (shared/schedule.ts MeasuredSpeed). */
      bySize: z.array(z.object({ size: z.number(), secondsPerEvaluation: z.number() })).optional(),
    })
    .nullable(),
});
export type Info = z.infer<typeof infoSchema>;

export const jobStateSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled']);
export type JobState = z.infer<typeof jobStateSchema>;

/** Loss terms: content, style and tv unweighted; total = α·content + β·style + γ·tv. */
export const lossTermsSchema = z.object({
  content: z.number(),
  style: z.number(),
  tv: z.number(),
  total: z.number(),
});
/** The engine reports these, the API sends them, the plugin shows them: one type for all. */
export type LossTerms = z.infer<typeof lossTermsSchema>;

/** Progress of a running job; `item` (1-based) / `items` index the results (content images × params.variations, a content's variations together); elapsed/eta in seconds for the whole job. */
export const jobProgressSchema = z.object({
  item: z.number().int(),
  items: z.number().int(),
  scale: z.number().int(),
  scales: z.number().int(),
  /** Size of the current scale's image (coarse-to-fine runs start small). */
  width: z.number().int(),
  height: z.number().int(),
  iteration: z.number().int(),
  iterations: z.number().int(),
  evaluations: z.number().int(),
  losses: lossTermsSchema,
  elapsed: z.number(),
  eta: z.number(),
});
export type JobProgress = z.infer<typeof jobProgressSchema>;

/** `GET /v1/jobs/:id`. */
export const jobStatusSchema = z.object({
  id: z.string(),
  state: jobStateSchema,
  /** 0-based position in the queue while queued; null otherwise. */
  position: z.number().int().nullable(),
  items: z.number().int(),
  progress: jobProgressSchema.nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Result size per item once succeeded. */
  results: z.array(z.object({ width: z.number().int(), height: z.number().int() })),
});
export type JobStatus = z.infer<typeof jobStatusSchema>;

/** `POST /v1/jobs` multipart fields: files `content` (1..n), `style` (0..n), text `presetId?`, `params?` (JSON). */
export const jobParamsSchema = stylizeParamsSchema;
export const createJobResponseSchema = z.object({ id: z.string() });
export type CreateJobResponse = z.infer<typeof createJobResponseSchema>;

/**
 * Optional request header of `POST /v1/jobs`: the pixels (width × height, summed) of the image files
 * the request uploads (content, style and init; not a preset's styles). With it the companion checks
 * the team's share of decoded pixels before reading the body, so a team that is full gets its 429
 * at once; the companion verifies it against the images' headers (400 `pixels_mismatch` when they
 * hold more). Without it the share is checked once the body is read.
 */
export const DECLARED_PIXELS_HEADER = 'X-Atelier-Pixels';

/** Multipart file field names of `POST /v1/jobs`: `content` 1..n, `style` 0..n (or `presetId`), `init` 0..1 (params.init = 'image'). */
export const JOB_FILE_FIELDS = { content: 'content', style: 'style', init: 'init' } as const;

/**
 * Multipart text fields of `POST /v1/jobs`. `params` is a JSON object validated by the params schema;
 * `presetId` takes the styles (and default params) of a team preset instead of `style` files;
 * `resultSize` 'original' (default) returns each result at its content image's size, 'requested'
 * at the engine's size (longer side = params.size).
 */
export const createJobFieldsSchema = z
  .object({
    params: z.string().max(64 * 1024).optional(),
    presetId: z.string().min(1).max(200).optional(),
    resultSize: z.enum(['original', 'requested']).default('original'),
  })
  .strict();
export type CreateJobFields = z.input<typeof createJobFieldsSchema>;

/** Server-Sent Events of `GET /v1/jobs/:id/events`: `event:` is the type, `data:` the JSON payload. */
export const jobEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('queued'), position: z.number().int() }),
  z.object({
    type: z.literal('progress'),
    progress: jobProgressSchema,
    /** PNG preview, base64, when one was made at this iteration. */
    preview: z.string().optional(),
  }),
  z.object({ type: z.literal('succeeded'), results: z.array(z.object({ width: z.number().int(), height: z.number().int() })) }),
  z.object({ type: z.literal('failed'), error: z.object({ code: z.string(), message: z.string() }) }),
  z.object({ type: z.literal('canceled') }),
]);
export type JobEvent = z.infer<typeof jobEventSchema>;
