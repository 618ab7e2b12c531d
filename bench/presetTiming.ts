/**
 * `npm run bench -- preset-timing [--pairs 16]`: the cross-team timing oracle of the preset store.
 * Team B stores, in alternating order, bytes team A already stored and bytes nobody stored; prints
 * both medians and in how many pairs the already-stored bytes were faster (about half: no signal).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { decodingInspector } from '../companion/src/presets/inspect.js';
import { PresetStore } from '../companion/src/presets/store.js';
import { intFlag, parseFlags } from './lib/args.js';
import { median } from './lib/child.js';

const noisePng = (seed: number): Promise<Buffer> => {
  const raw = Buffer.alloc(64 * 64 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761 + seed * 40503) >>> 24;
  return sharp(raw, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
};

/** Entry point. */
export async function main(argv: string[]): Promise<void> {
  const pairs = intFlag(parseFlags(argv), 'pairs', 16);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-timing-'));
  const store = PresetStore.open({ dataDir: dir, inspectImage: decodingInspector() });
  try {
    const teamB = store.teams.create('b').team.id;
    const known: number[] = [];
    const fresh: number[] = [];
    let knownFaster = 0;
    for (let i = 0; i < pairs; i++) {
      const k = await noisePng(1000 + i);
      const f = await noisePng(5000 + i);
      await store.create('local', { name: `a${i}` }, [k]); // team A stores k
      const time = async (img: Buffer, name: string): Promise<number> => {
        const t0 = performance.now();
        await store.create(teamB, { name }, [img]);
        return performance.now() - t0;
      };
      // Alternate which goes first, so that warm caches favour neither.
      let tk: number;
      let tf: number;
      if (i % 2) {
        tk = await time(k, `k${i}`);
        tf = await time(f, `f${i}`);
      } else {
        tf = await time(f, `f${i}`);
        tk = await time(k, `k${i}`);
      }
      known.push(tk);
      fresh.push(tf);
      if (tk < tf) knownFaster++;
    }
    console.log(`bytes another team stored: median ${median(known).toFixed(2)} ms; new bytes: median ${median(fresh).toFixed(2)} ms`);
    console.log(`already-stored bytes faster in ${knownFaster} of ${pairs} pairs`);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
