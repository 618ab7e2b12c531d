/**
 * `npm run bench -- estimates [--layers 48,96,160] [--iterations N] [--backend auto] [--weights PATH]`:
 * are the plugin's estimates true? Through the real companion (createApp, as `atelier serve` runs
 * it: speed measured once at start, then learned from finished jobs), for each layer size and each
 * quality level, in the order a designer would try them: the estimate the Quality button shows
 * (plugin/src/logic/quality.ts estimateRunSeconds over GET /v1/info's speed, for the layer's
 * planned size) against the job's actual running time, and their ratio. Goal: within ×1.5.
 * `--iterations` lowers the final scale's iterations for every level (default: the levels' own)
 * to keep a run on a slow machine bounded; the schedule keeps its shape.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { initBackend, type BackendName } from '../companion/src/engine/runtime/backend.js';
import { measureSpeed } from '../companion/src/engine/evaluate/speed.js';
import { Vgg19 } from '../companion/src/engine/network/vgg19.js';
import { createApp, listen } from '../companion/src/http/app.js';
import { generateToken, tokensEqual } from '../companion/src/token.js';
import { loadWeights } from '../companion/src/weights/index.js';
import { DEFAULT_CONTROLS, QUALITY_PRESETS, controlsToParams, estimateRunSeconds, planRunSizes, type Quality } from '../plugin/src/logic/quality.js';
import type { MeasuredSpeed } from '../shared/schedule.js';
import { fmtS, intFlag, intList, parseFlags } from './lib/args.js';
import { randomVggWeights } from './lib/gatysModel.js';
import { median } from './lib/child.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.resolve(repoRoot, '../shared');

async function model(weightsPath: string | undefined): Promise<{ model: Vgg19; source: string }> {
  const p = weightsPath ?? path.join(SHARED, 'models/vgg19-block1-3');
  if (weightsPath || existsSync(path.join(p, 'model.json'))) {
    const w = await loadWeights(p);
    return { model: new Vgg19(w.weights), source: w.source };
  }
  return { model: new Vgg19(randomVggWeights(0, 'block5_conv1')), source: 'random VGG-19 (real widths) to block5_conv1' };
}

/** A content image exported at `side` (longer side, 4:3) and a style image, from ../shared/images when present. */
async function image(file: string, width: number, height: number): Promise<Buffer> {
  const f = path.join(SHARED, 'images', file);
  if (existsSync(f)) return sharp(readFileSync(f)).resize(width, height, { fit: 'fill' }).png().toBuffer();
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  return sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** Entry point. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const layers = intList(flags.get('layers'), [48, 96, 160]);
  const iterations = flags.get('iterations') === undefined ? null : intFlag(flags, 'iterations', 50);
  const backend = await initBackend((flags.get('backend') ?? 'auto') as BackendName);
  const net = await model(flags.get('weights'));
  let speed: MeasuredSpeed | null = null;
  const token = generateToken();
  const handle = createApp({
    engine: { model: net.model, runtime: backend.runtime, backend: { name: backend.name, device: backend.device }, speed: () => speed },
    weightsInfo: { source: net.source, layers: net.model.availableLayers },
    authenticate: async (t) => (tokensEqual(t, token) ? { teamId: 'local' } : null),
    dataDir: repoRoot,
  });
  const { server, url } = await listen(handle, 0, '127.0.0.1');
  const auth = { Authorization: `Bearer ${token}` };
  try {
    speed = await measureSpeed(net.model, 2, backend.runtime); // as `atelier serve` does at start
    console.log(`estimates bench: backend ${backend.name} (${backend.device}); weights ${net.source}; measured ${fmtS(speed.secondsPerEvaluation)} s per evaluation at ${speed.referenceSide}²`);
    console.log(`layers ${layers.join(', ')} px (4:3); final-scale iterations ${iterations ?? 'per level'}; each job once, in order (the companion learns from each)`);
    console.log('layer  level     size  estimate  actual  actual/estimate');
    const style = await image('starry_night.jpg', 128, 128);
    const ratios: number[] = [];
    for (const side of layers) {
      const layer = { id: 'layer', width: side, height: Math.round((side * 3) / 4) };
      for (const q of Object.keys(QUALITY_PRESETS) as Quality[]) {
        const controls = { ...DEFAULT_CONTROLS, quality: q, qualityChosen: true, advanced: { ...DEFAULT_CONTROLS.advanced, iterations } };
        const info = (await (await fetch(`${url}/v1/info`, { headers: auth })).json()) as { speed: MeasuredSpeed | null };
        const estimate = estimateRunSeconds(controls, q, info.speed, [layer])!;
        const planned = planRunSizes([layer], QUALITY_PRESETS[q].size, false);
        const exportW = Math.round((planned.layers[0].size * layer.width) / Math.max(layer.width, layer.height));
        const exportH = Math.round((planned.layers[0].size * layer.height) / Math.max(layer.width, layer.height));
        const form = new FormData();
        form.append('content', new Blob([new Uint8Array(await image('tubingen.jpg', exportW, exportH))], { type: 'image/png' }), 'layer.png');
        form.append('style', new Blob([new Uint8Array(style)], { type: 'image/png' }), 'style.png');
        form.set('params', JSON.stringify({ ...controlsToParams(controls), size: planned.size }));
        const created = (await (await fetch(`${url}/v1/jobs`, { method: 'POST', headers: auth, body: form })).json()) as { id: string };
        let job: { state: string; startedAt: string | null; finishedAt: string | null; error?: unknown };
        do {
          await new Promise((r) => setTimeout(r, 200));
          job = (await (await fetch(`${url}/v1/jobs/${created.id}`, { headers: auth })).json()) as typeof job;
        } while (job.state === 'queued' || job.state === 'running');
        if (job.state !== 'succeeded') throw new Error(`job ${created.id} ${job.state}: ${JSON.stringify(job.error)}`);
        const actual = (Date.parse(job.finishedAt!) - Date.parse(job.startedAt!)) / 1000;
        ratios.push(actual / estimate);
        console.log(`${String(side).padStart(5)}  ${q.padEnd(8)} ${String(planned.size).padStart(5)}  ${fmtS(estimate).padStart(7)}s ${fmtS(actual).padStart(6)}s  ×${(actual / estimate).toFixed(2)}`);
      }
    }
    const off = ratios.map((r) => Math.max(r, 1 / r));
    console.log(`median actual/estimate ×${median(ratios).toFixed(2)}; worst ×${Math.max(...off).toFixed(2)} off; within ×1.5: ${off.filter((r) => r <= 1.5).length} of ${off.length} (the first job of each size starts from the one-off measurement)`);
  } finally {
    await handle.close();
    server.closeAllConnections();
    server.close();
    net.model.dispose();
  }
}
