/**
 * The preset store's files: private modes whichever command creates them first, temp files of
 * killed writers swept at the next open, and a write path whose work does not depend on what
 * other teams stored (a skipped write for known bytes was a cross-team timing oracle).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../companion/src/cli.js';
import { PRESETS_DB_FILE } from '../../companion/src/presets/db.js';
import { decodingInspector } from '../../companion/src/presets/inspect.js';
import { STYLE_IMAGES_DIR } from '../../companion/src/presets/images.js';
import { SqlitePresetStore } from '../../companion/src/presets/store.js';
import { pngImage, removeDir, tempDataDir } from './presetsFixtures.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
const newDataDir = (): string => {
  const parent = tempDataDir();
  dirs.push(parent);
  return path.join(parent, 'data');
};
const mode = (p: string): number => fs.statSync(p).mode & 0o777;
const open = (dataDir: string): SqlitePresetStore => SqlitePresetStore.open({ dataDir, inspectImage: decodingInspector() });

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe.skipIf(process.platform === 'win32')('data dir modes', () => {
  it('`atelier teams create` before any serve makes the dir 0700 and the database 0600; images are 0600', async () => {
    const dataDir = newDataDir();
    const previous = process.umask(0o022);
    try {
      const stdout = process.stdout.write;
      process.stdout.write = () => true; // the token it prints
      let code: number;
      try {
        code = await main(['teams', 'create', 'design', '--data-dir', dataDir]);
      } finally {
        process.stdout.write = stdout;
      }
      expect(code).toBe(0);
      expect(mode(dataDir)).toBe(0o700);
      for (const f of fs.readdirSync(dataDir).filter((n) => n.startsWith(PRESETS_DB_FILE))) expect([f, mode(path.join(dataDir, f))]).toEqual([f, 0o600]);

      const store = open(dataDir);
      try {
        const preset = await store.create('local', { name: 'Ink' }, [await pngImage(1)]);
        expect(mode(path.join(dataDir, STYLE_IMAGES_DIR))).toBe(0o700);
        expect(mode(store.files.teamDir('local'))).toBe(0o700);
        expect(mode(store.files.pathOf('local', preset.styles[0].sha256))).toBe(0o600);
      } finally {
        await store.close();
      }
    } finally {
      process.umask(previous);
    }
  });
});

describe('temp files of killed writers', () => {
  it('are swept at the next open when their process is gone, however young; a live writer keeps its own', async () => {
    const dataDir = newDataDir();
    await open(dataDir).close();
    const teamDir = path.join(dataDir, STYLE_IMAGES_DIR, 'local');
    fs.mkdirSync(teamDir);
    const dead = path.join(teamDir, `.tmp-${deadPid()}-abcdef`);
    const live = path.join(teamDir, `.tmp-${process.pid}-abcdef`);
    fs.writeFileSync(dead, 'half written');
    fs.writeFileSync(live, 'being written');
    await open(dataDir).close();
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
  });
});

describe('write path independent of other teams', () => {
  it("storing bytes another team already stored writes the team's own file and leaves the other's alone", async () => {
    const dataDir = newDataDir();
    await fs.promises.mkdir(dataDir, { recursive: true });
    const store = open(dataDir);
    try {
      const teamB = (await store.teams.create('b')).team.id;
      const image = await pngImage(7);
      const a = await store.create('local', { name: 'A' }, [image]);
      const file = store.files.pathOf('local', a.styles[0].sha256);
      const before = fs.statSync(file);
      await store.create(teamB, { name: 'B' }, [image]);
      // Team B's own copy, as for bytes never seen before; team A's file is untouched.
      expect(fs.readFileSync(store.files.pathOf(teamB, a.styles[0].sha256)).equals(image)).toBe(true);
      expect(fs.statSync(file)).toMatchObject({ ino: before.ino, mtimeMs: before.mtimeMs });
    } finally {
      await store.close();
    }
  });
});
