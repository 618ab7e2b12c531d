/**
 * The preset store contract (companion/src/presets/contract.ts), one suite run against both stores:
 * the embedded SQLite store and PostgreSQL (a real server started by the suite; skipped with the
 * reason when PostgreSQL is not installed, failed instead under ATELIER_REQUIRE_SERVICES=1).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ImageError } from '../../companion/src/io/images.js';
import type { PresetsStore } from '../../companion/src/presets/contract.js';
import { PresetError } from '../../companion/src/presets/errors.js';
import { hashToken, sha256Hex } from '../../companion/src/presets/hash.js';
import { DEFAULT_TEAM } from '../../companion/src/presets/teams.js';
import { presetSchema } from '../../shared/presets.js';
import { REQUIRE_SERVICES } from '../helpers/postgresServer.js';
import { postgresBackend, sqliteBackend, type Backend, type OpenedStore } from './presetsBackends.js';
import { jpegImage, pngImage } from './presetsFixtures.js';

const A = DEFAULT_TEAM.id;

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'no error';
}

/** A statement trace with the values that differ between two otherwise equal runs (ids, times) masked. */
function normalized(trace: string[]): string[] {
  return trace.map((s) =>
    s
      // (SQLite's trace shortens long strings: a uuid may end early.)
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{8,12}/g, '<uuid>')
      .replace(/team_[A-Za-z0-9_-]{12}/g, '<team>')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>')
      .replace(/ino=\d+ mtime=[\d.]+|xmin=\d+/g, '<identity>'),
  );
}

for (const backend of [sqliteBackend, postgresBackend]) {
  const availability = backend.availability();
  if (!availability.available) {
    if (REQUIRE_SERVICES) {
      describe(`preset store contract: ${backend.name} (required)`, () => {
        it('runs', () => {
          throw new Error(`ATELIER_REQUIRE_SERVICES=1 but ${backend.name} is unavailable: ${availability.reason}`);
        });
      });
    } else {
      console.log(`skipping the ${backend.name} preset store contract: ${availability.reason}`);
      describe.skip(`preset store contract: ${backend.name}`, () => it('needs the service', () => undefined));
    }
    continue;
  }
  contractSuite(backend);
}

function contractSuite(backend: Backend): void {
  describe(`preset store contract: ${backend.name}`, () => {
    let opened: OpenedStore;
    let store: PresetsStore;
    let B: string;

    beforeAll(() => backend.setup());
    afterAll(() => backend.teardown());
    beforeEach(async () => {
      opened = await backend.open();
      store = opened.store;
      B = (await store.teams.create('Team B')).team.id;
    });
    afterEach(() => opened.dispose());

    it('creates, reads, lists, replaces, patches and deletes with versions', async () => {
      const img = await pngImage(1);
      const p = await store.create(A, { name: 'Ink', params: { size: 256, styleWeight: 5e3 } }, [img]);
      expect(presetSchema.parse(p)).toEqual(p);
      expect(p).toMatchObject({ name: 'Ink', version: 1, params: { size: 256, styleWeight: 5e3 } });
      expect(p.styles).toEqual([{ index: 0, sha256: sha256Hex(img), contentType: 'image/png', bytes: img.length, width: 8, height: 6, weight: 1 }]);
      expect(await store.get(A, p.id)).toEqual(p);
      expect((await store.getByName(A, 'ink'))?.id).toBe(p.id);
      expect((await store.list(A)).map((x) => x.name)).toEqual(['Ink']);

      const jpg = await jpegImage(2);
      const r = await store.replace(A, p.id, 1, { name: 'Ink 2', params: { iterations: 50 } }, [img, jpg]);
      expect(r).toMatchObject({ version: 2, name: 'Ink 2', params: { iterations: 50 } });
      expect(r.styles.map((s) => [s.contentType, s.weight])).toEqual([['image/png', 1], ['image/jpeg', 1]]);

      const q = await store.patch(A, p.id, 2, { params: { iterations: null, seed: 7 }, blend: [3, 1] });
      expect(q).toMatchObject({ version: 3, name: 'Ink 2', params: { seed: 7 } });
      expect(q.params).not.toHaveProperty('iterations');
      expect(q.styles.map((s) => s.weight)).toEqual([3, 1]);
      expect((await store.styleImage(A, p.id, 1))?.data.equals(jpg)).toBe(true);
      expect(await store.styleImage(A, p.id, 2)).toBeNull();
      expect(await store.styleImage(A, p.id, -1)).toBeNull();

      const resolved = await store.resolve(A, p.id);
      expect(resolved?.params).toEqual({ seed: 7 });
      expect(resolved?.styles.map((s) => s.weight)).toEqual([3, 1]);
      expect(resolved?.styles[0].data.equals(img)).toBe(true);

      await store.delete(A, p.id, 3);
      expect(await store.get(A, p.id)).toBeNull();
      expect(await store.list(A)).toEqual([]);
      expect(await opened.snapshot()).toEqual([]);
    });

    it('lists by name case-insensitively, with each preset whole', async () => {
      const [a, b] = [await pngImage(1), await pngImage(2)];
      await store.create(A, { name: 'beta' }, [a, b]);
      await store.create(A, { name: 'Alpha' }, [b]);
      await store.create(A, { name: 'Gamma', blend: [2] }, [a]);
      const list = await store.list(A);
      expect(list.map((p) => p.name)).toEqual(['Alpha', 'beta', 'Gamma']);
      expect(list.map((p) => p.styles.map((s) => [s.index, s.sha256, s.weight]))).toEqual([
        [[0, sha256Hex(b), 1]],
        [[0, sha256Hex(a), 1], [1, sha256Hex(b), 1]],
        [[0, sha256Hex(a), 2]],
      ]);
    });

    it('refuses stale and missing versions, unknown ids, and duplicate names (case-insensitive)', async () => {
      const img = await pngImage(1);
      const p = await store.create(A, { name: 'Sunset' }, [img]);
      await store.patch(A, p.id, 1, { name: 'Sunset' });
      expect(await code(store.patch(A, p.id, 1, { params: { seed: 1 } }))).toBe('stale_version');
      expect(await code(store.replace(A, p.id, 1, { name: 'x' }))).toBe('stale_version');
      expect(await code(store.delete(A, p.id, 1))).toBe('stale_version');
      expect(await code(store.patch(A, p.id, null, {}))).toBe('precondition_required');
      expect(await code(store.delete(A, p.id, null))).toBe('precondition_required');
      expect(await code(store.delete(A, 'nope', 2))).toBe('not_found');
      expect(await code(store.create(A, { name: 'SUNSET ' }, [img]))).toBe('name_taken');
      const other = await store.create(A, { name: 'Dawn' }, [img]);
      expect(await code(store.patch(A, other.id, 1, { name: 'sunset' }))).toBe('name_taken');
      expect((await store.get(A, p.id))?.version).toBe(2);
      // The same name in another team is fine.
      expect((await store.create(B, { name: 'Sunset' }, [img])).name).toBe('Sunset');
    });

    it('lets exactly one of concurrent writers with the same version win, and one of concurrent creates of a name', async () => {
      const img = await pngImage(1);
      const p = await store.create(A, { name: 'Contended' }, [img]);
      const patches = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.patch(A, p.id, 1, { params: { seed: i } })));
      expect(patches.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(patches.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as PresetError).code)).toEqual(Array(5).fill('stale_version'));
      expect((await store.get(A, p.id))?.version).toBe(2);
      const creates = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.create(A, { name: i % 2 ? 'twin' : 'TWIN' }, [img])));
      expect(creates.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(new Set(creates.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as PresetError).code))).toEqual(new Set(['name_taken']));
    });

    it('scopes every operation by team', async () => {
      const img = await pngImage(1);
      const b = await store.create(B, { name: 'Secret' }, [img]);
      expect(await store.list(A)).toEqual([]);
      expect(await store.get(A, b.id)).toBeNull();
      expect(await store.getByName(A, 'Secret')).toBeNull();
      expect(await store.styleImage(A, b.id, 0)).toBeNull();
      expect(await store.resolve(A, b.id)).toBeNull();
      expect(await code(store.patch(A, b.id, 1, { name: 'mine' }))).toBe('not_found');
      expect(await code(store.replace(A, b.id, 1, { name: 'mine' }))).toBe('not_found');
      expect(await code(store.delete(A, b.id, 1))).toBe('not_found');
      expect(await store.get(B, b.id)).toMatchObject({ name: 'Secret', version: 1 });
    });

    it('validates bodies, params, blend and images before writing anything', async () => {
      const img = await pngImage(1);
      expect(await code(store.create(A, { name: '' }, [img]))).toBe('invalid_preset');
      expect(await code(store.create(A, { name: 'x', params: { size: 1 } }, [img]))).toBe('invalid_preset');
      expect(await code(store.create(A, { name: 'x', params: { bogus: 1 } }, [img]))).toBe('invalid_preset');
      expect(await code(store.create(A, { name: 'x', blend: [1, 2] }, [img]))).toBe('invalid_preset');
      expect(await code(store.create(A, { name: 'x' }, []))).toBe('invalid_preset');
      expect(await code(store.create(A, { name: 'x' }, Array(9).fill(img)))).toBe('invalid_preset');
      await expect(store.create(A, { name: 'x' }, [Buffer.from('not an image at all')])).rejects.toBeInstanceOf(ImageError);
      expect(await code(store.create(A, { name: 'x' }, [Buffer.alloc(0)]))).toBe('empty_image');
      expect(await code(store.create(A, { name: 'x' }, [img.subarray(0, img.length - 20)]))).toBe('corrupt_image');
      expect(await store.list(A)).toEqual([]);
      expect(await opened.snapshot()).toEqual([]);
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
      expect((await store.get(A, p.id))!.params).toEqual({});
    });

    it('writeAll is all or nothing: a bad image or a stale version leaves the store as it was', async () => {
      const [a, b] = [await pngImage(1), await pngImage(2)];
      const existing = await store.create(A, { name: 'Kept' }, [a]);
      await store.patch(A, existing.id, 1, { params: { seed: 5 } });
      const before = await opened.snapshot();
      const badImage = store.writeAll(A, [
        { label: "preset 'New'", input: { name: 'New' }, styleImages: [b] },
        { label: "preset 'Broken'", input: { name: 'Broken' }, styleImages: [Buffer.from('nope')] },
      ]);
      await expect(badImage).rejects.toThrow(/preset 'Broken'/);
      const stale = store.writeAll(A, [
        { label: "preset 'New'", input: { name: 'New' }, styleImages: [b] },
        { label: "preset 'Kept'", replace: { id: existing.id, version: 1 }, input: { name: 'Kept' }, styleImages: [b] },
      ]);
      expect(await code(stale)).toBe('stale_version');
      expect((await store.list(A)).map((p) => [p.name, p.version, p.styles[0].sha256])).toEqual([['Kept', 2, sha256Hex(a)]]);
      expect(await opened.snapshot()).toEqual(before);
      await store.writeAll(A, [
        { label: "preset 'New'", input: { name: 'New' }, styleImages: [b] },
        { label: "preset 'Kept'", replace: { id: existing.id, version: 2 }, input: { name: 'Kept', blend: [4] }, styleImages: [b] },
      ]);
      expect((await store.list(A)).map((p) => [p.name, p.version, p.styles[0].sha256, p.styles[0].weight])).toEqual([
        ['Kept', 3, sha256Hex(b), 4],
        ['New', 1, sha256Hex(b), 1],
      ]);
      // a is no longer used by the team: collected.
      expect((await opened.snapshot()).some((l) => l.includes(sha256Hex(a)))).toBe(false);
    });

    it("keeps one image row per team: deleting a team's preset never touches another team's copy", async () => {
      const shared = await pngImage(1);
      const a = await store.create(A, { name: 'mine' }, [shared]);
      const b = await store.create(B, { name: 'theirs' }, [shared]);
      const theirs = (await opened.snapshot()).filter((l) => l.includes(`${B}/`));
      expect(theirs.length).toBeGreaterThan(0);
      await store.delete(A, a.id, 1);
      expect((await opened.snapshot()).filter((l) => l.includes(`${A}/`))).toEqual([]);
      expect(await opened.snapshot()).toEqual(theirs);
      expect((await store.resolve(B, b.id))?.styles[0].data.equals(shared)).toBe(true);
    });

    it('does the same work deleting a preset whether or not another team holds the same image', async () => {
      // Two worlds that differ only in whether team B holds team A's image.
      const img = await pngImage(1);
      const other = await pngImage(2);
      const work = async (bHoldsIt: boolean): Promise<{ statements: string[]; changed: string[] }> => {
        const world = await backend.open();
        try {
          const teamB = (await world.store.teams.create('Team B')).team.id;
          const p = await world.store.create(A, { name: 'mine' }, [img]);
          await world.store.create(teamB, { name: 'theirs' }, [bHoldsIt ? img : other]);
          const before = await world.snapshot();
          world.trace.length = 0;
          await world.store.delete(A, p.id, 1);
          const statements = normalized(world.trace);
          const after = await world.snapshot();
          // What the delete removed or rewrote, with team ids masked.
          const changed = [...before.filter((l) => !after.includes(l)).map((l) => `-${l}`), ...after.filter((l) => !before.includes(l)).map((l) => `+${l}`)];
          return { statements, changed: normalized(changed.map((l) => l.replace(teamB, 'team_BBBBBBBBBBBB'))) };
        } finally {
          await world.dispose();
        }
      };
      const shared = await work(true);
      const alone = await work(false);
      expect(shared.statements.length).toBeGreaterThan(0);
      expect(shared.statements).toEqual(alone.statements);
      expect(shared.changed).toEqual(alone.changed);
      // …and that work is removing the team's own copy only.
      expect(shared.changed.every((l) => l.startsWith('-') && l.includes(`${A}/${sha256Hex(img)}`))).toBe(true);
    });

    it('creates teams with one-time tokens, stores only hashes, and revokes', async () => {
      const { team, token } = await store.teams.create('Design Ops');
      expect(token).toMatch(/^atl_[A-Za-z0-9_-]{43}$/);
      expect(await store.teams.authenticate(token)).toEqual({ teamId: team.id });
      expect(await store.teams.authenticate(`${token}x`)).toBeNull();
      expect(await store.teams.authenticate('')).toBeNull();
      expect(await store.teams.authenticate(undefined)).toBeNull();
      const raw = await opened.rawTeams();
      expect(raw.length).toBeGreaterThan(0);
      expect(raw.includes(hashToken(token))).toBe(true);
      expect(raw.includes(token)).toBe(false);
      expect(raw.includes(token.slice(4))).toBe(false);
      expect(await code(store.teams.create('design ops'))).toBe('team_exists');
      expect(await code(store.teams.create('../bad'))).toBe('invalid_team');
      expect((await store.teams.list()).map((t) => [t.name, t.isDefault])).toEqual([
        ['Design Ops', false],
        ['local', true],
        ['Team B', false],
      ]);
      expect((await store.teams.byName('DESIGN OPS'))?.id).toBe(team.id);
      expect((await store.teams.revoke('design ops')).revokedAt).not.toBeNull();
      expect(await store.teams.authenticate(token)).toBeNull();
      expect(await code(store.teams.revoke('local'))).toBe('invalid_team');
      expect(await code(store.teams.revoke('nobody'))).toBe('team_not_found');
      await expect(store.teams.revoke('local')).rejects.toBeInstanceOf(PresetError);
    });
  });
}
