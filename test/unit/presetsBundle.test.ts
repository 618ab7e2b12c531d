/**
 * Bundles and the `atelier presets` / `atelier teams` commands (run in-process through `main`):
 * export → import into a fresh data dir round-trips byte-identical images and equal settings,
 * re-import is idempotent, conflicts are reported (or overwritten), tampered bundles are refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEAM } from '../../companion/src/presets/db.js';
import { parseBundle } from '../../companion/src/presets/bundle.js';
import { sha256Hex, STYLE_IMAGES_DIR } from '../../companion/src/presets/images.js';
import { decodingInspector } from '../../companion/src/presets/inspect.js';
import { SqlitePresetStore } from '../../companion/src/presets/store.js';
import { jpegImage, pngImage, removeDir, runCli as cli, tempDataDir } from './presetsFixtures.js';

const dirs: string[] = [];
const fresh = (): string => {
  const d = tempDataDir();
  dirs.push(d);
  return d;
};
const L = DEFAULT_TEAM.id;
const open = (dir: string): SqlitePresetStore => SqlitePresetStore.open({ dataDir: dir, inspectImage: decodingInspector() });

let src: string;
let bundleFile: string;

beforeAll(async () => {
  src = fresh();
  const store = open(src);
  try {
    const shared = await pngImage(1);
    await store.create(L, { name: 'Ink', params: { size: 256, styleWeight: 3e4, styleLayers: ['conv1_1', 'conv2_1'] }, blend: [0.3, 0.7] }, [
      shared,
      await jpegImage(2),
    ]);
    await store.create(L, { name: 'Pastel', params: { originalColors: true } }, [shared]);
    await store.create(L, { name: 'Noise', params: { init: 'noise', seed: 42 } }, [await pngImage(3, 5, 7)]);
  } finally {
    await store.close();
  }
  bundleFile = path.join(fresh(), 'team.atelier-presets.json');
});
afterEach(() => {
  process.exitCode = undefined;
});
afterAll(() => dirs.forEach(removeDir));

describe('preset bundles via the CLI', () => {
  it('export --all → import into a fresh data dir: byte-identical images, equal settings', async () => {
    const exp = await cli('presets', 'export', '--all', '--out', bundleFile, '--data-dir', src);
    expect(exp).toMatchObject({ code: 0, err: `exported 3 preset(s) to ${bundleFile}\n` });
    const bundle = parseBundle(fs.readFileSync(bundleFile, 'utf8'));
    expect(bundle.presets.map((p) => p.name)).toEqual(['Ink', 'Noise', 'Pastel']);
    expect(Object.keys(bundle.images)).toHaveLength(3); // the shared image once

    const dst = fresh();
    const imp = await cli('presets', 'import', bundleFile, '--data-dir', dst);
    expect(imp).toMatchObject({ code: 0, out: 'created 3, unchanged 0, replaced 0, conflicts 0\n' });

    const a = open(src);
    const b = open(dst);
    try {
      const before = await a.list(L);
      const after = await b.list(L);
      const settings = (ps: typeof before): unknown =>
        ps.map((p) => ({ name: p.name, params: p.params, styles: p.styles.map(({ index, sha256, contentType, bytes, width, height, weight }) => ({ index, sha256, contentType, bytes, width, height, weight })) }));
      expect(settings(after)).toEqual(settings(before));
      for (const p of before) {
        const q = after.find((x) => x.name === p.name)!;
        for (const s of p.styles) {
          const x = await a.styleImage(L, p.id, s.index);
          const y = await b.styleImage(L, q.id, s.index);
          expect(y!.data.equals(x!.data)).toBe(true);
        }
      }
      expect(fs.readdirSync(path.join(dst, STYLE_IMAGES_DIR, L)).sort()).toEqual(fs.readdirSync(path.join(src, STYLE_IMAGES_DIR, L)).sort());

      // Re-import: idempotent, nothing written (versions unchanged).
      const again = await cli('presets', 'import', bundleFile, '--data-dir', dst, '--json');
      expect(again.code).toBe(0);
      expect(JSON.parse(again.out)).toEqual({ created: [], unchanged: ['Ink', 'Noise', 'Pastel'], replaced: [], conflicts: [] });
      expect((await b.list(L)).map((p) => [p.name, p.version])).toEqual(after.map((p) => [p.name, p.version]));
      expect(await b.list(L)).toHaveLength(3);

      // A local change makes the same name a conflict: skipped (exit 1), or replaced with --overwrite.
      const ink = (await b.getByName(L, 'Ink'))!;
      await b.patch(L, ink.id, ink.version, { params: { seed: 9 } });
      const conflict = await cli('presets', 'import', bundleFile, '--data-dir', dst);
      expect(conflict.code).toBe(1);
      expect(conflict.out).toContain("conflict: 'Ink'");
      expect((await b.getByName(L, 'Ink'))!.params.seed).toBe(9);
      const over = await cli('presets', 'import', bundleFile, '--data-dir', dst, '--overwrite', '--json');
      expect(over.code).toBe(0);
      expect(JSON.parse(over.out).replaced).toEqual(['Ink']);
      expect((await b.getByName(L, 'Ink'))!.params).toEqual(before.find((p) => p.name === 'Ink')!.params);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('imports into a named team only; exports single presets by id or name to stdout', async () => {
    const dst = fresh();
    expect((await cli('teams', 'create', 'Studio', '--data-dir', dst)).code).toBe(0);
    expect((await cli('presets', 'import', bundleFile, '--team', 'Studio', '--data-dir', dst)).code).toBe(0);
    const listLocal = await cli('presets', 'list', '--data-dir', dst);
    expect(listLocal).toMatchObject({ code: 0, out: 'no presets\n' });
    const listStudio = await cli('presets', 'list', '--team', 'studio', '--data-dir', dst, '--json');
    expect(JSON.parse(listStudio.out).presets.map((p: { name: string }) => p.name)).toEqual(['Ink', 'Noise', 'Pastel']);

    const one = await cli('presets', 'export', 'pastel', '--data-dir', src);
    expect(one.code).toBe(0);
    const bundle = parseBundle(one.out);
    expect(bundle.presets.map((p) => p.name)).toEqual(['Pastel']);
    expect(Object.keys(bundle.images)).toEqual([bundle.presets[0].styles[0].sha256]);
    const show = await cli('presets', 'show', 'Ink', '--data-dir', src);
    expect(show.out).toMatch(/^Ink {2}\(id [0-9a-f-]{36}, version 1/);
  });

  it('refuses bad input with exit code 2 and one clear line', async () => {
    const dst = fresh();
    const tampered = JSON.parse(fs.readFileSync(bundleFile, 'utf8'));
    const [hash] = Object.keys(tampered.images);
    const bytes = Buffer.from(tampered.images[hash].data, 'base64');
    bytes[bytes.length - 5] ^= 1;
    tampered.images[hash].data = bytes.toString('base64');
    const file = path.join(dst, 'tampered.json');
    fs.writeFileSync(file, JSON.stringify(tampered));
    const bad = await cli('presets', 'import', file, '--data-dir', dst);
    expect([bad.code, bad.err]).toEqual([2, `atelier: image ${hash.slice(0, 12)}… does not match its sha256\n`]);
    fs.writeFileSync(file, 'not json');
    expect((await cli('presets', 'import', file, '--data-dir', dst)).err).toBe('atelier: not a preset bundle: the file is not JSON\n');
    fs.writeFileSync(file, JSON.stringify({ format: 'atelier-presets', version: 9 }));
    expect((await cli('presets', 'import', file, '--data-dir', dst)).err).toMatch(/newer than this companion reads/);
    expect((await cli('presets', 'import', path.join(dst, 'missing.json'), '--data-dir', dst)).code).toBe(2);
    expect((await cli('presets', 'export', '--data-dir', dst)).err).toMatch(/name preset ids, or use --all/);
    expect((await cli('presets', 'show', 'nope', '--data-dir', dst)).code).toBe(2);
    expect((await cli('presets', 'list', '--team', 'nobody', '--data-dir', dst)).code).toBe(2);
    const store = open(dst);
    try {
      expect(await store.list(L)).toEqual([]);
      expect(fs.readdirSync(path.join(dst, STYLE_IMAGES_DIR))).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it.each([
    ['a non-image with its correct sha256', 'image'],
    ['out-of-range params', 'params'],
  ])('a bundle whose third preset has %s imports nothing, exit 2', async (_what, bad) => {
    const bundle = JSON.parse(fs.readFileSync(bundleFile, 'utf8'));
    expect(bundle.presets).toHaveLength(3);
    const third = bundle.presets.sort((a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1))[2];
    if (bad === 'image') {
      const text = Buffer.from('this is not an image, but its hash is right');
      const hash = sha256Hex(text);
      bundle.images[hash] = { contentType: 'image/png', data: text.toString('base64') };
      third.styles = [{ sha256: hash, weight: 1 }];
    } else {
      third.params = { ...third.params, iterations: 1e9 };
    }
    const dst = fresh();
    const file = path.join(dst, 'bad.json');
    fs.writeFileSync(file, JSON.stringify(bundle));
    const r = await cli('presets', 'import', file, '--data-dir', dst);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`preset '${third.name}'.*nothing was imported`));
    const store = open(dst);
    try {
      expect(await store.list(L)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('teams create prints a token once; list never shows tokens; revoke disables it', async () => {
    const dst = fresh();
    const made = await cli('teams', 'create', 'Brand Team', '--data-dir', dst);
    expect(made.code).toBe(0);
    const token = made.out.trim();
    expect(token).toMatch(/^atl_/);
    expect(made.err).toContain('shown only now');
    expect((await cli('teams', 'create', 'brand team', '--data-dir', dst)).code).toBe(2);
    const list = await cli('teams', 'list', '--data-dir', dst);
    expect(list.out).toMatch(/^Brand Team {2}active {2}0 preset\(s\)/m);
    expect(list.out).toMatch(/^local {2}pairing token/m);
    expect(list.out).not.toContain(token);
    expect((await cli('teams', 'revoke', 'Brand Team', '--data-dir', dst)).code).toBe(0);
    expect((await cli('teams', 'list', '--data-dir', dst)).out).toMatch(/^Brand Team {2}revoked /m);
    expect((await cli('teams', 'revoke', 'local', '--data-dir', dst)).code).toBe(2);
    const store = open(dst);
    try {
      expect(await store.teams.authenticate(token)).toBeNull();
    } finally {
      await store.close();
    }
  });
});
