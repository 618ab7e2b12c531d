/**
 * `npm run bench -- preset-timing [--pairs 16] [--database postgres://…]`: the cross-team timing
 * oracles of the preset store (the embedded SQLite one in a temp dir, or PostgreSQL in the given,
 * empty database: its tables are filled and emptied as the teams' presets come and go).
 * Store side: team B stores, in alternating order, bytes team A already stored and bytes nobody
 * stored. Delete side: team B deletes, in alternating order, a preset whose image team A also holds
 * and one whose image only B holds. Prints the medians and in how many pairs the shared case was
 * faster (about half: no signal).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { decodingInspector } from '../companion/src/presets/inspect.js';
import type { PresetsStore } from '../companion/src/presets/contract.js';
import { openPresetsStore } from '../companion/src/presets/openStores.js';
import { intFlag, parseFlags } from './lib/args.js';
import { median } from './lib/child.js';

const noisePng = (seed: number): Promise<Buffer> => {
  const raw = Buffer.alloc(64 * 64 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761 + seed * 40503) >>> 24;
  return sharp(raw, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
};

/** Times `op` for the shared and the fresh case of each pair, alternating which goes first. */
async function pairs(count: number, setup: (i: number) => Promise<{ shared: () => Promise<void>; fresh: () => Promise<void> }>): Promise<{ shared: number[]; fresh: number[]; sharedFaster: number }> {
  const shared: number[] = [];
  const fresh: number[] = [];
  let sharedFaster = 0;
  const time = async (op: () => Promise<void>): Promise<number> => {
    const t0 = performance.now();
    await op();
    return performance.now() - t0;
  };
  for (let i = 0; i < count; i++) {
    const ops = await setup(i);
    // Alternate which goes first, so that warm caches favour neither.
    let ts: number;
    let tf: number;
    if (i % 2) {
      ts = await time(ops.shared);
      tf = await time(ops.fresh);
    } else {
      tf = await time(ops.fresh);
      ts = await time(ops.shared);
    }
    shared.push(ts);
    fresh.push(tf);
    if (ts < tf) sharedFaster++;
  }
  return { shared, fresh, sharedFaster };
}

/** Entry point. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const count = intFlag(flags, 'pairs', 16);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-timing-'));
  const store: PresetsStore = await openPresetsStore({ dataDir: dir, databaseUrl: flags.get('database'), inspectImage: decodingInspector() });
  console.log(`store: ${store.kind}`);
  try {
    const teamB = (await store.teams.create(`b-${process.pid}-${Date.now()}`)).team.id;
    const stored = await pairs(count, async (i) => {
      const k = await noisePng(1000 + i);
      const f = await noisePng(5000 + i);
      await store.create('local', { name: `a${i}-${teamB}` }, [k]); // team A stores k
      return {
        shared: async () => void (await store.create(teamB, { name: `k${i}` }, [k])),
        fresh: async () => void (await store.create(teamB, { name: `f${i}` }, [f])),
      };
    });
    console.log(`store: bytes another team stored: median ${median(stored.shared).toFixed(2)} ms; new bytes: median ${median(stored.fresh).toFixed(2)} ms`);
    console.log(`store: already-stored bytes faster in ${stored.sharedFaster} of ${count} pairs`);
    const deleted = await pairs(count, async (i) => {
      const k = await noisePng(9000 + i);
      const f = await noisePng(13000 + i);
      await store.create('local', { name: `da${i}-${teamB}` }, [k]); // team A holds k too
      const pk = await store.create(teamB, { name: `dk${i}` }, [k]);
      const pf = await store.create(teamB, { name: `df${i}` }, [f]);
      return {
        shared: () => store.delete(teamB, pk.id, pk.version),
        fresh: () => store.delete(teamB, pf.id, pf.version),
      };
    });
    console.log(`delete: image another team holds: median ${median(deleted.shared).toFixed(2)} ms; image only this team holds: median ${median(deleted.fresh).toFixed(2)} ms`);
    console.log(`delete: shared image faster in ${deleted.sharedFaster} of ${count} pairs`);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
