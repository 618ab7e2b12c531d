/**
 * `npm run bench -- parallel-uploads [--uploads 6] [--mib 176]`: peak RSS of the companion while
 * one team sends N job uploads of M MiB at the same time, with the per-team upload cap
 * (`--max-team-uploads`, default 2) and without it (a cap of 1000, as before admission existed),
 * in the same process. The bodies are streamed from small chunks (the client holds 1 MiB), and are
 * not images, so every accepted upload ends as a 4xx once read: what is measured is what reading
 * them costs. Prints figures.
 */
import http from 'node:http';
import * as tf from '@tensorflow/tfjs';
import { createApp, listen } from '../companion/src/http/app.js';
import { Vgg19 } from '../companion/src/engine/network/vgg19.js';
import { generateToken, tokensEqual } from '../companion/src/token.js';
import { intFlag, parseFlags } from './lib/args.js';
import { randomVggWeights } from './lib/gatysModel.js';

/** Streams one multipart upload of `bytes` bytes of file content; resolves with the status. */
function upload(port: number, token: string, bytes: number): Promise<number> {
  const boundary = 'benchBOUNDARY';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="c.png"\r\nContent-Type: image/png\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const chunk = Buffer.alloc(2 ** 20, 0x41);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/jobs', headers: { Authorization: `Bearer ${token}`, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': head.length + bytes + tail.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? resolve(-1) : reject(err)));
    req.write(head);
    let sent = 0;
    const pump = (): void => {
      while (sent < bytes) {
        const n = Math.min(chunk.length, bytes - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end(tail);
    };
    pump();
  });
}

async function measure(uploads: number, mib: number, maxTeamUploads: number): Promise<{ statuses: number[]; peakMiB: number }> {
  const model = new Vgg19(randomVggWeights(0, 'block1_conv2'));
  const token = generateToken();
  const handle = createApp({
    engine: { model, backend: { name: 'cpu', device: 'bench' } },
    weightsInfo: { source: 'random', layers: model.availableLayers },
    authenticate: async (t) => (tokensEqual(t, token) ? { teamId: 'local' } : null),
    dataDir: process.cwd(),
    limits: { maxTeamUploads, maxFileBytes: 200 * 2 ** 20 },
  });
  const { server, port } = await listen(handle, 0, '127.0.0.1');
  try {
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const statuses = await Promise.all(Array.from({ length: uploads }, () => upload(port, token, mib * 2 ** 20)));
    clearInterval(sampler);
    return { statuses, peakMiB: (peak - before) / 2 ** 20 };
  } finally {
    await handle.close();
    server.closeAllConnections();
    server.close();
    model.dispose();
  }
}

/** Entry point. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const uploads = intFlag(flags, 'uploads', 6);
  const mib = intFlag(flags, 'mib', 176);
  await tf.setBackend('cpu');
  console.log(`${uploads} parallel uploads of ${mib} MiB from one team`);
  for (const [label, cap] of [['without a cap (1000)', 1000], ['--max-team-uploads 2 (default)', 2], ['without a cap (1000), again', 1000]] as const) {
    const { statuses, peakMiB } = await measure(uploads, mib, cap);
    console.log(`${label.padEnd(32)} peak RSS +${peakMiB.toFixed(0)} MiB; answers ${statuses.join(',')}`);
  }
}
