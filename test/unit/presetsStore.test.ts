/**
 * What only the embedded SQLite store has (the shared contract is presetsContract.test.ts): its
 * per-team files and their garbage collection, the race with a concurrent GC, its migrations —
 * including schema 1's shared image rows and files becoming per-team ones.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TEAM, PRESETS_DB_FILE, SCHEMA_VERSION } from '../../companion/src/presets/db.js';
import { sha256Hex, STYLE_IMAGES_DIR } from '../../companion/src/presets/images.js';
import { decodingInspector } from '../../companion/src/presets/inspect.js';
import { SqlitePresetStore } from '../../companion/src/presets/store.js';
import { pngImage, removeDir, tempDataDir } from './presetsFixtures.js';

let dir: string;
let store: SqlitePresetStore;
const A = DEFAULT_TEAM.id;
let B: string;

const open = (): SqlitePresetStore => SqlitePresetStore.open({ dataDir: dir, inspectImage: decodingInspector() });
/** `team/sha256` of every image file. */
const imageFiles = (): string[] => {
  const root = path.join(dir, STYLE_IMAGES_DIR);
  return fs
    .readdirSync(root)
    .flatMap((t) => (fs.statSync(path.join(root, t)).isDirectory() ? fs.readdirSync(path.join(root, t)).map((f) => `${t}/${f}`) : [t]))
    .sort();
};

beforeEach(async () => {
  dir = tempDataDir();
  store = open();
  B = (await store.teams.create('Team B')).team.id;
});
afterEach(async () => {
  await store.close();
  removeDir(dir);
});

describe('SqlitePresetStore files', () => {
  it("stores each image once per team and garbage-collects the team's images no preset of it references", async () => {
    const a = await pngImage(1);
    const b = await pngImage(2);
    const p1 = await store.create(A, { name: 'one' }, [a, b]);
    await store.create(A, { name: 'one again' }, [a]);
    const p2 = await store.create(B, { name: 'two' }, [a]);
    expect(imageFiles()).toEqual([`${A}/${sha256Hex(a)}`, `${A}/${sha256Hex(b)}`, `${B}/${sha256Hex(a)}`].sort());
    await store.delete(A, p1.id, 1);
    expect(imageFiles()).toEqual([`${A}/${sha256Hex(a)}`, `${B}/${sha256Hex(a)}`].sort()); // b unreferenced → gone
    const c = await pngImage(3);
    await store.replace(B, p2.id, 1, { name: 'two' }, [c]);
    expect(imageFiles()).toEqual([`${A}/${sha256Hex(a)}`, `${B}/${sha256Hex(c)}`].sort());
    expect(store.db.prepare('SELECT team_id || \'/\' || sha256 FROM images ORDER BY 1').pluck().all()).toEqual(imageFiles());
    // Files of crashed writers: an orphan (no row) and a temp file are swept.
    fs.writeFileSync(path.join(dir, STYLE_IMAGES_DIR, B, sha256Hex(a)), a);
    fs.writeFileSync(path.join(dir, STYLE_IMAGES_DIR, B, '.tmp-1-abc'), 'partial');
    expect(store.gc({ sweepDisk: true, tempMaxAgeMs: 0 })).toEqual({ images: 0, orphanFiles: 1, tempFiles: 1 });
    expect(imageFiles()).toEqual([`${A}/${sha256Hex(a)}`, `${B}/${sha256Hex(c)}`].sort());
  });

  it('rewrites an image file that a concurrent GC removed before the referencing commit', async () => {
    const a = await pngImage(1);
    const file = path.join(dir, STYLE_IMAGES_DIR, A, sha256Hex(a));
    // A GC (as another process would run it) right after the file was written, before the commit:
    // the file has no row yet, so it is swept as an orphan; the commit must write it again.
    const write = store.files.write.bind(store.files);
    store.files.write = async (team, hash, data) => {
      await write(team, hash, data);
      expect(store.gc({ sweepDisk: true }).orphanFiles).toBe(1);
      expect(fs.existsSync(file)).toBe(false);
    };
    const p = await store.create(A, { name: 'race' }, [a]);
    expect(fs.readFileSync(file).equals(a)).toBe(true);
    expect((await store.styleImage(A, p.id, 0))?.data.equals(a)).toBe(true);
  });
});

describe('SqlitePresetStore migrations', () => {
  it('migrates once, reopens idempotently, and keeps data across reopen', async () => {
    const p = await store.create(A, { name: 'keep' }, [await pngImage(1)]);
    await store.close();
    store = open();
    expect(await store.get(A, p.id)).toEqual(p);
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    await store.close();
    const raw = new Database(path.join(dir, PRESETS_DB_FILE));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    expect(() => open()).toThrow(/newer than this companion supports/);
    raw.pragma(`user_version = ${SCHEMA_VERSION}`);
    raw.close();
    store = open();
    expect(await store.get(A, p.id)).toEqual(p);
  });

  it("turns schema 1's shared image rows and files into per-team ones", async () => {
    await store.close();
    removeDir(dir);
    dir = tempDataDir();
    // A schema-1 store as the previous release wrote it: one images row and one file per hash, shared.
    const a = await pngImage(1);
    const b = await pngImage(2);
    fs.mkdirSync(path.join(dir, STYLE_IMAGES_DIR), { recursive: true });
    const db = new Database(path.join(dir, PRESETS_DB_FILE));
    db.exec(`
      CREATE TABLE teams (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, token_hash TEXT UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT) STRICT;
      INSERT INTO teams VALUES ('local', 'local', NULL, '2026-01-01T00:00:00.000Z', NULL), ('team_BBBBBBBBBBBB', 'B', 'h', '2026-01-01T00:00:00.000Z', NULL);
      CREATE TABLE images (sha256 TEXT PRIMARY KEY, content_type TEXT NOT NULL, bytes INTEGER NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL, created_at TEXT NOT NULL) STRICT;
      CREATE TABLE presets (id TEXT PRIMARY KEY, team_id TEXT NOT NULL REFERENCES teams(id), name TEXT NOT NULL COLLATE NOCASE, params TEXT NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (team_id, name)) STRICT;
      CREATE TABLE preset_styles (preset_id TEXT NOT NULL REFERENCES presets(id) ON DELETE CASCADE, position INTEGER NOT NULL, sha256 TEXT NOT NULL REFERENCES images(sha256), weight REAL NOT NULL, PRIMARY KEY (preset_id, position)) STRICT;
      PRAGMA user_version = 1;
    `);
    const t = '2026-01-01T00:00:00.000Z';
    for (const img of [a, b]) {
      db.prepare('INSERT INTO images VALUES (?, ?, ?, 8, 6, ?)').run(sha256Hex(img), 'image/png', img.length, t);
      fs.writeFileSync(path.join(dir, STYLE_IMAGES_DIR, sha256Hex(img)), img);
    }
    db.prepare("INSERT INTO presets VALUES ('p1', 'local', 'Ink', '{}', 3, ?, ?)").run(t, t);
    db.prepare("INSERT INTO presets VALUES ('p2', 'team_BBBBBBBBBBBB', 'Ink', '{\"seed\":1}', 1, ?, ?)").run(t, t);
    db.prepare("INSERT INTO preset_styles VALUES ('p1', 0, ?, 1), ('p1', 1, ?, 2), ('p2', 0, ?, 1)").run(sha256Hex(a), sha256Hex(b), sha256Hex(a));
    db.close();

    store = open();
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('foreign_key_check')).toEqual([]);
    expect(imageFiles()).toEqual([`local/${sha256Hex(a)}`, `local/${sha256Hex(b)}`, `team_BBBBBBBBBBBB/${sha256Hex(a)}`].sort());
    const p1 = await store.get('local', 'p1');
    expect(p1).toMatchObject({ version: 3, styles: [{ sha256: sha256Hex(a), weight: 1, bytes: a.length }, { sha256: sha256Hex(b), weight: 2 }] });
    expect((await store.resolve('team_BBBBBBBBBBBB', 'p2'))?.styles[0].data.equals(a)).toBe(true);
    // From now on each team's images are its own.
    await store.delete('local', 'p1', 3);
    expect(imageFiles()).toEqual([`team_BBBBBBBBBBBB/${sha256Hex(a)}`]);
  });
});
