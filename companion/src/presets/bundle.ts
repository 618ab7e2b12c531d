/**
 * Preset bundles: a self-contained, single JSON file to move presets between companions.
 *
 * Format (`format: "atelier-presets"`, `version: 1`):
 *   {
 *     "format": "atelier-presets", "version": 1, "exportedAt": "<ISO time>",
 *     "presets": [{ "name": "Ink", "params": { ...partial StylizeParams }, "styles": [{ "sha256": "<hex>", "weight": 1 }] }],
 *     "images": { "<sha256 hex>": { "contentType": "image/png", "data": "<base64 of the exact bytes>" } }
 *   }
 * Images are stored once per content hash and verified against it on import, so round trips are
 * byte-identical. Presets are matched by name (ids and versions are local to a store): importing a
 * preset whose name exists with equal settings and images changes nothing (re-import is idempotent);
 * a different one is a conflict, skipped unless `overwrite` is set.
 */
import { z } from 'zod';
import { describeZodError } from '../../../shared/describeZodError.js';
import { paramsObjectSchema } from '../../../shared/params.js';
import { presetNameSchema, type Preset } from '../../../shared/presets.js';
import { PresetError } from './errors.js';
import { sha256Hex } from './images.js';
import type { PresetsStore, PresetWrite } from './contract.js';

/** The `format` field of every bundle. */
export const BUNDLE_FORMAT = 'atelier-presets';
/** The bundle version this code writes (and the newest it reads). */
export const BUNDLE_VERSION = 1;

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 hex digest');

/** zod schema of a bundle file. */
export const bundleSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  exportedAt: z.string().optional(),
  presets: z.array(
    z.object({
      name: presetNameSchema,
      params: paramsObjectSchema,
      styles: z.array(z.object({ sha256: sha256Schema, weight: z.number().finite().nonnegative() })).min(1),
    }),
  ),
  images: z.record(sha256Schema, z.object({ contentType: z.string(), data: z.string() })),
});
/** A parsed bundle. */
export type Bundle = z.infer<typeof bundleSchema>;

/** What happened to each preset of an imported bundle. */
export interface ImportReport {
  created: string[];
  unchanged: string[];
  replaced: string[];
  /** Names that exist with other settings or images and were skipped (no `overwrite`). */
  conflicts: string[];
}

/** Builds a bundle of the team's presets with these ids (all of the team's when `ids` is omitted). */
export async function exportBundle(store: PresetsStore, teamId: string, ids?: string[]): Promise<Bundle> {
  const presets: Preset[] = ids
    ? await Promise.all(
        ids.map(async (id) => {
          const p = await store.get(teamId, id);
          if (!p) throw new PresetError('not_found', `no preset '${id}'`);
          return p;
        }),
      )
    : await store.list(teamId);
  const bundle: Bundle = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    exportedAt: new Date().toISOString(),
    presets: [],
    images: {},
  };
  for (const p of presets) {
    for (const s of p.styles) {
      if (bundle.images[s.sha256]) continue;
      const img = await store.styleImage(teamId, p.id, s.index);
      if (!img) throw new PresetError('not_found', `preset '${p.name}' changed during the export; try again`);
      bundle.images[s.sha256] = { contentType: s.contentType, data: img.data.toString('base64') };
    }
    bundle.presets.push({
      name: p.name,
      params: p.params,
      styles: p.styles.map((s) => ({ sha256: s.sha256, weight: s.weight })),
    });
  }
  return bundle;
}

/** The bundle as file text (pretty JSON, one trailing newline). */
export function serializeBundle(bundle: Bundle): string {
  return `${JSON.stringify(bundle, null, 1)}\n`;
}

/** Parses bundle file text; throws PresetError `invalid_bundle` with the reason. */
export function parseBundle(text: string): Bundle {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PresetError('invalid_bundle', 'not a preset bundle: the file is not JSON');
  }
  const f = (json as { format?: unknown; version?: unknown } | null) ?? {};
  if (f.format !== BUNDLE_FORMAT) throw new PresetError('invalid_bundle', `not a preset bundle (format must be '${BUNDLE_FORMAT}')`);
  if (typeof f.version === 'number' && f.version > BUNDLE_VERSION) {
    throw new PresetError('invalid_bundle', `bundle version ${f.version} is newer than this companion reads (${BUNDLE_VERSION}); upgrade Atelier`);
  }
  const parsed = bundleSchema.safeParse(json);
  if (!parsed.success) throw new PresetError('invalid_bundle', `invalid preset bundle: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** JSON with object keys sorted, for comparing settings. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Whether a stored preset already has exactly these settings and images. */
function sameAs(existing: Preset, wanted: Bundle['presets'][number]): boolean {
  return (
    canonical(existing.params) === canonical(wanted.params) &&
    existing.styles.length === wanted.styles.length &&
    existing.styles.every((s, i) => s.sha256 === wanted.styles[i].sha256 && s.weight === wanted.styles[i].weight)
  );
}

/**
 * Imports a bundle into a team: creates missing presets, leaves identical ones alone, reports (or
 * with `overwrite`, replaces) presets whose name exists with other content. Every image is checked
 * against its hash before anything is written.
 */
export async function importBundle(
  store: PresetsStore,
  teamId: string,
  bundle: Bundle,
  options: { overwrite?: boolean } = {},
): Promise<ImportReport> {
  const images = new Map<string, Buffer>();
  for (const [hash, img] of Object.entries(bundle.images)) {
    const data = Buffer.from(img.data, 'base64');
    if (sha256Hex(data) !== hash) throw new PresetError('invalid_bundle', `image ${hash.slice(0, 12)}… does not match its sha256`);
    images.set(hash, data);
  }
  const names = new Set<string>();
  for (const p of bundle.presets) {
    const key = p.name.toLowerCase();
    if (names.has(key)) throw new PresetError('invalid_bundle', `the bundle has two presets named '${p.name}'`);
    names.add(key);
    for (const s of p.styles) {
      if (!images.has(s.sha256)) throw new PresetError('invalid_bundle', `preset '${p.name}' uses image ${s.sha256.slice(0, 12)}… the bundle lacks`);
    }
  }
  const report: ImportReport = { created: [], unchanged: [], replaced: [], conflicts: [] };
  const writes: PresetWrite[] = [];
  for (const p of bundle.presets) {
    const body = { name: p.name, params: p.params, blend: p.styles.map((s) => s.weight) };
    const files = p.styles.map((s) => images.get(s.sha256)!);
    const label = `preset '${p.name}'`;
    const existing = await store.getByName(teamId, p.name);
    if (!existing) {
      writes.push({ label, input: body, styleImages: files });
      report.created.push(p.name);
    } else if (sameAs(existing, p)) {
      report.unchanged.push(p.name);
    } else if (options.overwrite) {
      writes.push({ label, replace: { id: existing.id, version: existing.version }, input: { ...body, name: existing.name }, styleImages: files });
      report.replaced.push(p.name);
    } else {
      report.conflicts.push(p.name);
    }
  }
  try {
    // All or nothing: every preset and image is validated before the first is written.
    await store.writeAll(teamId, writes);
  } catch (err) {
    if (err instanceof PresetError && ['invalid_preset', 'invalid_image'].includes(err.code)) {
      throw new PresetError('invalid_bundle', `invalid preset bundle: ${err.message}; nothing was imported`);
    }
    throw err;
  }
  return report;
}
