/**
 * `npm run bench -- server [--backend auto] [--size 256] [--iterations 10] [--scales auto|N] [--reps 3] [--preview-every 5]
 * [--weights PATH] [--json 1]`: end-to-end latency of one job through the companion (multipart POST →
 * SSE until `succeeded` → GET result PNG, real HTTP on 127.0.0.1) against the same work through the
 * engine directly (decode → stylizeToPng), alternating, medians; the service overhead in %, and the
 * time from submit to the first preview event. Prints figures; never passes or fails on time.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { parseStylizeParams, type StylizeParams } from '../shared/params.js';
import { initBackend, type BackendName } from '../companion/src/engine/runtime/backend.js';
import { createStyleTargetCache } from '../companion/src/engine/loss/styleTargets.js';
import { Vgg19 } from '../companion/src/engine/network/vgg19.js';
import { createApp, listen } from '../companion/src/http/app.js';
import { decodeImage } from '../companion/src/io/images.js';
import { stylizeToPng } from '../companion/src/pipeline.js';
import { generateToken, tokensEqual } from '../companion/src/token.js';
import { loadWeights } from '../companion/src/weights/index.js';
import { fmtS, intFlag, parseFlags } from './lib/args.js';
import { randomVggWeights } from './lib/gatysModel.js';
import { median } from './lib/child.js';

/** The HTTP client (submit → SSE until succeeded → GET result), run in a worker thread; globals only. */
const CLIENT_CODE = `
const { parentPort, workerData: d } = require('node:worker_threads');
(async () => {
  const auth = { Authorization: 'Bearer ' + d.token };
  const t0 = performance.now();
  const form = new FormData();
  form.append('content', new Blob([d.content], { type: 'image/png' }), 'content.png');
  form.append('style', new Blob([d.style], { type: 'image/png' }), 'style.png');
  form.append('params', d.params);
  const res = await fetch(d.url + '/v1/jobs', { method: 'POST', headers: auth, body: form });
  if (res.status !== 202) throw new Error('submit: HTTP ' + res.status + ' ' + (await res.text()));
  const { id } = await res.json();
  const events = await fetch(d.url + '/v1/jobs/' + id + '/events', { headers: auth });
  let firstPreview = null, firstEta = null, done = false, buf = '';
  const dec = new TextDecoder();
  for await (const piece of events.body) {
    buf += dec.decode(piece, { stream: true });
    if (firstPreview === null && buf.includes('"preview":"')) firstPreview = (performance.now() - t0) / 1000;
    const eta = firstEta === null && /"type":"progress"[^\\n]*?"eta":([0-9.eE+-]+)/.exec(buf);
    if (eta) firstEta = { at: (performance.now() - t0) / 1000, eta: Number(eta[1]) };
    if (/^event: (failed|canceled)$/m.test(buf)) throw new Error('job ended: ' + buf.slice(-300));
    if (/^event: succeeded$/m.test(buf)) done = true;
    const cut = buf.lastIndexOf('\\n\\n');
    if (cut >= 0 && firstPreview !== null && firstEta !== null) buf = buf.slice(cut + 2);
  }
  if (!done) throw new Error('event stream ended without succeeded');
  await (await fetch(d.url + '/v1/jobs/' + id + '/result', { headers: auth })).arrayBuffer();
  parentPort.postMessage({ total: (performance.now() - t0) / 1000, firstPreview, firstEta });
})().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.resolve(repoRoot, '../shared');
async function images(size: number): Promise<{ content: Buffer; style: Buffer; from: string }> {
  const c = path.join(SHARED, 'images/tubingen.jpg');
  const s = path.join(SHARED, 'images/starry_night.jpg');
  if (existsSync(c) && existsSync(s)) {
    // Resized to the job size so PNG encoding of the result matches the engine's output size.
    const fit = (f: string) => sharp(readFileSync(f)).resize(size, size, { fit: 'inside' }).png().toBuffer();
    return { content: await fit(c), style: await fit(s), from: '../shared/images (tubingen, starry_night)' };
  }
  const raw = Buffer.alloc(size * size * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  const png = await sharp(raw, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
  return { content: png, style: png, from: 'generated noise (../shared/images absent)' };
}

async function model(weightsPath: string | undefined): Promise<{ model: Vgg19; source: string; layers: string[] }> {
  const p = weightsPath ?? path.join(SHARED, 'models/vgg19-block1-3');
  if (weightsPath || existsSync(path.join(p, 'model.json'))) {
    const w = await loadWeights(p);
    const m = new Vgg19(w.weights);
    return { model: m, source: w.source, layers: m.availableLayers };
  }
  const m = new Vgg19(randomVggWeights(0, 'block5_conv1'));
  return { model: m, source: 'random VGG-19 (real widths) to block5_conv1', layers: m.availableLayers };
}

/** Entry point. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const size = intFlag(flags, 'size', 256);
  const iterations = intFlag(flags, 'iterations', 10);
  const scales = flags.get('scales') === undefined || flags.get('scales') === 'auto' ? 'auto' : intFlag(flags, 'scales', 1);
  const reps = Math.max(1, intFlag(flags, 'reps', 3));
  const previewEvery = intFlag(flags, 'preview-every', 5);
  const backend = await initBackend((flags.get('backend') ?? 'auto') as BackendName);
  const net = await model(flags.get('weights'));
  const img = await images(size);
  const paramsInput = { size, iterations, scales, previewEvery, optimizer: 'lbfgs' as const };
  const params: StylizeParams = parseStylizeParams(paramsInput);
  console.log(`server bench: backend ${backend.name} (${backend.device}); weights ${net.source}; images ${img.from}`);
  console.log(`job: ${size}px, scales ${scales}, ${iterations} L-BFGS iterations at the final scale, preview every ${previewEvery}; ${reps} timed reps each after 1 warm-up, alternating`);

  const token = generateToken();
  const handle = createApp({
    engine: { model: net.model, runtime: backend.runtime, backend: { name: backend.name, device: backend.device } },
    weightsInfo: { source: net.source, layers: net.layers },
    authenticate: async (t) => (tokensEqual(t, token) ? { teamId: 'local' } : null),
    dataDir: repoRoot,
  });
  const { server, url } = await listen(handle, 0, '127.0.0.1');

  const direct = async (): Promise<number> => {
    const t0 = performance.now();
    const content = await decodeImage(img.content);
    const style = await decodeImage(img.style);
    const cache = createStyleTargetCache();
    try {
      await stylizeToPng({ model: net.model, runtime: backend.runtime, content, styles: [style], params, styleTargets: cache, outputSize: 'original', onProgress: () => undefined });
    } finally {
      cache.dispose();
    }
    return (performance.now() - t0) / 1000;
  };

  // The client runs in a worker thread, as the plugin runs in another process: its event loop is not
  // blocked while the engine computes, so arrival times are what a real client sees.
  type ClientResult = { total: number; firstPreview: number | null; firstEta: { at: number; eta: number } | null };
  const viaServer = (): Promise<ClientResult> =>
    new Promise((resolve, reject) => {
      const w = new Worker(CLIENT_CODE, { eval: true, workerData: { url, token, content: img.content, style: img.style, params: JSON.stringify(paramsInput) } });
      w.once('message', (m: ClientResult | { error: string }) => ('error' in m ? reject(new Error(m.error)) : resolve(m)));
      w.once('error', reject);
    });

  try {
    // The server's warm-up comes first: it is the companion's first job, which also builds the graphs of each scale.
    const cold = await viaServer();
    console.log(`  first job of the companion (cold): ${fmtS(cold.total)} s, first preview ${cold.firstPreview === null ? '-' : `${fmtS(cold.firstPreview)} s`} after submit`);
    await direct();
    const d: number[] = [];
    const s: number[] = [];
    const fp: number[] = [];
    const etaRatios: number[] = [];
    for (let i = 0; i < reps; i++) {
      d.push(await direct());
      const r = await viaServer();
      s.push(r.total);
      if (r.firstPreview !== null) fp.push(r.firstPreview);
      // The ETA of the first progress event against the time that was really left then.
      const eta = r.firstEta ? `, first ETA ${fmtS(r.firstEta.eta)} s at ${fmtS(r.firstEta.at)} s (really left: ${fmtS(r.total - r.firstEta.at)} s)` : '';
      if (r.firstEta) etaRatios.push(r.firstEta.eta / (r.total - r.firstEta.at));
      console.log(`  rep ${i + 1}: engine ${fmtS(d[i])} s, server ${fmtS(r.total)} s, first preview ${r.firstPreview === null ? '-' : `${fmtS(r.firstPreview)} s`}${eta}`);
    }
    const md = median(d);
    const ms = median(s);
    const overhead = ((ms - md) / md) * 100;
    // Paired reps run back to back, so their differences cancel slow drifts (other load on the machine).
    const paired = median(d.map((x, i) => ((s[i] - x) / x) * 100));
    const best = ((Math.min(...s) - Math.min(...d)) / Math.min(...d)) * 100;
    const pct = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`;
    console.log(`engine directly:   ${fmtS(md)} s (median; best ${fmtS(Math.min(...d))} s)`);
    console.log(`through server:    ${fmtS(ms)} s (median; best ${fmtS(Math.min(...s))} s; submit → result PNG received)`);
    console.log(`service overhead:  ${pct(overhead)} of medians (${fmtS(ms - md)} s), ${pct(paired)} median of paired reps, ${pct(best)} of bests`);
    console.log(`first preview:     ${fp.length ? `${fmtS(median(fp))} s after submit` : 'none (iterations < preview interval?)'}`);
    if (etaRatios.length) console.log(`first ETA:         ×${median(etaRatios).toFixed(2)} the time really left (median; 1 = exact)`);
    if (flags.has('json')) {
      console.log(JSON.stringify({ backend: backend.name, size, iterations, reps, engineS: md, serverS: ms, overheadPct: overhead, pairedOverheadPct: paired, bestOverheadPct: best, firstPreviewS: fp.length ? median(fp) : null }));
    }
  } finally {
    await handle.close();
    server.closeAllConnections();
    server.close();
    net.model.dispose();
    await backend.shutdown();
    if (tf.memory().numTensors > 0) console.log(`(tensors left: ${tf.memory().numTensors})`);
  }
}
