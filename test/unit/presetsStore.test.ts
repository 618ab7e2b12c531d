import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageError } from '../../companion/src/io/images.js';
import { DEFAULT_TEAM, PRESETS_DB_FILE, SCHEMA_VERSION } from '../../companion/src/presets/db.js';
import { PresetError } from '../../companion/src/presets/errors.js';
import { sha256Hex, STYLE_IMAGES_DIR } from '../../companion/src/presets/images.js';
import { decodingInspector } from '../../companion/src/presets/inspect.js';
import { PresetStore } from '../../companion/src/presets/store.js';
import { presetSchema } from '../../shared/presets.js';
import { jpegImage, pngImage, removeDir, tempDataDir } from './presetsFixtures.js';

let dir: string;
let store: PresetStore;
const A = DEFAULT_TEAM.id;
let B: string;

const open = (): PresetStore => PresetStore.open({ dataDir: dir, inspectImage: decodingInspector() });
const imageFiles = (): string[] => fs.readdirSync(path.join(dir, STYLE_IMAGES_DIR)).sort();

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'no error';
}

beforeEach(() => {
  dir = tempDataDir();
  store = open();
  B = store.teams.create('Team B').team.id;
});
afterEach(() => {
  store.close();
  removeDir(dir);
});

describe('PresetStore', () => {
  it('creates, reads, lists, replaces, patches and deletes with versions', async () => {
    const img = await pngImage(1);
    const p = await store.create(A, { name: 'Ink', params: { size: 256, styleWeight: 5e3 } }, [img]);
    expect(presetSchema.parse(p)).toEqual(p);
    expect(p).toMatchObject({ name: 'Ink', version: 1, params: { size: 256, styleWeight: 5e3 } });
    expect(p.styles).toEqual([
      { index: 0, sha256: sha256Hex(img), contentType: 'image/png', bytes: img.length, width: 8, height: 6, weight: 1 },
    ]);
    expect(store.get(A, p.id)).toEqual(p);
    expect(store.getByName(A, 'ink')?.id).toBe(p.id);
    expect(store.list(A).map((x) => x.name)).toEqual(['Ink']);

    const jpg = await jpegImage(2);
    const r = await store.replace(A, p.id, 1, { name: 'Ink 2', params: { iterations: 50 } }, [img, jpg]);
    expect(r).toMatchObject({ version: 2, name: 'Ink 2', params: { iterations: 50 } });
    expect(r.styles.map((s) => [s.contentType, s.weight])).toEqual([['image/png', 1], ['image/jpeg', 1]]);

    const q = await store.patch(A, p.id, 2, { params: { iterations: null, seed: 7 }, blend: [3, 1] });
    expect(q).toMatchObject({ version: 3, name: 'Ink 2', params: { seed: 7 } });
    expect(q.params).not.toHaveProperty('iterations');
    expect(q.styles.map((s) => s.weight)).toEqual([3, 1]);
    expect((await store.styleImage(A, p.id, 1))?.data.equals(jpg)).toBe(true);

    const resolved = await store.resolve(A, p.id);
    expect(resolved?.params).toEqual({ seed: 7 });
    expect(resolved?.styles.map((s) => s.weight)).toEqual([3, 1]);
    expect(resolved?.styles[0].data.equals(img)).toBe(true);

    store.delete(A, p.id, 3);
    expect(store.get(A, p.id)).toBeNull();
    expect(store.list(A)).toEqual([]);
  });

  it('refuses stale and missing versions, unknown ids, and duplicate names (case-insensitive)', async () => {
    const img = await pngImage(1);
    const p = await store.create(A, { name: 'Sunset' }, [img]);
    await store.patch(A, p.id, 1, { name: 'Sunset' });
    expect(await code(store.patch(A, p.id, 1, { params: { seed: 1 } }))).toBe('stale_version');
    expect(await code(store.replace(A, p.id, 1, { name: 'x' }))).toBe('stale_version');
    expect(await code(() => store.delete(A, p.id, 1))).toBe('stale_version');
    expect(await code(store.patch(A, p.id, null, {}))).toBe('precondition_required');
    expect(await code(() => store.delete(A, 'nope', 2))).toBe('not_found');
    expect(await code(store.create(A, { name: 'SUNSET ' }, [img]))).toBe('name_taken');
    const other = await store.create(A, { name: 'Dawn' }, [img]);
    expect(await code(store.patch(A, other.id, 1, { name: 'sunset' }))).toBe('name_taken');
    expect(store.get(A, p.id)?.version).toBe(2);
    // The same name in another team is fine.
    expect((await store.create(B, { name: 'Sunset' }, [img])).name).toBe('Sunset');
  });

  it('scopes every operation by team', async () => {
    const img = await pngImage(1);
    const b = await store.create(B, { name: 'Secret' }, [img]);
    expect(store.list(A)).toEqual([]);
    expect(store.get(A, b.id)).toBeNull();
    expect(store.getByName(A, 'Secret')).toBeNull();
    expect(await store.styleImage(A, b.id, 0)).toBeNull();
    expect(await store.resolve(A, b.id)).toBeNull();
    expect(await code(store.patch(A, b.id, 1, { name: 'mine' }))).toBe('not_found');
    expect(await code(store.replace(A, b.id, 1, { name: 'mine' }))).toBe('not_found');
    expect(await code(() => store.delete(A, b.id, 1))).toBe('not_found');
    expect(store.get(B, b.id)).toMatchObject({ name: 'Secret', version: 1 });
  });

  it('validates bodies, params, blend and images before writing anything', async () => {
    const img = await pngImage(1);
    expect(await code(store.create(A, { name: '' }, [img]))).toBe('invalid_preset');
    expect(await code(store.create(A, { name: 'x', params: { size: 1 } }, [img]))).toBe('invalid_preset');
    expect(await code(store.create(A, { name: 'x', params: { bogus: 1 } }, [img]))).toBe('invalid_preset');
    expect(await code(store.create(A, { name: 'x', blend: [1, 2] }, [img]))).toBe('invalid_preset');
    expect(await code(store.create(A, { name: 'x' }, []))).toBe('invalid_preset');
    expect(await code(store.create(A, { name: 'x' }, Array(9).fill(img)))).toBe('invalid_preset');
    const bad = store.create(A, { name: 'x' }, [Buffer.from('not an image at all')]);
    await expect(bad).rejects.toBeInstanceOf(ImageError);
    expect(await code(store.create(A, { name: 'x' }, [Buffer.alloc(0)]))).toBe('empty_image');
    const truncated = img.subarray(0, img.length - 20);
    expect(await code(store.create(A, { name: 'x' }, [truncated]))).toBe('corrupt_image');
    expect(store.list(A)).toEqual([]);
    expect(imageFiles()).toEqual([]);
    // params.styleBlend becomes the blend.
    const p = await store.create(A, { name: 'x', params: { styleBlend: [2], seed: 3 } }, [img]);
    expect(p.params).toEqual({ seed: 3 });
    expect(p.styles[0].weight).toBe(2);
  });

  it('refuses __proto__ in params (as sent in JSON) like any unknown key, on create and patch', async () => {
    const img = await pngImage(1);
    const sneaky = JSON.parse('{"__proto__":{"iterations":1},"seed":3}') as Record<string, unknown>;
    expect(await code(store.create(A, { name: 'x', params: sneaky }, [img]))).toBe('invalid_preset');
    const p = await store.create(A, { name: 'x' }, [img]);
    expect(await code(store.patch(A, p.id, p.version, { params: sneaky }))).toBe('invalid_preset');
    expect(store.get(A, p.id)!.params).toEqual({});
  });

  it('stores each image once and garbage-collects images no preset references', async () => {
    const a = await pngImage(1);
    const b = await pngImage(2);
    const p1 = await store.create(A, { name: 'one' }, [a, b]);
    const p2 = await store.create(B, { name: 'two' }, [a]);
    expect(imageFiles()).toEqual([sha256Hex(a), sha256Hex(b)].sort());
    store.delete(A, p1.id, 1);
    expect(imageFiles()).toEqual([sha256Hex(a)]); // b unreferenced → gone; a still used by team B
    const c = await pngImage(3);
    await store.replace(B, p2.id, 1, { name: 'two' }, [c]);
    expect(imageFiles()).toEqual([sha256Hex(c)]);
    expect(store.db.prepare('SELECT sha256 FROM images').pluck().all()).toEqual([sha256Hex(c)]);
    // Files of crashed writers: an orphan (no row) and a temp file are swept.
    fs.writeFileSync(path.join(dir, STYLE_IMAGES_DIR, sha256Hex(a)), a);
    fs.writeFileSync(path.join(dir, STYLE_IMAGES_DIR, '.tmp-1-abc'), 'partial');
    expect(store.gc({ sweepDisk: true, tempMaxAgeMs: 0 })).toEqual({ images: 0, orphanFiles: 1, tempFiles: 1 });
    expect(imageFiles()).toEqual([sha256Hex(c)]);
  });

  it('rewrites an image file that a concurrent GC removed before the referencing commit', async () => {
    const a = await pngImage(1);
    const file = path.join(dir, STYLE_IMAGES_DIR, sha256Hex(a));
    // A GC (as another process would run it) right after the file was written, before the commit:
    // the file has no row yet, so it is swept as an orphan; the commit must write it again.
    const write = store.files.write.bind(store.files);
    store.files.write = async (hash, data) => {
      await write(hash, data);
      expect(store.gc({ sweepDisk: true }).orphanFiles).toBe(1);
      expect(fs.existsSync(file)).toBe(false);
    };
    const p = await store.create(A, { name: 'race' }, [a]);
    expect(fs.readFileSync(file).equals(a)).toBe(true);
    expect((await store.styleImage(A, p.id, 0))?.data.equals(a)).toBe(true);
  });

  it('migrates once, reopens idempotently, and keeps data across reopen', async () => {
    const p = await store.create(A, { name: 'keep' }, [await pngImage(1)]);
    store.close();
    store = open();
    expect(store.get(A, p.id)).toEqual(p);
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    store.close();
    const raw = new Database(path.join(dir, PRESETS_DB_FILE));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    expect(() => open()).toThrow(/newer than this companion supports/);
    raw.pragma(`user_version = ${SCHEMA_VERSION}`);
    raw.close();
    store = open();
    expect(store.get(A, p.id)).toEqual(p);
  });
});

describe('TeamRegistry', () => {
  it('creates teams with one-time tokens, stores only hashes, and revokes', () => {
    const { team, token } = store.teams.create('Design Ops');
    expect(token).toMatch(/^atl_[A-Za-z0-9_-]{43}$/);
    expect(store.teams.authenticate(token)).toEqual({ teamId: team.id });
    expect(store.teams.authenticate(`${token}x`)).toBeNull();
    expect(store.teams.authenticate('')).toBeNull();
    const files = fs.readdirSync(dir).filter((f) => f.startsWith(PRESETS_DB_FILE));
    const bytes = files.map((f) => fs.readFileSync(path.join(dir, f)).toString('latin1')).join('');
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.includes(token)).toBe(false);
    expect(bytes.includes(token.slice(4))).toBe(false);
    expect(() => store.teams.create('design ops')).toThrow(PresetError);
    expect(() => store.teams.create('../bad')).toThrow(/team name/);
    expect(store.teams.list().map((t) => [t.name, t.isDefault])).toEqual([
      ['Design Ops', false],
      ['local', true],
      ['Team B', false],
    ]);
    expect(store.teams.revoke('design ops').revokedAt).not.toBeNull();
    expect(store.teams.authenticate(token)).toBeNull();
    expect(() => store.teams.revoke('local')).toThrow(/pairing token/);
    expect(() => store.teams.revoke('nobody')).toThrow(/no team/);
  });
});
