/**
 * `npm run bench -- queued-memory [--jobs 8] [--side 7937]`: how much memory N queued submissions of
 * a huge all-zero PNG (7937² ≈ 63 MP, ~180 KB) hold while the worker is busy, with the server's
 * default limits: the answers (202 queued / 429 refused) and the growth of RSS. Prints figures.
 */
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { createApp, listen } from '../companion/src/http/app.js';
import { Vgg19 } from '../companion/src/engine/network/vgg19.js';
import { generateToken, tokensEqual } from '../companion/src/token.js';
import { intFlag, parseFlags } from './lib/args.js';
import { randomVggWeights } from './lib/gatysModel.js';

/** A flat PNG of one grey level (0: all zero, which compresses to almost nothing). */
const png = (w: number, h: number, level = 0): Promise<Buffer> =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: level, g: level, b: level } } }).png({ compressionLevel: 9 }).toBuffer();

/** Entry point. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const jobs = intFlag(flags, 'jobs', 8);
  const side = intFlag(flags, 'side', 7937);
  await tf.setBackend('cpu');
  const model = new Vgg19(randomVggWeights(0, 'block1_conv2'));
  const token = generateToken();
  const handle = createApp({
    engine: { model, backend: { name: 'cpu', device: 'bench' } },
    weightsInfo: { source: 'random', layers: model.availableLayers },
    authenticate: async (t) => (tokensEqual(t, token) ? { teamId: 'local' } : null),
    dataDir: process.cwd(),
  });
  const { server, url } = await listen(handle, 0, '127.0.0.1');
  const auth = { Authorization: `Bearer ${token}` };
  const submit = async (content: Buffer, params: object): Promise<Response> => {
    const form = new FormData();
    form.append('content', new Blob([new Uint8Array(content)]), 'c.png');
    form.append('style', new Blob([new Uint8Array(await png(32, 32, 200))]), 's.png');
    form.append('params', JSON.stringify({ size: 32, iterations: 10000, optimizer: 'adam', styleLayers: ['conv1_1'], contentLayers: ['conv1_2'], ...params }));
    return fetch(`${url}/v1/jobs`, { method: 'POST', headers: auth, body: form });
  };
  try {
    // One long job keeps the worker busy, so the others wait in the queue with their inputs.
    const blocker = (await (await submit(await png(40, 30, 100), {})).json()) as { id: string };
    const huge = await png(side, side);
    global.gc?.();
    const before = process.memoryUsage().rss;
    const statuses: number[] = [];
    for (let i = 0; i < jobs; i++) statuses.push((await submit(huge, { iterations: 1 })).status);
    global.gc?.();
    const after = process.memoryUsage().rss;
    console.log(`${jobs} submissions of a ${side}x${side} all-zero PNG (${(huge.length / 1024).toFixed(0)} KB, ${((side * side) / 1e6).toFixed(1)} MP)`);
    console.log(`answers: ${statuses.join(',')}`);
    console.log(`RSS held by the queued jobs: +${((after - before) / 2 ** 20).toFixed(0)} MiB`);
    await fetch(`${url}/v1/jobs/${blocker.id}`, { method: 'DELETE', headers: auth });
  } finally {
    await handle.close();
    server.closeAllConnections();
    server.close();
    model.dispose();
  }
}
