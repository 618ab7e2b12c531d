/**
 * `npm run bench -- tiling [--sizes 512,1024,2048,4096] [--backend onnx|wasm|webgpu|cpu] [--tile 512]
 * [--evals 1] [--threads N] [--style-scale 1] [--torch cpu|cuda]`: exact tiled gradients (the evaluator
 * chooseEvaluator.ts picks: ONNX Runtime's pass graphs on the onnx backends, TF.js's passes
 * otherwise) vs image size. With --torch DEVICE, ../shared/bench/torch_gatys.py's UNTILED evaluation at
 * each size runs first, in the same run, and each line ends with the ratio tiled Atelier / untiled PyTorch. For each size, in a fresh process: VGG-19 at its real widths with random weights,
 * the torch_gatys.py loss (bench/lib/gatysModel.ts), the objective the engine would use (untiled
 * when the image fits one tile), and per size: setup seconds (targets), seconds per
 * loss+gradient evaluation, peak live tensor bytes (tf.memory().numBytes, tracked at every tensor
 * allocation), the wasm heap or GPU allocation, and the process's peak RSS. One line per size,
 * printed as soon as it is measured.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type ConcreteBackend } from '../companion/src/engine/runtime/backend.js';
import { disposeEvaluation, type Objective } from '../companion/src/engine/evaluate/objective.js';
import { createScaleObjective } from '../companion/src/engine/evaluate/chooseEvaluator.js';
import { planTiles } from '../companion/src/engine/evaluate/tiling.js';
import { resolveLayers } from '../companion/src/engine/loss/resolveLayers.js';
import { Vgg19 } from '../companion/src/engine/network/vgg19.js';
import { parseStylizeParams } from '../shared/params.js';
import { fmtS, intFlag, intList, parseFlags } from './lib/args.js';
import { backendBytes, backendMemoryLabel, median, runChildJson } from './lib/child.js';
import { randomVggWeights, TORCH_STYLE_WEIGHT } from './lib/gatysModel.js';
import { describeTorch, runTorch, torchBaseline } from './lib/torchBaseline.js';

interface Request {
  backend: ConcreteBackend;
  size: number;
  tile: number;
  evals: number;
  threads?: number;
  styleScale: number;
}

interface Result {
  size: number;
  tiles: number;
  device: string;
  setupS: number;
  sPerEval: number;
  times: number[];
  loss: number;
  weightsMiB: number;
  peakTensorMiB: number;
  backendMiB?: number;
  peakRssMiB: number;
}

const MiB = 2 ** 20;

/** Tracks the peak of tf.memory().numBytes by wrapping the engine's tensor registration. */
function trackPeakBytes(): { peak(): number; reset(): void } {
  const engine = tf.engine() as unknown as { trackTensor(a: unknown, b: unknown): void; state: { numBytes: number } };
  const original = engine.trackTensor.bind(engine);
  let peak = engine.state.numBytes;
  engine.trackTensor = (a, b) => {
    original(a, b);
    if (engine.state.numBytes > peak) peak = engine.state.numBytes;
  };
  return { peak: () => peak, reset: () => (peak = engine.state.numBytes) };
}

async function measure(req: Request): Promise<Result> {
  const info = await initBackend(req.backend, { wasmThreads: req.threads });
  try {
    const peak = trackPeakBytes();
    const model = new Vgg19(randomVggWeights());
    const weightsMiB = tf.memory().numBytes / MiB;
    const params = parseStylizeParams({ size: req.size, contentWeight: 1, styleWeight: TORCH_STYLE_WEIGHT, tvWeight: 0, pooling: 'max', styleScale: req.styleScale, tile: req.tile });
    const plan = resolveLayers(params, model.availableLayers);
    const tiles = planTiles(req.size, req.size, req.tile, [...plan.content, ...plan.style]).length;
    const content = tf.randomUniform([req.size, req.size, 3], 0, 255, 'float32', 1) as tf.Tensor3D;
    const style = tf.randomUniform([512, 512, 3], 0, 255, 'float32', 2) as tf.Tensor3D;
    const x = tf.expandDims(content, 0) as tf.Tensor4D;
    let backendPeak = backendBytes() ?? 0;
    const t0 = performance.now();
    const opts = { content, styles: [style], params, layers: plan };
    const objective: Objective = await createScaleObjective(model, opts, info.runtime);
    const setupS = (performance.now() - t0) / 1000;
    const times: number[] = [];
    let loss = NaN;
    for (let i = 0; i < req.evals; i++) {
      const start = performance.now();
      const e = await objective.evaluate(x);
      loss = (await e.loss.data())[0];
      await e.grad.data();
      times.push((performance.now() - start) / 1000);
      backendPeak = Math.max(backendPeak, backendBytes() ?? 0);
      disposeEvaluation(e);
    }
    objective.dispose();
    tf.dispose([x, content, style]);
    model.dispose();
    return {
      size: req.size,
      tiles,
      device: `${info.name} on ${info.device}`,
      setupS,
      sPerEval: median(times),
      times,
      loss,
      weightsMiB,
      peakTensorMiB: peak.peak() / MiB,
      backendMiB: backendPeak ? backendPeak / MiB : undefined,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await info.shutdown();
  }
}

function inChild(req: Request): Promise<Result> {
  return runChildJson<Result>(['tiling', '--child', JSON.stringify(req)], '{"size"');
}

function format(r: Result, backend: ConcreteBackend): string {
  const mem = [`peak tensors ${r.peakTensorMiB.toFixed(0)} MiB (weights ${r.weightsMiB.toFixed(0)})`];
  if (r.backendMiB !== undefined) mem.push(`${backendMemoryLabel(backend)} ${r.backendMiB.toFixed(0)} MiB`);
  mem.push(`rss ${r.peakRssMiB.toFixed(0)} MiB`);
  const how = r.tiles > 1 ? `${r.tiles} tiles` : 'untiled';
  return `${String(r.size).padStart(4)}²  ${how.padEnd(9)} ${fmtS(r.sPerEval).padStart(6)} s/eval (setup ${fmtS(r.setupS)} s)  ${mem.join(', ')}`;
}

/** Entry point. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const child = flags.get('child');
  if (child) {
    process.stdout.write(JSON.stringify(await measure(JSON.parse(child) as Request)) + '\n');
    return;
  }
  const backend = (flags.get('backend') ?? 'wasm') as ConcreteBackend;
  if (!['wasm', 'onnx', 'onnx-webgpu', 'webgpu', 'cpu', 'native', 'cuda'].includes(backend)) throw new Error(`unknown backend "${backend}"`);
  const sizes = intList(flags.get('sizes'), [512, 1024, 2048, 4096]);
  const tile = Math.max(1, intFlag(flags, 'tile', 512));
  const evals = Math.max(1, intFlag(flags, 'evals', 1));
  const threads = flags.has('threads') ? intFlag(flags, 'threads', 0) : undefined;
  // The style image is resized to size × style scale: below 1 its Gram targets need no tiling.
  const styleScale = Number(flags.get('style-scale') ?? 1);
  if (!(styleScale > 0)) throw new Error(`--style-scale must be a positive number`);
  console.log(`tiling bench: VGG-19 (real widths, random weights) to conv5_1, torch_gatys.py loss, ${backend}, tile ${tile}, style scale ${styleScale}, ${evals} evaluation(s) per size (median)`);
  const torch = new Map<number, number>();
  if (flags.has('torch')) {
    const baseline = torchBaseline(new Map([...flags, ['torch-device', flags.get('torch')!]]));
    if (baseline.skip) console.log(`torch: skipped: ${baseline.skip}`);
    for (const size of baseline.skip ? [] : sizes) {
      try {
        const t = runTorch(baseline, size, evals, 1);
        torch.set(size, t.s_per_eval);
        console.log(describeTorch(t));
      } catch (err) {
        console.log(`torch  ${String(size).padStart(4)}²  failed: ${(err as Error).message}`);
      }
    }
  }
  let announced = false;
  for (const size of sizes) {
    try {
      const r = await inChild({ backend, size, tile, evals, threads, styleScale });
      if (!announced) console.log(r.device);
      announced = true;
      const t = torch.get(size);
      console.log(`${format(r, backend)}${t ? `  ×${(r.sPerEval / t).toFixed(2)} PyTorch untiled` : ''}`);
    } catch (err) {
      console.log(`${String(size).padStart(4)}²  failed: ${(err as Error).message}`);
    }
  }
}
