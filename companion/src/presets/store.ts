/**
 * The preset store: CRUD of team presets with version numbers (optimistic concurrency), names
 * unique per team, every query scoped by team. Style images are validated (decoded), written
 * durably as content-addressed files first, then referenced in one immediate transaction.
 */
import crypto from 'node:crypto';
import type { ZodError } from 'zod';
import { blendLengthError, PARAM_LIMITS, type StylizeParamsInput } from '../../../shared/params.js';
import {
  presetInputSchema,
  presetParamsSchema,
  presetPatchSchema,
  type Preset,
  type PresetStyle,
} from '../../../shared/presets.js';
import { describeZodError } from '../../../shared/describeZodError.js';
import { openPresetsDb, type PresetsDb } from './db.js';
import { PresetError } from './errors.js';
import { collectGarbage, sha256Hex, StyleImageFiles, type GcReport } from './images.js';
import { TeamRegistry } from './teams.js';

/** Checks that bytes are a usable image and gives its size and MIME type; throws (e.g. ImageError) when not. */
export type ImageInspector = (data: Buffer) => Promise<{ width: number; height: number; contentType: string }>;

/** How to open a store. */
export interface PresetStoreOptions {
  /** The companion's data dir; the database and the `style-images/` folder live in it. */
  dataDir: string;
  /** Validates each style image before it is stored (the server passes io/images.ts decodeImage). */
  inspectImage: ImageInspector;
}

/** A preset's styles and settings, ready for a stylization job. */
export interface ResolvedPreset {
  styles: Array<{ data: Buffer; weight: number }>;
  params: StylizeParamsInput;
}

interface PresetRow {
  id: string;
  name: string;
  params: string;
  version: number;
  created_at: string;
  updated_at: string;
}

interface StyleRow {
  preset_id: string;
  position: number;
  sha256: string;
  weight: number;
  content_type: string;
  bytes: number;
  width: number;
  height: number;
}

interface PreparedStyle {
  data: Buffer;
  sha256: string;
  contentType: string;
  width: number;
  height: number;
}

const PRESET_COLUMNS = 'id, name, params, version, created_at, updated_at';
const STYLE_QUERY = `SELECT s.preset_id, s.position, s.sha256, s.weight, i.content_type, i.bytes, i.width, i.height
  FROM preset_styles s JOIN images i ON i.sha256 = s.sha256`;

function invalid(err: ZodError, what: string): PresetError {
  return new PresetError('invalid_preset', `${what}: ${describeZodError(err)}`);
}

function notFound(id: string): PresetError {
  return new PresetError('not_found', `no preset '${id}'`);
}

/** Splits `params.styleBlend` out of params: a preset keeps its blend as per-style weights. */
function takeBlend(params: StylizeParamsInput): { params: StylizeParamsInput; blend?: number[] } {
  const { styleBlend, ...rest } = params;
  return { params: rest, blend: styleBlend };
}

/** Team presets on SQLite + content-addressed files. Open with `PresetStore.open`, close when done. */
export class PresetStore {
  /** Teams and tokens of the same database. */
  readonly teams: TeamRegistry;

  private constructor(
    readonly db: PresetsDb,
    readonly files: StyleImageFiles,
    private readonly inspectImage: ImageInspector,
  ) {
    this.teams = new TeamRegistry(db);
  }

  /** Opens (creating/migrating) the store in a data dir and collects garbage left by crashed writers. */
  static open(options: PresetStoreOptions): PresetStore {
    const db = openPresetsDb(options.dataDir);
    try {
      const store = new PresetStore(db, new StyleImageFiles(options.dataDir), options.inspectImage);
      store.gc({ sweepDisk: true });
      return store;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Closes the database. */
  close(): void {
    if (this.db.open) this.db.close();
  }

  /** The team's presets, by name. */
  list(teamId: string): Preset[] {
    const rows = this.db
      .prepare(`SELECT ${PRESET_COLUMNS} FROM presets WHERE team_id = ? ORDER BY name, id`)
      .all(teamId) as PresetRow[];
    const styles = this.db
      .prepare(`${STYLE_QUERY} JOIN presets p ON p.id = s.preset_id WHERE p.team_id = ? ORDER BY s.preset_id, s.position`)
      .all(teamId) as StyleRow[];
    const byPreset = new Map<string, StyleRow[]>();
    for (const s of styles) {
      const list = byPreset.get(s.preset_id) ?? [];
      list.push(s);
      byPreset.set(s.preset_id, list);
    }
    return rows.map((r) => this.toPreset(r, byPreset.get(r.id) ?? []));
  }

  /** One preset of the team, or null (unknown id, or another team's: indistinguishable). */
  get(teamId: string, id: string): Preset | null {
    const row = this.db
      .prepare(`SELECT ${PRESET_COLUMNS} FROM presets WHERE id = ? AND team_id = ?`)
      .get(id, teamId) as PresetRow | undefined;
    return row ? this.toPreset(row, this.styleRows(row.id)) : null;
  }

  /** The team's preset with this name (case-insensitive), or null. */
  getByName(teamId: string, name: string): Preset | null {
    const row = this.db
      .prepare(`SELECT ${PRESET_COLUMNS} FROM presets WHERE name = ? AND team_id = ?`)
      .get(name.trim(), teamId) as PresetRow | undefined;
    return row ? this.toPreset(row, this.styleRows(row.id)) : null;
  }

  /**
   * Creates a preset from a `presetInputSchema` body and 1..8 style images (validated by decoding).
   * Throws PresetError `invalid_preset` / `name_taken`, or the inspector's error for a bad image.
   */
  async create(teamId: string, input: unknown, styleImages: Buffer[]): Promise<Preset> {
    const parsed = presetInputSchema.safeParse(input);
    if (!parsed.success) throw invalid(parsed.error, 'preset');
    const { params, blend: paramBlend } = takeBlend(parsed.data.params);
    const blend = parsed.data.blend ?? paramBlend;
    const weights = this.weightsFor(styleImages.length, blend);
    this.assertNameFree(teamId, parsed.data.name, null); // fail fast; re-checked in the transaction
    const styles = await this.prepareStyles(styleImages);
    const id = crypto.randomUUID();
    const now = new Date().toISOString();
    this.commitOrSweep(() => {
      this.assertNameFree(teamId, parsed.data.name, null);
      this.ensureImages(styles);
      this.db
        .prepare('INSERT INTO presets (id, team_id, name, params, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)')
        .run(id, teamId, parsed.data.name, JSON.stringify(params), now, now);
      this.insertStyles(id, styles, weights);
    });
    return this.get(teamId, id)!;
  }

  /**
   * Creates or replaces several presets all or nothing: every input and image is validated before
   * anything is written, then all rows are written in one transaction. A failure names the item
   * (`label`) and leaves the store as it was.
   */
  async writeAll(teamId: string, items: Array<{ label: string; replace?: { id: string; version: number }; input: unknown; styleImages: Buffer[] }>): Promise<void> {
    const checked: Array<{ name: string; params: StylizeParamsInput; weights: number[]; styles: PreparedStyle[]; replace?: { id: string; version: number } }> = [];
    for (const item of items) {
      try {
        const parsed = presetInputSchema.safeParse(item.input);
        if (!parsed.success) throw invalid(parsed.error, 'preset');
        const { params, blend: paramBlend } = takeBlend(parsed.data.params);
        const weights = this.weightsFor(item.styleImages.length, parsed.data.blend ?? paramBlend);
        checked.push({ name: parsed.data.name, params, weights, styles: await this.inspectStyles(item.styleImages), replace: item.replace });
      } catch (err) {
        throw new PresetError(err instanceof PresetError ? err.code : 'invalid_image', `${item.label}: ${(err as Error).message}`);
      }
    }
    for (const c of checked) await this.writeFiles(c.styles);
    const now = new Date().toISOString();
    this.commitOrSweep(() => {
      for (const c of checked) {
        this.ensureImages(c.styles);
        if (c.replace) {
          this.checkVersion(teamId, c.replace.id, c.replace.version);
          this.assertNameFree(teamId, c.name, c.replace.id);
          this.db.prepare('DELETE FROM preset_styles WHERE preset_id = ?').run(c.replace.id);
          this.insertStyles(c.replace.id, c.styles, c.weights);
          this.db
            .prepare('UPDATE presets SET name = ?, params = ?, version = version + 1, updated_at = ? WHERE id = ? AND team_id = ?')
            .run(c.name, JSON.stringify(c.params), now, c.replace.id, teamId);
        } else {
          this.assertNameFree(teamId, c.name, null);
          const id = crypto.randomUUID();
          this.db
            .prepare('INSERT INTO presets (id, team_id, name, params, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)')
            .run(id, teamId, c.name, JSON.stringify(c.params), now, now);
          this.insertStyles(id, c.styles, c.weights);
        }
      }
    });
    this.gc();
  }

  /**
   * Replaces name, params and blend (`PUT`). Style images are replaced when given, else kept (and
   * their weights too unless `blend` is given). Requires the current version.
   */
  async replace(teamId: string, id: string, expectedVersion: number | null, input: unknown, styleImages?: Buffer[]): Promise<Preset> {
    this.assertVersionGiven(expectedVersion);
    const parsed = presetInputSchema.safeParse(input);
    if (!parsed.success) throw invalid(parsed.error, 'preset');
    const { params, blend: paramBlend } = takeBlend(parsed.data.params);
    return this.update(teamId, id, expectedVersion!, {
      name: parsed.data.name,
      params,
      blend: parsed.data.blend ?? paramBlend,
      styleImages,
    });
  }

  /**
   * Changes only the given fields (`PATCH`): `params` is merged key by key (`null` removes a key).
   * Style images are replaced when given. Requires the current version.
   */
  async patch(teamId: string, id: string, expectedVersion: number | null, patch: unknown, styleImages?: Buffer[]): Promise<Preset> {
    this.assertVersionGiven(expectedVersion);
    const parsed = presetPatchSchema.safeParse(patch);
    if (!parsed.success) throw invalid(parsed.error, 'preset patch');
    return this.update(teamId, id, expectedVersion!, {
      name: parsed.data.name,
      paramsPatch: parsed.data.params,
      blend: parsed.data.blend,
      styleImages,
    });
  }

  /** Deletes a preset (requires the current version) and the images no other preset uses. */
  delete(teamId: string, id: string, expectedVersion: number | null): void {
    this.assertVersionGiven(expectedVersion);
    this.db
      .transaction(() => {
        this.checkVersion(teamId, id, expectedVersion!);
        this.db.prepare('DELETE FROM presets WHERE id = ? AND team_id = ?').run(id, teamId);
      })
      .immediate();
    this.gc();
  }

  /** The bytes and MIME type of a preset's `index`-th style image, or null. */
  async styleImage(teamId: string, id: string, index: number): Promise<{ data: Buffer; contentType: string; sha256: string } | null> {
    if (!Number.isInteger(index) || index < 0) return null;
    const row = this.db
      .prepare(`${STYLE_QUERY} JOIN presets p ON p.id = s.preset_id WHERE p.id = ? AND p.team_id = ? AND s.position = ?`)
      .get(id, teamId, index) as StyleRow | undefined;
    if (!row) return null;
    const data = await this.files.read(row.sha256);
    return data ? { data, contentType: row.content_type, sha256: row.sha256 } : null;
  }

  /** A preset's images and params for a job, or null when the team has no such preset. */
  async resolve(teamId: string, id: string): Promise<ResolvedPreset | null> {
    const preset = this.get(teamId, id);
    if (!preset) return null;
    const styles: ResolvedPreset['styles'] = [];
    for (const s of preset.styles) {
      const data = await this.files.read(s.sha256);
      if (!data) return null; // deleted meanwhile
      styles.push({ data, weight: s.weight });
    }
    return { styles, params: preset.params as StylizeParamsInput };
  }

  /** Deletes images no preset uses; `sweepDisk` also removes stray files left by crashed writers. */
  gc(options: { sweepDisk?: boolean; tempMaxAgeMs?: number } = {}): GcReport {
    return collectGarbage(this.db, this.files, options);
  }

  private async update(
    teamId: string,
    id: string,
    expectedVersion: number,
    change: {
      name?: string;
      params?: StylizeParamsInput;
      paramsPatch?: Record<string, unknown>;
      blend?: number[];
      styleImages?: Buffer[];
    },
  ): Promise<Preset> {
    // Fail fast on a stale version, unknown preset or bad blend before decoding images; re-checked below.
    this.checkVersion(teamId, id, expectedVersion);
    if (change.styleImages?.length && change.blend) this.weightsFor(change.styleImages.length, change.blend);
    const newStyles = change.styleImages?.length ? await this.prepareStyles(change.styleImages) : null;
    const now = new Date().toISOString();
    this.commitOrSweep(() => {
      const row = this.checkVersion(teamId, id, expectedVersion);
      const name = change.name ?? row.name;
      let params = change.params ?? (JSON.parse(row.params) as StylizeParamsInput);
      let blend = change.blend;
      if (change.paramsPatch) {
        // Built with fromEntries so every key stays an own key (`__proto__` included: the schema refuses it).
        const patch = change.paramsPatch;
        const merged = Object.fromEntries([
          ...Object.entries(params).filter(([k]) => !Object.hasOwn(patch, k)),
          ...Object.entries(patch).filter(([, v]) => v !== null),
        ]);
        const checked = presetParamsSchema.safeParse(merged);
        if (!checked.success) throw invalid(checked.error, 'preset params');
        const split = takeBlend(checked.data);
        params = split.params;
        blend = blend ?? split.blend;
      }
      this.assertNameFree(teamId, name, id);
      if (newStyles) {
        const weights = this.weightsFor(newStyles.length, blend);
        this.ensureImages(newStyles);
        this.db.prepare('DELETE FROM preset_styles WHERE preset_id = ?').run(id);
        this.insertStyles(id, newStyles, weights);
      } else if (blend) {
        const count = this.db.prepare('SELECT COUNT(*) FROM preset_styles WHERE preset_id = ?').pluck().get(id) as number;
        const set = this.db.prepare('UPDATE preset_styles SET weight = ? WHERE preset_id = ? AND position = ?');
        this.weightsFor(count, blend).forEach((w, i) => set.run(w, id, i));
      }
      this.db
        .prepare('UPDATE presets SET name = ?, params = ?, version = version + 1, updated_at = ? WHERE id = ? AND team_id = ?')
        .run(name, JSON.stringify(params), now, id, teamId);
    });
    if (newStyles) this.gc();
    return this.get(teamId, id)!;
  }

  /** Runs a write transaction; when it fails, sweeps the image files written for it (no row references them). */
  private commitOrSweep(fn: () => void): void {
    try {
      this.db.transaction(fn).immediate();
    } catch (err) {
      try {
        this.gc({ sweepDisk: true });
      } catch {
        // The next open sweeps them.
      }
      throw err;
    }
  }

  private assertVersionGiven(version: number | null): void {
    if (version === null || !Number.isInteger(version)) {
      throw new PresetError('precondition_required', "send the preset's current version in If-Match (its ETag)");
    }
  }

  /** The row when it belongs to the team and has the expected version; else not_found / stale_version. */
  private checkVersion(teamId: string, id: string, expected: number): PresetRow {
    const row = this.db
      .prepare(`SELECT ${PRESET_COLUMNS} FROM presets WHERE id = ? AND team_id = ?`)
      .get(id, teamId) as PresetRow | undefined;
    if (!row) throw notFound(id);
    if (row.version !== expected) {
      throw new PresetError(
        'stale_version',
        `preset '${row.name}' was changed by someone else (version ${expected} is now ${row.version}); reload it and try again`,
      );
    }
    return row;
  }

  private assertNameFree(teamId: string, name: string, exceptId: string | null): void {
    const clash = this.db
      .prepare('SELECT id FROM presets WHERE team_id = ? AND name = ? AND id IS NOT ?')
      .get(teamId, name, exceptId);
    if (clash) throw new PresetError('name_taken', `a preset named '${name}' already exists`);
  }

  private weightsFor(count: number, blend: number[] | undefined): number[] {
    if (!blend) return new Array<number>(count).fill(1);
    const bad = blendLengthError(blend, count);
    if (bad) throw new PresetError('invalid_preset', `blend: ${bad}`);
    return blend;
  }

  /** Validates (decodes) style images and writes their files durably. */
  private async prepareStyles(images: Buffer[]): Promise<PreparedStyle[]> {
    const prepared = await this.inspectStyles(images);
    await this.writeFiles(prepared);
    return prepared;
  }

  /** Validates style images (count, decoding) without writing anything. */
  private async inspectStyles(images: Buffer[]): Promise<PreparedStyle[]> {
    if (images.length === 0) throw new PresetError('invalid_preset', 'a preset needs at least one style image');
    if (images.length > PARAM_LIMITS.maxStyles) {
      throw new PresetError('invalid_preset', `a preset has at most ${PARAM_LIMITS.maxStyles} style images`);
    }
    const prepared: PreparedStyle[] = [];
    for (const data of images) {
      const { width, height, contentType } = await this.inspectImage(data);
      prepared.push({ data, sha256: sha256Hex(data), contentType, width, height });
    }
    return prepared;
  }

  private async writeFiles(styles: PreparedStyle[]): Promise<void> {
    for (const s of styles) await this.files.write(s.sha256, s.data);
  }

  /** Inside a write transaction: (re)writes files a concurrent GC removed, and records the images. */
  private ensureImages(styles: PreparedStyle[]): void {
    const insert = this.db.prepare(
      'INSERT OR IGNORE INTO images (sha256, content_type, bytes, width, height, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const now = new Date().toISOString();
    for (const s of styles) {
      this.files.writeSync(s.sha256, s.data);
      insert.run(s.sha256, s.contentType, s.data.byteLength, s.width, s.height, now);
    }
  }

  private insertStyles(presetId: string, styles: PreparedStyle[], weights: number[]): void {
    const insert = this.db.prepare('INSERT INTO preset_styles (preset_id, position, sha256, weight) VALUES (?, ?, ?, ?)');
    styles.forEach((s, i) => insert.run(presetId, i, s.sha256, weights[i]));
  }

  private styleRows(presetId: string): StyleRow[] {
    return this.db.prepare(`${STYLE_QUERY} WHERE s.preset_id = ? ORDER BY s.position`).all(presetId) as StyleRow[];
  }

  private toPreset(row: PresetRow, styles: StyleRow[]): Preset {
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
}
