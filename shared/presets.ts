/**
 * Team style presets over HTTP (`/v1/presets`): zod schemas for request bodies and responses,
 * imported by BOTH the companion and the Figma plugin.
 *
 * A preset = a name (unique per team, case-insensitively) + 1..8 style images with blend weights +
 * stylization params as the user wrote them (a partial `StylizeParams`; defaults apply at run time).
 * Every preset has a `version`, sent as the `ETag` (`"3"`); `PUT`/`PATCH`/`DELETE` must send it back
 * in `If-Match` (missing: 428, stale: 412).
 */
import { z } from 'zod';
import { PARAM_LIMITS, paramsObjectSchema, stylizeParamsSchema, weightListSchema, type StylizeParamsInput } from './params.js';

/** Longest preset name, in characters. */
export const PRESET_NAME_MAX = 100;

/** A preset name: trimmed, 1..100 characters, no control characters. */
export const presetNameSchema = z
  .string()
  .trim()
  .min(1, 'a preset name is required')
  .max(PRESET_NAME_MAX, `a preset name has at most ${PRESET_NAME_MAX} characters`)
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'a preset name may not contain control characters');

/**
 * Stylization params stored in a preset: validated against the shared params schema, but kept as
 * written (no defaults filled in), so later changes to defaults still apply.
 */
export const presetParamsSchema = paramsObjectSchema.transform((value, ctx): StylizeParamsInput => {
  // How many results a run returns is the run's choice: a preset that changed it would change the
  // shape of every job using it (the plugin applies one result per layer).
  const perRun = ['variations', 'variationSpread'].filter((key) => key in value);
  for (const key of perRun) ctx.addIssue({ code: 'custom', message: `${key} is chosen for each run, not stored in a preset`, path: [key] });
  if (perRun.length) return z.NEVER;
  const checked = stylizeParamsSchema.safeParse(value);
  if (!checked.success) {
    for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  }
  return value as StylizeParamsInput;
});

/** Blend weights of a preset's style images, one per image (normalised to sum 1 by the engine). */
export const presetBlendSchema = weightListSchema(PARAM_LIMITS.maxStyles);

/**
 * `POST /v1/presets` field `preset` (JSON), and the body of `PUT /v1/presets/:id` (JSON, or multipart
 * field `preset` with optional new `style` files). `params.styleBlend` is accepted as `blend`.
 */
export const presetInputSchema = z
  .object({
    name: presetNameSchema,
    params: presetParamsSchema.default({}),
    blend: presetBlendSchema.optional(),
  })
  .strict();
export type PresetInput = z.output<typeof presetInputSchema>;

/**
 * `PATCH /v1/presets/:id` body: only the fields to change. `params` is merged into the stored params
 * key by key (JSON Merge Patch: a `null` value removes that key).
 */
export const presetPatchSchema = z
  .object({
    name: presetNameSchema.optional(),
    params: paramsObjectSchema.optional(),
    blend: presetBlendSchema.optional(),
  })
  .strict();
export type PresetPatch = z.output<typeof presetPatchSchema>;

/** One style image of a preset, as the API describes it. */
export const presetStyleSchema = z.object({
  /** 0-based position; the image is at `GET /v1/presets/:id/styles/:index`. */
  index: z.number().int().nonnegative(),
  /** sha256 of the image bytes, hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  contentType: z.string(),
  bytes: z.number().int().nonnegative(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  weight: z.number().nonnegative(),
});
export type PresetStyle = z.infer<typeof presetStyleSchema>;

/** A preset as returned by `GET /v1/presets/:id`, `POST`, `PUT` and `PATCH`. */
export const presetSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.number().int().positive(),
  params: z.record(z.string(), z.unknown()),
  styles: z.array(presetStyleSchema).min(1),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Preset = z.infer<typeof presetSchema>;

/** `GET /v1/presets`: the caller's team's presets, by name. */
export const presetListSchema = z.object({ presets: z.array(presetSchema) });
export type PresetList = z.infer<typeof presetListSchema>;

/** The `ETag` / `If-Match` value for a preset version: `"3"`. */
export function presetEtag(version: number): string {
  return `"${version}"`;
}

/** URL path of a preset's style image, relative to the companion's base URL. */
export function presetStylePath(presetId: string, index: number): string {
  return `/v1/presets/${encodeURIComponent(presetId)}/styles/${index}`;
}
