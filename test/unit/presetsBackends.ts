/**
 * The two preset stores as the shared contract suite opens them: the embedded SQLite store in a temp
 * data dir, and PostgreSQL in a fresh database of a test server (test/helpers/postgresServer.ts).
 * Each opened store comes with what the work-counting tests read: every statement it ran (with row
 * counts where the driver gives them) and a snapshot of what it stores.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PresetsStore } from '../../companion/src/presets/contract.js';
import { PRESETS_DB_FILE } from '../../companion/src/presets/db.js';
import { STYLE_IMAGES_DIR } from '../../companion/src/presets/images.js';
import { decodingInspector } from '../../companion/src/presets/inspect.js';
import { PostgresPresetStore } from '../../companion/src/presets/postgres/store.js';
import { SqlitePresetStore } from '../../companion/src/presets/store.js';
import { postgresAvailability, startPostgres, type PostgresServer } from '../helpers/postgresServer.js';
import { removeDir, tempDataDir } from './presetsFixtures.js';

/** An open store with its instruments. */
export interface OpenedStore {
  store: PresetsStore;
  /** Every statement run since open (or since the last `trace.length = 0`). */
  trace: string[];
  /** What the store holds, one line per image row and file (with identity: inode / row version), sorted. */
  snapshot(): Promise<string[]>;
  /** The raw bytes or text the store keeps about teams (to check no token is stored). */
  rawTeams(): Promise<string>;
  dispose(): Promise<void>;
}

/** A kind of store the suite runs against. */
export interface Backend {
  name: 'sqlite' | 'postgres';
  availability(): { available: boolean; reason?: string };
  setup(): Promise<void>;
  open(): Promise<OpenedStore>;
  teardown(): Promise<void>;
}

export const sqliteBackend: Backend = {
  name: 'sqlite',
  availability: () => ({ available: true }),
  setup: async () => undefined,
  async open() {
    const dir = tempDataDir();
    const trace: string[] = [];
    const store = SqlitePresetStore.open({ dataDir: dir, inspectImage: decodingInspector(), onStatement: (sql) => trace.push(sql) });
    const imagesDir = path.join(dir, STYLE_IMAGES_DIR);
    return {
      store,
      trace,
      async snapshot() {
        const lines: string[] = [];
        for (const team of fs.readdirSync(imagesDir)) {
          const teamDir = path.join(imagesDir, team);
          if (!fs.statSync(teamDir).isDirectory()) continue;
          for (const f of fs.readdirSync(teamDir)) {
            const st = fs.statSync(path.join(teamDir, f));
            lines.push(`file ${team}/${f} ino=${st.ino} mtime=${st.mtimeMs}`);
          }
        }
        const n = trace.length;
        const rows = store.db.prepare('SELECT team_id, sha256, created_at FROM images').all() as Array<Record<string, string>>;
        trace.length = n; // the snapshot's own query is no work of the store
        for (const r of rows) lines.push(`row ${r.team_id}/${r.sha256} ${r.created_at}`);
        return lines.sort();
      },
      async rawTeams() {
        return fs
          .readdirSync(dir)
          .filter((f) => f.startsWith(PRESETS_DB_FILE))
          .map((f) => fs.readFileSync(path.join(dir, f)).toString('latin1'))
          .join('');
      },
      async dispose() {
        await store.close();
        removeDir(dir);
      },
    };
  },
  teardown: async () => undefined,
};

let server: PostgresServer | null = null;
let databases = 0;

export const postgresBackend: Backend = {
  name: 'postgres',
  availability: postgresAvailability,
  async setup() {
    server = await startPostgres();
  },
  async open() {
    const url = await server!.createDatabase(`contract_${process.pid}_${++databases}`);
    const trace: string[] = [];
    const store = await PostgresPresetStore.open({
      databaseUrl: url,
      inspectImage: decodingInspector(),
      onStatement: (sql, rows) => trace.push(`${sql.replace(/\s+/g, ' ').trim()} → ${rows}`),
    });
    return {
      store,
      trace,
      async snapshot() {
        // xmin: the transaction that last wrote the row (changes on any update).
        const res = await store.db.pool.query<{ line: string }>("SELECT 'row ' || team_id || '/' || sha256 || ' xmin=' || xmin::text AS line FROM images");
        return res.rows.map((r) => r.line).sort();
      },
      async rawTeams() {
        const res = await store.db.pool.query<{ t: string }>('SELECT t::text AS t FROM teams t');
        return res.rows.map((r) => r.t).join('\n');
      },
      async dispose() {
        await store.close();
      },
    };
  },
  async teardown() {
    await server?.stop();
    server = null;
  },
};
