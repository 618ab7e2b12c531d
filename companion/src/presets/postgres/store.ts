/**
 * The team-server preset store: presets, teams and style images (bytes included) in PostgreSQL,
 * shared by every API process and worker. Keeps contract.ts's contract with rules.ts's decisions;
 * each team's writes run one at a time under the team's advisory lock (connection.ts), inside one
 * transaction each, so a version check, a name check and the image GC see a still picture.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import type { StylizeParamsInput } from '../../../../shared/params.js';
import type { Preset } from '../../../../shared/presets.js';
import type { ImageInspector, PresetsStore, PresetWrite, ResolvedPreset } from '../contract.js';
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
} from '../rules.js';
import { checkDatabaseUrl, Db, describeConnectError, nameClash, type Query, type StatementObserver } from './connection.js';
import { migrate } from './migrate.js';
import { PostgresTeamStore } from './teams.js';

/** How to open the PostgreSQL store. */
export interface PostgresStoreOptions {
  /** `postgres://USER:PASSWORD@HOST:PORT/DATABASE`. */
  databaseUrl: string;
  inspectImage: ImageInspector;
  /** Most connections this process opens (default 10). */
  maxConnections?: number;
  /** Called with every statement and its row count (tests count the work an operation does). */
  onStatement?: StatementObserver;
}

const PRESET_COLUMNS = 'id, name, params, version, created_at, updated_at';
const STYLE_QUERY = `SELECT s.preset_id, s.position, s.sha256, s.weight, i.content_type, i.bytes, i.width, i.height
  FROM preset_styles s JOIN images i ON i.team_id = s.team_id AND i.sha256 = s.sha256`;

type StyleRowOf = StyleRow & { preset_id: string };

/** Team presets on PostgreSQL. Open with `PostgresPresetStore.open`, close when done. */
export class PostgresPresetStore implements PresetsStore {
  readonly kind = 'postgres';
  readonly teams: PostgresTeamStore;

  private constructor(
    readonly db: Db,
    private readonly inspectImage: ImageInspector,
  ) {
    this.teams = new PostgresTeamStore(db);
  }

  /**
   * Connects, migrates the schema (node-pg-migrate) and adds the local team. Throws
   * DatabaseOpenError `bad_url` / `unreachable` with a one-line message.
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresPresetStore> {
    checkDatabaseUrl(options.databaseUrl);
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.maxConnections ?? 10, connectionTimeoutMillis: 10_000 });
    // An idle client's error (server restart) must not crash the process: the next query reconnects.
    pool.on('error', () => undefined);
    const db = new Db(pool, options.onStatement);
    try {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw describeConnectError(options.databaseUrl, err);
      }
      try {
        await migrate(client);
      } finally {
        client.release();
      }
      const store = new PostgresPresetStore(db, options.inspectImage);
      await store.teams.ensureDefault();
      return store;
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async list(teamId: string): Promise<Preset[]> {
    const rows = await this.db.query<PresetRow>(`SELECT ${PRESET_COLUMNS} FROM presets WHERE team_id = $1 ORDER BY lower(name) COLLATE "C", id`, [teamId]);
    const styles = await this.db.query<StyleRowOf>(`${STYLE_QUERY} WHERE s.team_id = $1 ORDER BY s.preset_id, s.position`, [teamId]);
    const byPreset = new Map<string, StyleRow[]>();
    for (const s of styles) {
      const list = byPreset.get(s.preset_id) ?? [];
      list.push(s);
      byPreset.set(s.preset_id, list);
    }
    return rows.map((r) => toPreset(r, byPreset.get(r.id) ?? []));
  }

  async get(teamId: string, id: string): Promise<Preset | null> {
    return this.read(this.db.query, teamId, 'id = $1', id);
  }

  async getByName(teamId: string, name: string): Promise<Preset | null> {
    return this.read(this.db.query, teamId, 'lower(name) = lower($1)', name.trim());
  }

  async create(teamId: string, input: unknown, styleImages: Buffer[]): Promise<Preset> {
    const checked = checkInput(input);
    const weights = weightsFor(styleImages.length, checked.blend);
    await this.assertNameFree(this.db.query, teamId, checked.name, null); // fail fast; re-checked under the lock
    const styles = await inspectStyles(this.inspectImage, styleImages);
    const id = crypto.randomUUID();
    const now = new Date().toISOString();
    return this.db.transaction(teamId, async (q) => {
      await this.assertNameFree(q, teamId, checked.name, null);
      await this.ensureImages(q, teamId, styles);
      await this.insertPreset(q, teamId, id, checked.name, checked.params, now);
      await this.insertStyles(q, teamId, id, styles, weights);
      return (await this.read(q, teamId, 'id = $1', id))!;
    });
  }

  async writeAll(teamId: string, items: PresetWrite[]): Promise<void> {
    const checked = await checkWrites(this.inspectImage, items);
    const now = new Date().toISOString();
    await this.db.transaction(teamId, async (q) => {
      for (const c of checked) {
        await this.ensureImages(q, teamId, c.styles);
        if (c.replace) {
          checkRowVersion(await this.row(q, teamId, c.replace.id), c.replace.id, c.replace.version);
          await this.assertNameFree(q, teamId, c.name, c.replace.id);
          await q('DELETE FROM preset_styles WHERE preset_id = $1', [c.replace.id]);
          await this.insertStyles(q, teamId, c.replace.id, c.styles, c.weights);
          await this.updatePreset(q, teamId, c.replace.id, c.name, c.params, now);
        } else {
          await this.assertNameFree(q, teamId, c.name, null);
          const id = crypto.randomUUID();
          await this.insertPreset(q, teamId, id, c.name, c.params, now);
          await this.insertStyles(q, teamId, id, c.styles, c.weights);
        }
      }
      await this.collectGarbage(q, teamId);
    });
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
    await this.db.transaction(teamId, async (q) => {
      checkRowVersion(await this.row(q, teamId, id), id, expectedVersion);
      await q('DELETE FROM presets WHERE id = $1 AND team_id = $2', [id, teamId]);
      await this.collectGarbage(q, teamId);
    });
  }

  async styleImage(teamId: string, id: string, index: number): Promise<{ data: Buffer; contentType: string; sha256: string } | null> {
    if (!Number.isInteger(index) || index < 0 || index > 2 ** 31 - 1) return null;
    const [row] = await this.db.query<{ data: Buffer; content_type: string; sha256: string }>(
      `SELECT i.data, i.content_type, i.sha256 FROM preset_styles s JOIN presets p ON p.id = s.preset_id
         JOIN images i ON i.team_id = s.team_id AND i.sha256 = s.sha256
       WHERE p.id = $1 AND p.team_id = $2 AND s.position = $3`,
      [id, teamId, index],
    );
    return row ? { data: row.data, contentType: row.content_type, sha256: row.sha256 } : null;
  }

  async resolve(teamId: string, id: string): Promise<ResolvedPreset | null> {
    // One snapshot: the params and the bytes of the same version.
    return this.db.transaction(null, async (q) => {
      await q('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const row = await this.row(q, teamId, id);
      if (!row) return null;
      const styles = await q<{ data: Buffer; weight: number }>(
        `SELECT i.data, s.weight FROM preset_styles s JOIN images i ON i.team_id = s.team_id AND i.sha256 = s.sha256
         WHERE s.preset_id = $1 AND s.team_id = $2 ORDER BY s.position`,
        [id, teamId],
      );
      return { styles: styles.map((s) => ({ data: s.data, weight: s.weight })), params: JSON.parse(row.params) as StylizeParamsInput };
    });
  }

  private async update(
    teamId: string,
    id: string,
    expectedVersion: number,
    change: { name?: string; params?: StylizeParamsInput; paramsPatch?: Record<string, unknown>; blend?: number[]; styleImages?: Buffer[] },
  ): Promise<Preset> {
    // Fail fast on a stale version, unknown preset or bad blend before decoding images; re-checked under the lock.
    checkRowVersion(await this.row(this.db.query, teamId, id), id, expectedVersion);
    if (change.styleImages?.length && change.blend) weightsFor(change.styleImages.length, change.blend);
    const newStyles = change.styleImages?.length ? await inspectStyles(this.inspectImage, change.styleImages) : null;
    const now = new Date().toISOString();
    return this.db.transaction(teamId, async (q) => {
      const row = checkRowVersion(await this.row(q, teamId, id), id, expectedVersion);
      const next = applyChange(row, change);
      await this.assertNameFree(q, teamId, next.name, id);
      if (newStyles) {
        const weights = weightsFor(newStyles.length, next.blend);
        await this.ensureImages(q, teamId, newStyles);
        await q('DELETE FROM preset_styles WHERE preset_id = $1', [id]);
        await this.insertStyles(q, teamId, id, newStyles, weights);
      } else if (next.blend) {
        const [{ n }] = await q<{ n: number }>('SELECT COUNT(*)::int AS n FROM preset_styles WHERE preset_id = $1', [id]);
        const weights = weightsFor(n, next.blend);
        for (let i = 0; i < n; i++) await q('UPDATE preset_styles SET weight = $1 WHERE preset_id = $2 AND position = $3', [weights[i], id, i]);
      }
      await this.updatePreset(q, teamId, id, next.name, next.params, now);
      if (newStyles) await this.collectGarbage(q, teamId);
      return (await this.read(q, teamId, 'id = $1', id))!;
    });
  }

  /** Deletes the team's images none of its presets uses: the team's rows only, the same work whatever other teams hold. */
  private async collectGarbage(q: Query, teamId: string): Promise<void> {
    await q(
      `DELETE FROM images i WHERE i.team_id = $1
         AND NOT EXISTS (SELECT 1 FROM preset_styles s WHERE s.team_id = i.team_id AND s.sha256 = i.sha256)`,
      [teamId],
    );
  }

  private async read(q: Query, teamId: string, where: string, value: string): Promise<Preset | null> {
    const [row] = await q<PresetRow>(`SELECT ${PRESET_COLUMNS} FROM presets WHERE ${where} AND team_id = $2`, [value, teamId]);
    if (!row) return null;
    const styles = await q<StyleRow>(`${STYLE_QUERY} WHERE s.preset_id = $1 ORDER BY s.position`, [row.id]);
    return toPreset(row, styles);
  }

  private async row(q: Query, teamId: string, id: string): Promise<PresetRow | undefined> {
    const [row] = await q<PresetRow>(`SELECT ${PRESET_COLUMNS} FROM presets WHERE id = $1 AND team_id = $2`, [id, teamId]);
    return row;
  }

  private async assertNameFree(q: Query, teamId: string, name: string, exceptId: string | null): Promise<void> {
    const clash = await q('SELECT id FROM presets WHERE team_id = $1 AND lower(name) = lower($2) AND id IS DISTINCT FROM $3', [teamId, name, exceptId]);
    if (clash.length > 0) throw nameTaken(name);
  }

  /** Records the team's images, always writing the bytes in full (never "already there, skip"). */
  private async ensureImages(q: Query, teamId: string, styles: PreparedStyle[]): Promise<void> {
    const now = new Date().toISOString();
    for (const s of styles) {
      await q(
        `INSERT INTO images (team_id, sha256, content_type, bytes, width, height, data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (team_id, sha256) DO UPDATE SET data = EXCLUDED.data`,
        [teamId, s.sha256, s.contentType, s.data.byteLength, s.width, s.height, s.data, now],
      );
    }
  }

  private async insertPreset(q: Query, teamId: string, id: string, name: string, params: StylizeParamsInput, now: string): Promise<void> {
    try {
      await q('INSERT INTO presets (id, team_id, name, params, version, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5)', [
        id,
        teamId,
        name,
        JSON.stringify(params),
        now,
      ]);
    } catch (err) {
      throw nameClash(err, name);
    }
  }

  private async updatePreset(q: Query, teamId: string, id: string, name: string, params: StylizeParamsInput, now: string): Promise<void> {
    try {
      await q('UPDATE presets SET name = $1, params = $2, version = version + 1, updated_at = $3 WHERE id = $4 AND team_id = $5', [
        name,
        JSON.stringify(params),
        now,
        id,
        teamId,
      ]);
    } catch (err) {
      throw nameClash(err, name);
    }
  }

  private async insertStyles(q: Query, teamId: string, presetId: string, styles: PreparedStyle[], weights: number[]): Promise<void> {
    for (let i = 0; i < styles.length; i++) {
      await q('INSERT INTO preset_styles (preset_id, position, team_id, sha256, weight) VALUES ($1, $2, $3, $4, $5)', [presetId, i, teamId, styles[i].sha256, weights[i]]);
    }
  }
}
