/**
 * Child process of the preset durability tests (bundled with esbuild, run with plain node): performs
 * preset writes through the real store and prints one line per write AFTER the store returned (the
 * acknowledgement): `C id version name hash,hash weights`, `U id version seed`, `D id`;
 * `W id` announces a delete before it starts.
 * Usage: node writer.mjs DATA_DIR TAG [COUNT]  (COUNT omitted: until killed).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { SqlitePresetStore } from '../../companion/src/presets/store.js';

const [dataDir, tag, countArg] = process.argv.slice(2);
const count = countArg ? Number(countArg) : Number.POSITIVE_INFINITY;

/** PNG signature + IHDR chunk + random payload: enough for the header check below, any size. */
function pngLike(seed: string, bytes: number, w: number, h: number): Buffer {
  const head = Buffer.alloc(33);
  head.writeUInt32BE(0x89504e47, 0);
  head.writeUInt32BE(0x0d0a1a0a, 4);
  head.writeUInt32BE(13, 8);
  head.write('IHDR', 12, 'latin1');
  head.writeUInt32BE(w, 16);
  head.writeUInt32BE(h, 20);
  head[24] = 8;
  head[25] = 2;
  const body = Buffer.alloc(Math.max(0, bytes - head.length));
  let x = crypto.createHash('sha256').update(seed).digest();
  for (let i = 0; i < body.length; i += 32) {
    x.copy(body, i);
    x = crypto.createHash('sha256').update(x).digest();
  }
  return Buffer.concat([head, body]);
}

/**
 * The real server decodes every image (io/images.ts); loading sharp + TF.js in each of ~20 killed
 * children would dominate the test's time, and durability does not depend on the check, so this
 * child validates the PNG header only.
 */
async function headerInspector(data: Buffer): Promise<{ width: number; height: number; contentType: string }> {
  if (data.length < 33 || data.readUInt32BE(0) !== 0x89504e47 || data.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error('not a PNG');
  }
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20), contentType: 'image/png' };
}

const ack = (line: string): void => {
  fs.writeSync(1, `${line}\n`);
};

const store = SqlitePresetStore.open({ dataDir, inspectImage: headerInspector });
const alive: string[] = [];
for (let i = 0; i < count; i++) {
  const op = i % 6;
  if (op <= 2 || alive.length < 2) {
    const shared = pngLike(`shared-${i % 3}`, 4096, 4, 4);
    const size = 1000 + crypto.randomInt(250_000);
    const unique = pngLike(`${tag}-${i}-${crypto.randomUUID()}`, size, 3 + (i % 5), 2);
    const weights = [1 + crypto.randomInt(100) / 7, crypto.randomInt(100) / 3];
    const name = `${tag}-${i}`;
    const p = await store.create('local', { name, params: { seed: i, size: 64 }, blend: weights }, [shared, unique]);
    alive.push(p.id);
    ack(`C ${p.id} ${p.version} ${name} ${p.styles.map((s) => s.sha256).join(',')} ${weights.join(',')}`);
  } else if (op <= 4) {
    const id = alive[alive.length - 1];
    const cur = (await store.get('local', id))!;
    const p = await store.patch('local', id, cur.version, { params: { seed: 100_000 + i } });
    ack(`U ${p.id} ${p.version} ${100_000 + i}`);
  } else {
    const id = alive.shift()!;
    ack(`W ${id}`); // intent, before the delete: a kill may land after its commit, before its `D`
    const cur = (await store.get('local', id))!;
    await store.delete('local', id, cur.version);
    ack(`D ${id}`);
  }
}
await store.close();
