/**
 * The embedded preset store: team presets on SQLite (db.ts) + per-team content-addressed files
 * (images.ts), for a companion on one machine. Style images are validated (decoded), written
 * durably as files first, then referenced in one immediate transaction; see README.md for the
 * crash-safety protocol. Keeps the contract of contract.ts (rules.ts decides, this file persists).
 */
import crypto from 'node:crypto';
import type { StylizeParamsInput } from '../../../shared/params.js';
import type { Preset } from '../../../shared/presets.js';
import type { ImageInspector, PresetsStore, PresetWrite, ResolvedPreset } from './contract.js';
import { openPresetsDb, type PresetsDb } from './db.js';
import { collectGarbage, StyleImageFiles, type GcReport } from './images.js';
import {
  applyChange,
  assertVersionGiven,
  checkInput,
  checkPatch,
  checkRowVersion,
  checkWrites,
  inspectStyles,
  nameTaken,
  toPreset,
  weightsFor,
  type PreparedStyle,
  type PresetRow,
  type StyleRow,
} from './rules.js';
import { SqliteTeamStore } from './teams.js';

export type { ImageInspector, ResolvedPreset } from './contract.js';

/** How to open the embedded store. */
export interface SqliteStoreOptions {
  /** The companion's data dir; the database and the `style-images/` folder live in it. */
  dataDir: string;
  /** Validates each style image before it is stored (the server passes inspect.ts decodingInspector). */
  inspectImage: ImageInspector;
  /** Called with every SQL statement run (tests count the work an operation does). */
  onStatement?: (sql: string) => void;
}

const PRESET_COLUMNS = 'id, name, params, version, created_at, updated_at';
/** Styles joined with the image rows of the preset's own team. */
const STYLE_QUERY = `SELECT s.preset_id, s.position, s.sha256, s.weight, i.content_type, i.bytes, i.width, i.height
  FROM preset_styles s JOIN presets p ON p.id = s.preset_id JOIN images i ON i.team_id = p.team_id AND i.sha256 = s.sha256`;

type StyleRowOf = StyleRow & { preset_id: string };

/** Team presets on SQLite + per-team files. Open with `SqlitePresetStore.open`, close when done. */
export class SqlitePresetStore implements PresetsStore {
  readonly kind = 'sqlite';
  readonly teams: SqliteTeamStore;

  private constructor(
    readonly db: PresetsDb,
    readonly files: StyleImageFiles,
    private readonly inspectImage: ImageInspector,
  ) {
    this.teams = new SqliteTeamStore(db);
  }

  /** Opens (creating/migrating) the store in a data dir and collects garbage left by crashed writers. */
  static open(options: SqliteStoreOptions): SqlitePresetStore {
    const db = openPresetsDb(options.dataDir, { onStatement: options.onStatement });
    try {
      const store = new SqlitePresetStore(db, new StyleImageFiles(options.dataDir), options.inspectImage);
      store.gc({ sweepDisk: true });
      return store;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async list(teamId: string): Promise<Preset[]> {
    const rows = this.db.prepare(`SELECT ${PRESET_COLUMNS} FROM presets WHERE team_id = ? ORDER BY name, id`).all(teamId) as PresetRow[];
    const styles = this.db.prepare(`${STYLE_QUERY} WHERE p.team_id = ? ORDER BY s.preset_id, s.position`).all(teamId) as StyleRowOf[];
    const byPreset = new Map<string, StyleRow[]>();
    for (const s of styles) {
      const list = byPreset.get(s.preset_id) ?? [];
      list.push(s);
      byPreset.set(s.preset_id, list);
    }
    return rows.map((r) => toPreset(r, byPreset.get(r.id) ?? []));
  }

  async get(teamId: string, id: string): Promise<Preset | null> {
    return this.getSync(teamId, id);
  }

  async getByName(teamId: string, name: string): Promise<Preset | null> {
    const row = this.db.prepare(`SELECT ${PRESET_COLUMNS} FROM presets WHERE name = ? AND team_id = ?`).get(name.trim(), teamId) as PresetRow | undefined;
    return row ? toPreset(row, this.styleRows(row.id)) : null;
  }

  async create(teamId: string, input: unknown, styleImages: Buffer[]): Promise<Preset> {
    const checked = checkInput(input);
    const weights = weightsFor(styleImages.length, checked.blend);
    this.assertNameFree(teamId, checked.name, null); // fail fast; re-checked in the transaction
    const styles = await this.prepareStyles(teamId, styleImages);
    const id = crypto.randomUUID();
    const now = new Date().toISOString();
    this.commitOrSweep(() => {
      this.assertNameFree(teamId, checked.name, null);
      this.ensureImages(teamId, styles);
      this.insertPreset(teamId, id, checked.name, checked.params, now);
      this.insertStyles(id, styles, weights);
    });
    return this.getSync(teamId, id)!;
  }

  async writeAll(teamId: string, items: PresetWrite[]): Promise<void> {
    const checked = await checkWrites(this.inspectImage, items);
    for (const c of checked) await this.writeFiles(teamId, c.styles);
    const now = new Date().toISOString();
    this.commitOrSweep(() => {
      for (const c of checked) {
        this.ensureImages(teamId, c.styles);
        if (c.replace) {
          checkRowVersion(this.row(teamId, c.replace.id), c.replace.id, c.replace.version);
          this.assertNameFree(teamId, c.name, c.replace.id);
          this.db.prepare('DELETE FROM preset_styles WHERE preset_id = ?').run(c.replace.id);
          this.insertStyles(c.replace.id, c.styles, c.weights);
          this.updatePreset(teamId, c.replace.id, c.name, c.params, now);
        } else {
          this.assertNameFree(teamId, c.name, null);
          const id = crypto.randomUUID();
          this.insertPreset(teamId, id, c.name, c.params, now);
          this.insertStyles(id, c.styles, c.weights);
        }
      }
    });
    this.gc({ teamId });
  }

  async replace(teamId: string, id: string, expectedVersion: number | null, input: unknown, styleImages?: Buffer[]): Promise<Preset> {
    assertVersionGiven(expectedVersion);
    const checked = checkInput(input);
    return this.update(teamId, id, expectedVersion, { name: checked.name, params: checked.params, blend: checked.blend, styleImages });
  }

  async patch(teamId: string, id: string, expectedVersion: number | null, patch: unknown, styleImages?: Buffer[]): Promise<Preset> {
    assertVersionGiven(expectedVersion);
    return this.update(teamId, id, expectedVersion, { ...checkPatch(patch), styleImages });
  }

  async delete(teamId: string, id: string, expectedVersion: number | null): Promise<void> {
    assertVersionGiven(expectedVersion);
    this.db
      .transaction(() => {
        checkRowVersion(this.row(teamId, id), id, expectedVersion);
        this.db.prepare('DELETE FROM presets WHERE id = ? AND team_id = ?').run(id, teamId);
      })
      .immediate();
    this.gc({ teamId });
  }

  async styleImage(teamId: string, id: string, index: number): Promise<{ data: Buffer; contentType: string; sha256: string } | null> {
    if (!Number.isInteger(index) || index < 0) return null;
    const row = this.db.prepare(`${STYLE_QUERY} WHERE p.id = ? AND p.team_id = ? AND s.position = ?`).get(id, teamId, index) as StyleRowOf | undefined;
    if (!row) return null;
    const data = await this.files.read(teamId, row.sha256);
    return data ? { data, contentType: row.content_type, sha256: row.sha256 } : null;
  }

  async resolve(teamId: string, id: string): Promise<ResolvedPreset | null> {
    const preset = this.getSync(teamId, id);
    if (!preset) return null;
    const styles: ResolvedPreset['styles'] = [];
    for (const s of preset.styles) {
      const data = await this.files.read(teamId, s.sha256);
      if (!data) return null; // deleted meanwhile
      styles.push({ data, weight: s.weight });
    }
    return { styles, params: preset.params as StylizeParamsInput };
  }

  /** Deletes images no preset of their team uses; `sweepDisk` also removes stray files left by crashed writers. */
  gc(options: { teamId?: string; sweepDisk?: boolean; tempMaxAgeMs?: number } = {}): GcReport {
    return collectGarbage(this.db, this.files, options);
  }

  private getSync(teamId: string, id: string): Preset | null {
    const row = this.row(teamId, id);
    return row ? toPreset(row, this.styleRows(row.id)) : null;
  }

  private row(teamId: string, id: string): PresetRow | undefined {
    return this.db.prepare(`SELECT ${PRESET_COLUMNS} FROM presets WHERE id = ? AND team_id = ?`).get(id, teamId) as PresetRow | undefined;
  }

  private async update(
    teamId: string,
    id: string,
    expectedVersion: number,
    change: { name?: string; params?: StylizeParamsInput; paramsPatch?: Record<string, unknown>; blend?: number[]; styleImages?: Buffer[] },
  ): Promise<Preset> {
    // Fail fast on a stale version, unknown preset or bad blend before decoding images; re-checked below.
    checkRowVersion(this.row(teamId, id), id, expectedVersion);
    if (change.styleImages?.length && change.blend) weightsFor(change.styleImages.length, change.blend);
    const newStyles = change.styleImages?.length ? await this.prepareStyles(teamId, change.styleImages) : null;
    const now = new Date().toISOString();
    this.commitOrSweep(() => {
      const row = checkRowVersion(this.row(teamId, id), id, expectedVersion);
      const next = applyChange(row, change);
      this.assertNameFree(teamId, next.name, id);
      if (newStyles) {
        const weights = weightsFor(newStyles.length, next.blend);
        this.ensureImages(teamId, newStyles);
        this.db.prepare('DELETE FROM preset_styles WHERE preset_id = ?').run(id);
        this.insertStyles(id, newStyles, weights);
      } else if (next.blend) {
        const count = this.db.prepare('SELECT COUNT(*) FROM preset_styles WHERE preset_id = ?').pluck().get(id) as number;
        const set = this.db.prepare('UPDATE preset_styles SET weight = ? WHERE preset_id = ? AND position = ?');
        weightsFor(count, next.blend).forEach((w, i) => set.run(w, id, i));
      }
      this.updatePreset(teamId, id, next.name, next.params, now);
    });
    if (newStyles) this.gc({ teamId });
    return this.getSync(teamId, id)!;
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

  private assertNameFree(teamId: string, name: string, exceptId: string | null): void {
    const clash = this.db.prepare('SELECT id FROM presets WHERE team_id = ? AND name = ? AND id IS NOT ?').get(teamId, name, exceptId);
    if (clash) throw nameTaken(name);
  }

  /** Validates (decodes) style images and writes the team's files durably. */
  private async prepareStyles(teamId: string, images: Buffer[]): Promise<PreparedStyle[]> {
    const prepared = await inspectStyles(this.inspectImage, images);
    await this.writeFiles(teamId, prepared);
    return prepared;
  }

  private async writeFiles(teamId: string, styles: PreparedStyle[]): Promise<void> {
    for (const s of styles) await this.files.write(teamId, s.sha256, s.data);
  }

  /** Inside a write transaction: (re)writes files a concurrent GC removed, and records the team's images. */
  private ensureImages(teamId: string, styles: PreparedStyle[]): void {
    const insert = this.db.prepare(
      'INSERT OR IGNORE INTO images (team_id, sha256, content_type, bytes, width, height, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const now = new Date().toISOString();
    for (const s of styles) {
      this.files.writeSync(teamId, s.sha256, s.data);
      insert.run(teamId, s.sha256, s.contentType, s.data.byteLength, s.width, s.height, now);
    }
  }

  private insertPreset(teamId: string, id: string, name: string, params: StylizeParamsInput, now: string): void {
    this.db
      .prepare('INSERT INTO presets (id, team_id, name, params, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)')
      .run(id, teamId, name, JSON.stringify(params), now, now);
  }

  private updatePreset(teamId: string, id: string, name: string, params: StylizeParamsInput, now: string): void {
    this.db
      .prepare('UPDATE presets SET name = ?, params = ?, version = version + 1, updated_at = ? WHERE id = ? AND team_id = ?')
      .run(name, JSON.stringify(params), now, id, teamId);
  }

  private insertStyles(presetId: string, styles: PreparedStyle[], weights: number[]): void {
    const insert = this.db.prepare('INSERT INTO preset_styles (preset_id, position, sha256, weight) VALUES (?, ?, ?, ?)');
    styles.forEach((s, i) => insert.run(presetId, i, s.sha256, weights[i]));
  }

  private styleRows(presetId: string): StyleRow[] {
    return this.db.prepare(`${STYLE_QUERY} WHERE s.preset_id = ? ORDER BY s.position`).all(presetId) as StyleRow[];
  }
}
