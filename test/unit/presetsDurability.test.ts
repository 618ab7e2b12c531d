/**
 * Durability of the preset store: writer processes are SIGKILLed mid-stream; on reopen every
 * acknowledged write is there and nothing is half-written. Also: two processes writing the same
 * store at once (sharing images, deleting and garbage-collecting) lose nothing.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STYLE_IMAGES_DIR } from '../../companion/src/presets/images.js';
import { SqlitePresetStore } from '../../companion/src/presets/store.js';
import { removeDir, tempDataDir } from './presetsFixtures.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Inside the repo so the bundle resolves better-sqlite3 from node_modules.
const outDir = path.join(repoRoot, 'node_modules', '.cache', `atelier-presets-test-${process.pid}`);
const writer = path.join(outDir, 'writer.mjs');
const dirs: string[] = [];

beforeAll(async () => {
  await build({
    entryPoints: [path.join(repoRoot, 'test/unit/presetsWriterChild.ts')],
    outfile: writer,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
});
afterAll(() => {
  removeDir(outDir);
  for (const d of dirs) removeDir(d);
});

interface Acks {
  created: Map<string, { name: string; hashes: string[]; weights: number[] }>;
  version: Map<string, number>;
  seed: Map<string, number>;
  deleted: Set<string>;
  /** Deletes announced: they may have committed without their acknowledgement. */
  deleting: Set<string>;
}

function parseAcks(text: string): Acks {
  const acks: Acks = { created: new Map(), version: new Map(), seed: new Map(), deleted: new Set(), deleting: new Set() };
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[0] === 'C' && f.length === 6) {
      acks.created.set(f[1], { name: f[3], hashes: f[4].split(','), weights: f[5].split(',').map(Number) });
      acks.version.set(f[1], Number(f[2]));
    } else if (f[0] === 'U' && f.length === 4) {
      acks.version.set(f[1], Number(f[2]));
      acks.seed.set(f[1], Number(f[3]));
    } else if (f[0] === 'D' && f.length === 2) {
      acks.deleted.add(f[1]);
    } else if (f[0] === 'W' && f.length === 2) {
      acks.deleting.add(f[1]);
    }
  }
  return acks;
}

/** Runs a writer; kills it with SIGKILL 0-25 ms after its `killAfter`-th acknowledged write (never, if undefined). */
function runWriter(dataDir: string, tag: string, opts: { killAfter?: number; count?: number }): Promise<{ acks: Acks; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const args = [writer, dataDir, tag, ...(opts.count ? [String(opts.count)] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const lines = out.split('\n').filter((l) => /^[CUD] /.test(l)).length;
      if (!killed && opts.killAfter !== undefined && lines >= opts.killAfter) {
        killed = true;
        // A random few ms later, so the kill lands anywhere in the next write (file, fsync, commit).
        setTimeout(() => child.kill('SIGKILL'), crypto.randomInt(25));
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (!killed && code !== 0) return reject(new Error(`writer exited ${code ?? signal}: ${err}`));
      // Only complete lines are acknowledgements.
      resolve({ acks: parseAcks(out.slice(0, out.lastIndexOf('\n') + 1)), killed: signal === 'SIGKILL' });
    });
  });
}

/** Reopens the store and checks it against the acknowledgements; returns how many presets it holds. */
async function verify(dataDir: string, acks: Acks[]): Promise<number> {
  const store = SqlitePresetStore.open({ dataDir, inspectImage: async () => ({ width: 1, height: 1, contentType: 'image/png' }) });
  try {
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(store.db.pragma('foreign_key_check')).toEqual([]);
    const presets = new Map((await store.list('local')).map((p) => [p.id, p]));
    for (const a of acks) {
      for (const [id, c] of a.created) {
        const p = presets.get(id);
        if (a.deleted.has(id)) {
          expect(p, `acknowledged delete of ${c.name} lost`).toBeUndefined();
          continue;
        }
        if (!p && a.deleting.has(id)) continue; // its delete committed; the kill beat the acknowledgement
        expect(p, `acknowledged preset ${c.name} lost`).toBeDefined();
        expect(p!.name).toBe(c.name);
        expect(p!.styles.map((s) => s.sha256)).toEqual(c.hashes);
        expect(p!.styles.map((s) => s.weight)).toEqual(c.weights);
        // A later write may have committed without its acknowledgement reaching us: never older.
        expect(p!.version).toBeGreaterThanOrEqual(a.version.get(id)!);
        if (p!.version === a.version.get(id) && a.seed.has(id)) expect(p!.params.seed).toBe(a.seed.get(id));
      }
    }
    // Nothing half-written: every preset is whole and every referenced file is complete.
    const imagesDir = path.join(dataDir, STYLE_IMAGES_DIR, 'local');
    for (const p of presets.values()) {
      expect(p.styles).toHaveLength(2);
      for (const s of p.styles) {
        const data = fs.readFileSync(path.join(imagesDir, s.sha256));
        expect(data.length).toBe(s.bytes);
        expect(crypto.createHash('sha256').update(data).digest('hex')).toBe(s.sha256);
      }
    }
    const swept = store.gc({ sweepDisk: true, tempMaxAgeMs: 0 });
    if (process.env.PRESETS_DEBUG) console.log(swept);
    const referenced = new Set([...presets.values()].flatMap((p) => p.styles.map((s) => s.sha256)));
    expect(fs.readdirSync(imagesDir).sort()).toEqual([...referenced].sort());
    return presets.size;
  } finally {
    await store.close();
  }
}

describe('preset store durability', () => {
  it('keeps every acknowledged write and nothing half-written across 20 SIGKILLs', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const all: Acks[] = [];
    let killedMidStream = 0;
    for (let round = 0; round < 20; round++) {
      // Kill after 0..11 acknowledged writes; with 0 the kill often lands during open/migration.
      const { acks, killed } = await runWriter(dataDir, `r${round}`, { killAfter: round % 12 });
      if (killed) killedMidStream++;
      all.push(acks);
      await verify(dataDir, all);
    }
    expect(killedMidStream).toBe(20);
    const total = all.reduce((n, a) => n + a.created.size, 0);
    expect(total).toBeGreaterThan(40);
  });

  it('two processes writing the same store at once lose nothing', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const results = await Promise.all([runWriter(dataDir, 'x', { count: 30 }), runWriter(dataDir, 'y', { count: 30 })]);
    const acks = results.map((r) => r.acks);
    expect(acks.map((a) => a.created.size)).toEqual([15, 15]);
    expect(acks.map((a) => a.deleted.size)).toEqual([5, 5]);
    const alive = acks.reduce((n, a) => n + a.created.size - a.deleted.size, 0);
    expect(await verify(dataDir, acks)).toBe(alive);
  });
});
