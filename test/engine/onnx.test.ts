/**
 * Every ONNX Runtime evaluator (companion/src/engine/evaluate/onnx/) against the TF.js autodiff reference
 * (objective.ts), both generated from the one loss description: the untiled graph, the exact tiled
 * pass graphs (several tile sizes and crop shapes), and the first-maximum mask max-pool backward
 * (the GPU providers'), on loss, terms and gradient (≤ 1e-4 relative), at odd sizes, both poolings,
 * several layers, on ONNX Runtime's CPU provider and on its WebGPU provider (lavapipe in CI); the targets' features and tiled Grams; no TF.js tensor and no ORT session left
 * after success, failure and cancel. Skips with the reason when onnxruntime-node cannot load, and
 * fails instead when ATELIER_REQUIRE_ONNX=1 (.ci/run sets it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Vgg19 } from '../../companion/src/engine/network/vgg19.js';
import { createObjective, disposeEvaluation, type Evaluation } from '../../companion/src/engine/evaluate/objective.js';
import { createScaleObjective } from '../../companion/src/engine/evaluate/chooseEvaluator.js';
import { createTiledObjective } from '../../companion/src/engine/evaluate/tiledObjective.js';
import { stylize } from '../../companion/src/engine/stylize.js';
import { CancelledError } from '../../companion/src/engine/errors.js';
import { gram } from '../../companion/src/engine/loss/gram.js';
import { preprocess } from '../../companion/src/engine/network/preprocess.js';
import { planTiles } from '../../companion/src/engine/evaluate/tiling.js';
import { createOrtRuntime, type OrtRuntime, type OrtRuntimeOptions } from '../../companion/src/engine/evaluate/onnx/ortRuntime.js';
import { loadOrt, requireOrt } from '../helpers/ortAvailable.js';
import { REQUIRE_WEBGPU, webgpuAvailability } from '../helpers/webgpuAvailable.js';
import { uninstallNavigatorGpu } from '../../companion/src/engine/runtime/backends/webgpu.js';
import { countingOrt } from '../helpers/countingOrt.js';
import { parseStylizeParams, type StylizeParamsInput } from '../../shared/params.js';
import { createSmallVggWeights } from '../helpers/smallVgg.js';
import { maxRelErr } from '../helpers/maxRelErr.js';

const available = await loadOrt('onnx evaluators');
requireOrt('onnx evaluators', available);
const webgpu = await webgpuAvailability();
uninstallNavigatorGpu(); // the probe's Dawn instance would keep the process alive; ONNX Runtime has its own
if (!webgpu.available) console.log(`onnx evaluators on WebGPU skipped: ${webgpu.reason}`);
describe.runIf(REQUIRE_WEBGPU && !webgpu.available)('onnx evaluators on WebGPU (required)', () => {
  it('finds a WebGPU adapter', () => {
    throw new Error(`ATELIER_REQUIRE_WEBGPU=1 but webgpu is unavailable: ${webgpu.reason}`);
  });
});

const counted = available.ort ? countingOrt(available.ort) : undefined;
let runtime: OrtRuntime;
let content: tf.Tensor3D;
let style: tf.Tensor3D;
const runtimeWith = (opts: OrtRuntimeOptions = {}) => createOrtRuntime(counted!.ort, { threads: 2, ...opts });

beforeAll(async () => {
  await tf.setBackend('cpu');
  if (counted) runtime = runtimeWith();
  content = tf.randomUniform([37, 45, 3], 0, 255, 'float32', 1) as tf.Tensor3D;
  style = tf.randomUniform([40, 32, 3], 0, 255, 'float32', 2) as tf.Tensor3D;
});
afterAll(async () => {
  tf.dispose([content, style]);
  await runtime?.dispose();
});

interface Read {
  loss: number;
  terms: number[];
  grad: Float32Array;
}

async function read(e: Evaluation): Promise<Read> {
  const r = {
    loss: (await e.loss.data())[0],
    terms: [(await e.terms.content.data())[0], (await e.terms.style.data())[0], (await e.terms.tv.data())[0]],
    grad: (await e.grad.data()) as Float32Array,
  };
  disposeEvaluation(e);
  return r;
}

interface Case {
  /** ORT runtime (default: the CPU one), or 'tfjs' for TF.js's own tiled passes. */
  via?: OrtRuntime | 'tfjs';
  flat?: boolean;
  size?: [number, number];
}

/** Loss, terms and gradient through the TF.js reference and through another evaluator, same weights, same image. */
async function both(p: StylizeParamsInput, seed: number, opts: Case = {}): Promise<{ ref: Read; acc: Read }> {
  const params = parseStylizeParams({ size: 45, styleWeight: 1e3, tvWeight: 10, ...p });
  const [h, w] = opts.size ?? [37, 45];
  const contentImage = opts.size ? (tf.randomUniform([h, w, 3], 0, 255, 'float32', seed + 100) as tf.Tensor3D) : content;
  // flat: a constant image with one bright square, so that pooling windows hold equal maxima.
  const x = opts.flat
    ? (tf.tidy(() => tf.pad(tf.fill([1, 9, 9, 3], 220), [[0, 0], [10, h - 19], [12, w - 21], [0, 0]], 90)) as tf.Tensor4D)
    : (tf.randomUniform([1, h, w, 3], 0, 255, 'float32', seed) as tf.Tensor4D);
  const model = new Vgg19(createSmallVggWeights({ channels: 4, seed }));
  const sessionsBefore = counted!.open();
  try {
    const a = await createObjective(model, { content: contentImage, styles: [style], params });
    const b =
      opts.via === 'tfjs'
        ? await createTiledObjective(model, { content: contentImage, styles: [style], params, tile: params.tile })
        : await createScaleObjective(model, { content: contentImage, styles: [style], params }, opts.via ?? runtime);
    const ref = await read(await a.evaluate(x));
    const acc = await read(await b.evaluate(x));
    a.dispose();
    b.dispose();
    await new Promise((r) => setTimeout(r, 10)); // releases are asynchronous
    expect(counted!.open()).toBe(sessionsBefore);
    return { ref, acc };
  } finally {
    model.dispose();
    x.dispose();
    if (opts.size) contentImage.dispose();
  }
}

function expectSame({ ref, acc }: { ref: Read; acc: Read }, label = 'onnx'): void {
  const terms = ref.terms.map((t, i) => Math.abs(acc.terms[i] - t) / Math.max(t, 1e-12));
  console.log(`${label} vs tfjs: loss ${(Math.abs(acc.loss - ref.loss) / ref.loss).toExponential(2)}, terms ${Math.max(...terms).toExponential(2)}, grad ${maxRelErr(acc.grad, ref.grad).toExponential(2)}`);
  expect(Math.abs(acc.loss - ref.loss) / ref.loss).toBeLessThan(1e-4);
  for (const t of terms) expect(t).toBeLessThan(1e-4);
  expect(maxRelErr(acc.grad, ref.grad)).toBeLessThan(1e-4);
}

const SEVERAL_LAYERS = { contentLayers: ['conv2_2', 'conv4_2'], contentLayerWeights: [1, 3], styleLayers: ['conv1_1', 'conv3_1', 'conv5_1'], styleLayerWeights: [3, 2, 1] };

describe.skipIf(!available.ort)('onnx evaluators against the TF.js reference', () => {
  it('untiled: max pooling, default layers (conv4_2; conv1_1..conv5_1), odd size', async () => {
    expectSame(await both({}, 3));
  });

  it('untiled: average pooling, several content layers, weighted layers', async () => {
    expectSame(await both({ pooling: 'avg', ...SEVERAL_LAYERS }, 4));
  });

  it('untiled: the TV term alone (its loss and gradient are in the graph too)', async () => {
    expectSame(await both({ contentWeight: 0, styleWeight: 0, tvWeight: 1 }, 9));
  });

  it('untiled: first-maximum masks (the GPU providers\' max-pool backward) match too, ties included', async () => {
    const masked = runtimeWith({ maxPoolBackward: 'mask' });
    expectSame(await both({}, 7, { via: masked }));
    expectSame(await both({}, 8, { via: masked, flat: true }));
    expectSame(await both({}, 8, { flat: true }));
  });

  it('tiled: default layers, max pooling, 96x80 in tiles of 32 (several crop shapes), tiled style Grams', async () => {
    const tiles = planTiles(96, 80, 32, ['block1_conv1', 'block5_conv1', 'block4_conv2']);
    expect(tiles.length).toBeGreaterThan(4);
    expectSame(await both({ tile: 32, size: 96 }, 12, { size: [96, 80] }), 'onnx tiled');
  });

  it('tiled: average pooling, several layers, odd 75x61 in tiles of 24', async () => {
    expectSame(await both({ pooling: 'avg', tile: 24, ...SEVERAL_LAYERS }, 13, { size: [75, 61] }), 'onnx tiled avg');
  });

  it('tiled: shallow layers (real halo crops inside the image), masks backward, ties', async () => {
    const masked = runtimeWith({ maxPoolBackward: 'mask' });
    const shallow = { contentLayers: ['conv2_2'], styleLayers: ['conv1_1', 'conv2_1', 'conv3_1'] };
    expectSame(await both({ tile: 16, ...shallow }, 14, { size: [70, 90] }), 'onnx tiled shallow');
    expectSame(await both({ tile: 16, ...shallow }, 15, { size: [70, 90], via: masked, flat: true }), 'onnx tiled masks');
  });

  it("TF.js's own tiled passes (the TF.js backends' evaluator) match too", async () => {
    expectSame(await both({ pooling: 'avg', tile: 24, ...SEVERAL_LAYERS }, 16, { size: [75, 61], via: 'tfjs' }), 'tfjs tiled');
  });

  it("computes the targets' features and tiled Grams as TF.js does, max and avg pooling", async () => {
    const model = new Vgg19(createSmallVggWeights({ channels: 4, seed: 11 }));
    const image = tf.randomUniform([1, 70, 58, 3], 0, 255, 'float32', 3) as tf.Tensor4D;
    const layers = ['block1_conv1', 'block3_conv2', 'block5_conv1'];
    try {
      for (const pooling of ['max', 'avg'] as const) {
        const a = tf.tidy(() => {
          const f = model.features(preprocess(image), layers, pooling);
          return layers.map((l) => f.get(l)!);
        });
        const b = await runtime.features(model, image, layers, pooling);
        const c = await runtime.tiledGrams(model, image, layers, pooling, 16);
        for (const [i, l] of layers.entries()) {
          expect(b.get(l)!.shape).toEqual(a[i].shape);
          expect(maxRelErr((await b.get(l)!.data()) as Float32Array, (await a[i].data()) as Float32Array)).toBeLessThan(1e-5);
          const g = gram(a[i]);
          expect(maxRelErr((await c.get(l)!.data()) as Float32Array, (await g.data()) as Float32Array)).toBeLessThan(1e-4);
          g.dispose();
        }
        tf.dispose([...a, ...b.values(), ...c.values()]);
      }
    } finally {
      image.dispose();
      model.dispose();
    }
  });

  it('leaks no tensor and no session over creation, evaluations and disposal', async () => {
    const before = tf.memory().numTensors;
    await both({}, 5);
    await both({ tile: 24 }, 5, { size: [50, 40] });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('tiled: stops between tiles once aborted, in pass 1 or pass 2, and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const model = new Vgg19(createSmallVggWeights({ channels: 4, seed: 17 }));
    const image = tf.randomUniform([50, 40, 3], 0, 255, 'float32', 5) as tf.Tensor3D;
    const x = tf.expandDims(image, 0) as tf.Tensor4D;
    const params = parseStylizeParams({ tile: 16, tvWeight: 1 });
    const tiles = planTiles(50, 40, 16, ['block1_conv1', 'block2_conv1', 'block3_conv1', 'block4_conv1', 'block4_conv2', 'block5_conv1']).length;
    expect(tiles).toBeGreaterThan(2);
    const sessions = counted!.open();
    try {
      // Runs per evaluation: `tiles` pass-1 runs, the head, TV, then `tiles` pass-2 runs.
      for (const abortAtRun of [1, tiles + 3]) {
        const ctrl = new AbortController();
        const o = await createScaleObjective(model, { content: image, styles: [style], params, signal: ctrl.signal }, runtime);
        let runs = 0;
        counted!.onRun.hook = () => {
          if (++runs === abortAtRun) ctrl.abort();
        };
        await expect(o.evaluate(x)).rejects.toBeInstanceOf(CancelledError);
        counted!.onRun.hook = undefined;
        // It stopped at the next tile, not at the end of the evaluation.
        expect(runs).toBe(abortAtRun);
        o.dispose();
      }
    } finally {
      counted!.onRun.hook = undefined;
      tf.dispose([image, x]);
      model.dispose();
    }
    await new Promise((r) => setTimeout(r, 10));
    expect(tf.memory().numTensors).toBe(before);
    expect(counted!.open()).toBe(sessions);
  });

  for (const tile of [0, 24]) {
    it(`stylize() through ONNX Runtime (${tile ? 'tiled' : 'untiled'}) gives the TF.js result, and leaks nothing after success, failure and cancel`, async () => {
      const before = tf.memory().numTensors;
      const sessions = counted!.open();
      const params = parseStylizeParams({ size: 45, iterations: 4, styleWeight: 1e3, scales: 2, tile });
      const model = new Vgg19(createSmallVggWeights({ channels: 4, seed: 6 }));
      try {
        const a = await stylize(model, { content, styles: [style], params });
        const b = await stylize(model, { content, styles: [style], params }, runtime);
        expect(b.evaluations).toBe(a.evaluations);
        expect(Math.abs(b.losses.total - a.losses.total) / a.losses.total).toBeLessThan(1e-3);
        expect(maxRelErr((await b.image.data()) as Float32Array, (await a.image.data()) as Float32Array)).toBeLessThan(1e-3);
        tf.dispose([a.image, b.image]);

        const ctrl = new AbortController();
        const run = stylize(model, { content, styles: [style], params: parseStylizeParams({ size: 45, iterations: 50, tile }), signal: ctrl.signal, onProgress: (p) => p.iteration === 2 && ctrl.abort() }, runtime);
        await expect(run).rejects.toBeInstanceOf(CancelledError);

        // Fails after the objective exists: init 'image' without an image.
        await expect(stylize(model, { content, styles: [style], params: parseStylizeParams({ size: 45, init: 'image', tile }) }, runtime)).rejects.toThrow(/init/);
      } finally {
        model.dispose();
      }
      await new Promise((r) => setTimeout(r, 10));
      expect(tf.memory().numTensors).toBe(before);
      expect(counted!.open()).toBe(sessions);
    });
  }
});

describe.skipIf(!available.ort || !webgpu.available)('onnx evaluators on the WebGPU provider against the TF.js reference', () => {
  let gpu: OrtRuntime;
  beforeAll(() => {
    gpu = runtimeWith({ provider: 'webgpu' });
  });

  it('untiled and tiled, max pooling, default layers, odd size', async () => {
    expectSame(await both({}, 21, { via: gpu }), 'onnx-webgpu');
    expectSame(await both({ tile: 24 }, 22, { size: [75, 61], via: gpu }), 'onnx-webgpu tiled');
  });

  it('untiled and tiled, average pooling, several layers', async () => {
    expectSame(await both({ pooling: 'avg', ...SEVERAL_LAYERS }, 23, { via: gpu }), 'onnx-webgpu avg');
    expectSame(await both({ pooling: 'avg', tile: 16, ...SEVERAL_LAYERS }, 24, { size: [70, 58], via: gpu }), 'onnx-webgpu tiled avg');
  });
});
