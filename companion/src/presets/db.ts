/**
 * The presets database: SQLite (better-sqlite3) in the companion's data dir, WAL mode, schema
 * migrations versioned in code (`PRAGMA user_version`). Other modules only see `openPresetsDb`.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateDir, ensurePrivateFile } from '../io/dataDir.js';
import { DEFAULT_TEAM } from './defaultTeam.js';

/** The database handle type used across the presets modules. */
export type PresetsDb = Database.Database;

/** File name of the database inside the data dir. */
export const PRESETS_DB_FILE = 'presets.sqlite3';

export { DEFAULT_TEAM } from './defaultTeam.js';

/** Schema migrations, applied in order; index + 1 is the resulting `user_version`. Append only. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE teams (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    token_hash  TEXT UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
  ) STRICT;
  INSERT INTO teams (id, name, token_hash, created_at) VALUES ('${DEFAULT_TEAM.id}', '${DEFAULT_TEAM.name}', NULL, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

  CREATE TABLE images (
    sha256        TEXT PRIMARY KEY,
    content_type  TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    created_at    TEXT NOT NULL
  ) STRICT;

  CREATE TABLE presets (
    id          TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL REFERENCES teams(id),
    name        TEXT NOT NULL COLLATE NOCASE,
    params      TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (team_id, name)
  ) STRICT;

  CREATE TABLE preset_styles (
    preset_id   TEXT NOT NULL REFERENCES presets(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    sha256      TEXT NOT NULL REFERENCES images(sha256),
    weight      REAL NOT NULL,
    PRIMARY KEY (preset_id, position)
  ) STRICT;
  CREATE INDEX preset_styles_sha256 ON preset_styles (sha256);
  `,
  // 2: image rows per team (was: one row per content hash for all teams). Deleting a preset then does
  // the same work whether or not another team holds the same bytes, so it reveals nothing about them.
  // The files move from style-images/<sha256> to style-images/<team id>/<sha256> when the store opens
  // (images.ts adoptLegacyFiles): SQL cannot move files.
  `
  CREATE TABLE team_images (
    team_id       TEXT NOT NULL REFERENCES teams(id),
    sha256        TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (team_id, sha256)
  ) STRICT;
  INSERT INTO team_images (team_id, sha256, content_type, bytes, width, height, created_at)
    SELECT DISTINCT p.team_id, i.sha256, i.content_type, i.bytes, i.width, i.height, i.created_at
    FROM preset_styles s JOIN presets p ON p.id = s.preset_id JOIN images i ON i.sha256 = s.sha256;

  CREATE TABLE preset_styles_v2 (
    preset_id   TEXT NOT NULL REFERENCES presets(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    weight      REAL NOT NULL,
    PRIMARY KEY (preset_id, position)
  ) STRICT;
  INSERT INTO preset_styles_v2 SELECT preset_id, position, sha256, weight FROM preset_styles;
  DROP TABLE preset_styles;
  ALTER TABLE preset_styles_v2 RENAME TO preset_styles;
  CREATE INDEX preset_styles_sha256 ON preset_styles (sha256);
  DROP TABLE images;
  ALTER TABLE team_images RENAME TO images;
  `,
];

/** Newest schema version this code knows. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Opens (creating if needed) the presets database in `dataDir` and migrates it to `SCHEMA_VERSION`. */
export function openPresetsDb(dataDir: string, options: { onStatement?: (sql: string) => void } = {}): PresetsDb {
  ensurePrivateDir(dataDir);
  const file = path.join(dataDir, PRESETS_DB_FILE);
  // SQLite creates its -wal and -shm files with the database file's mode: make that 0600 first.
  ensurePrivateFile(file);
  for (const side of ['-wal', '-shm']) if (fs.existsSync(file + side)) ensurePrivateFile(file + side);
  const db = new Database(file, { timeout: 10_000, ...(options.onStatement ? { verbose: (sql: unknown) => options.onStatement!(String(sql)) } : {}) });
  try {
    db.pragma('journal_mode = WAL');
    // FULL: a transaction the API acknowledged survives power loss too, not only a process crash.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Applies the missing migrations, each in its own immediate transaction. */
function migrate(db: PresetsDb): void {
  const current = (): number => db.pragma('user_version', { simple: true }) as number;
  if (current() > SCHEMA_VERSION) {
    throw new Error(
      `presets database schema version ${current()} is newer than this companion supports (${SCHEMA_VERSION}); upgrade Atelier`,
    );
  }
  for (let v = current(); v < SCHEMA_VERSION; v = current()) {
    db.transaction(() => {
      // Re-check under the write lock: another process may have migrated meanwhile.
      if (current() !== v) return;
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
