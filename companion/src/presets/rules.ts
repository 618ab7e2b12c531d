/**
 * What both preset stores decide the same way, written once: body validation, blend weights, image
 * checks, PATCH merging, version and name errors. The stores only persist what these functions return.
 */
import type { ZodError } from 'zod';
import { blendLengthError, PARAM_LIMITS, type StylizeParamsInput } from '../../../shared/params.js';
import { presetInputSchema, presetParamsSchema, presetPatchSchema, type Preset, type PresetStyle } from '../../../shared/presets.js';
import { describeZodError } from '../../../shared/describeZodError.js';
import type { ImageInspector, PresetWrite } from './contract.js';
import { PresetError } from './errors.js';
import { sha256Hex } from './hash.js';

/** A style image checked by the inspector, with its hash. */
export interface PreparedStyle {
  data: Buffer;
  sha256: string;
  contentType: string;
  width: number;
  height: number;
}

/** A validated `presetInputSchema` body: name, params without their blend, and the weights. */
export interface CheckedInput {
  name: string;
  params: StylizeParamsInput;
  /** The blend as sent (body `blend`, else `params.styleBlend`), or undefined. */
  blend?: number[];
}

/** A `writeAll` item once validated: nothing about it can fail any more except a version or name clash. */
export interface CheckedWrite {
  name: string;
  params: StylizeParamsInput;
  weights: number[];
  styles: PreparedStyle[];
  replace?: { id: string; version: number };
}

/** A row of a preset as both stores keep it (params as JSON text, times as ISO text). */
export interface PresetRow {
  id: string;
  name: string;
  params: string;
  version: number;
  created_at: string;
  updated_at: string;
}

/** A style of a preset joined with its image's metadata. */
export interface StyleRow {
  position: number;
  sha256: string;
  weight: number;
  content_type: string;
  bytes: number;
  width: number;
  height: number;
}

function invalid(err: ZodError, what: string): PresetError {
  return new PresetError('invalid_preset', `${what}: ${describeZodError(err)}`);
}

/** The error of an unknown preset (or another team's: the same words). */
export function notFound(id: string): PresetError {
  return new PresetError('not_found', `no preset '${id}'`);
}

/** The error of a duplicate name within a team. */
export function nameTaken(name: string): PresetError {
  return new PresetError('name_taken', `a preset named '${name}' already exists`);
}

/** Throws `precondition_required` when the caller sent no version. */
export function assertVersionGiven(version: number | null): asserts version is number {
  if (version === null || !Number.isInteger(version)) {
    throw new PresetError('precondition_required', "send the preset's current version in If-Match (its ETag)");
  }
}

/** The row when it exists (for the team) with the expected version; else not_found / stale_version. */
export function checkRowVersion<R extends { name: string; version: number }>(row: R | undefined | null, id: string, expected: number): R {
  if (!row) throw notFound(id);
  if (row.version !== expected) {
    throw new PresetError(
      'stale_version',
      `preset '${row.name}' was changed by someone else (version ${expected} is now ${row.version}); reload it and try again`,
    );
  }
  return row;
}

/** Splits `params.styleBlend` out of params: a preset keeps its blend as per-style weights. */
function takeBlend(params: StylizeParamsInput): { params: StylizeParamsInput; blend?: number[] } {
  const { styleBlend, ...rest } = params;
  return { params: rest, blend: styleBlend };
}

/** Validates a create/PUT body. */
export function checkInput(input: unknown): CheckedInput {
  const parsed = presetInputSchema.safeParse(input);
  if (!parsed.success) throw invalid(parsed.error, 'preset');
  const { params, blend } = takeBlend(parsed.data.params);
  return { name: parsed.data.name, params, blend: parsed.data.blend ?? blend };
}

/** Validates a PATCH body. */
export function checkPatch(patch: unknown): { name?: string; paramsPatch?: Record<string, unknown>; blend?: number[] } {
  const parsed = presetPatchSchema.safeParse(patch);
  if (!parsed.success) throw invalid(parsed.error, 'preset patch');
  return { name: parsed.data.name, paramsPatch: parsed.data.params, blend: parsed.data.blend };
}

/** Merges a PATCH's params into stored ones (`null` removes a key) and re-validates; the blend comes out separately. */
export function mergeParams(stored: StylizeParamsInput, patch: Record<string, unknown>): { params: StylizeParamsInput; blend?: number[] } {
  // Built with fromEntries so every key stays an own key (`__proto__` included: the schema refuses it).
  const merged = Object.fromEntries([
    ...Object.entries(stored).filter(([k]) => !Object.hasOwn(patch, k)),
    ...Object.entries(patch).filter(([, v]) => v !== null),
  ]);
  const checked = presetParamsSchema.safeParse(merged);
  if (!checked.success) throw invalid(checked.error, 'preset params');
  return takeBlend(checked.data);
}

/** Per-style weights: the blend when given (its length must match), else all 1. */
export function weightsFor(count: number, blend: number[] | undefined): number[] {
  if (!blend) return new Array<number>(count).fill(1);
  const bad = blendLengthError(blend, count);
  if (bad) throw new PresetError('invalid_preset', `blend: ${bad}`);
  return blend;
}

/** Validates style images (count, decoding) without writing anything. */
export async function inspectStyles(inspectImage: ImageInspector, images: Buffer[]): Promise<PreparedStyle[]> {
  if (images.length === 0) throw new PresetError('invalid_preset', 'a preset needs at least one style image');
  if (images.length > PARAM_LIMITS.maxStyles) {
    throw new PresetError('invalid_preset', `a preset has at most ${PARAM_LIMITS.maxStyles} style images`);
  }
  const prepared: PreparedStyle[] = [];
  for (const data of images) {
    const { width, height, contentType } = await inspectImage(data);
    prepared.push({ data, sha256: sha256Hex(data), contentType, width, height });
  }
  return prepared;
}

/** Validates every `writeAll` item (body, blend, images) before anything is written; errors name the item. */
export async function checkWrites(inspectImage: ImageInspector, items: PresetWrite[]): Promise<CheckedWrite[]> {
  const checked: CheckedWrite[] = [];
  for (const item of items) {
    try {
      const input = checkInput(item.input);
      const weights = weightsFor(item.styleImages.length, input.blend);
      checked.push({ name: input.name, params: input.params, weights, styles: await inspectStyles(inspectImage, item.styleImages), replace: item.replace });
    } catch (err) {
      throw new PresetError(err instanceof PresetError ? err.code : 'invalid_image', `${item.label}: ${(err as Error).message}`);
    }
  }
  return checked;
}

/**
 * The stored row after a PUT/PATCH: name, params and the blend to apply (undefined: keep weights).
 * `change` is a checked PUT body (`params` given) or PATCH (`paramsPatch`).
 */
export function applyChange(
  row: PresetRow,
  change: { name?: string; params?: StylizeParamsInput; paramsPatch?: Record<string, unknown>; blend?: number[] },
): { name: string; params: StylizeParamsInput; blend?: number[] } {
  let params = change.params ?? (JSON.parse(row.params) as StylizeParamsInput);
  let blend = change.blend;
  if (change.paramsPatch) {
    const merged = mergeParams(params, change.paramsPatch);
    params = merged.params;
    blend = blend ?? merged.blend;
  }
  return { name: change.name ?? row.name, params, blend };
}

/** A preset as the API shows it, from its row and its style rows (by position). */
export function toPreset(row: PresetRow, styles: StyleRow[]): Preset {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    params: JSON.parse(row.params) as Record<string, unknown>,
    styles: styles.map(
      (s): PresetStyle => ({
        index: s.position,
        sha256: s.sha256,
        contentType: s.content_type,
        bytes: s.bytes,
        width: s.width,
        height: s.height,
        weight: s.weight,
      }),
    ),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
