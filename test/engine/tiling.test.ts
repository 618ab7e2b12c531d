/**
 * Exact tiled gradients: tile geometry (grid, halo, receptive field), the tiled objective against
 * the untiled one (loss, terms, gradient), tiled Gram matrices, leak checks, the memory estimate
 * that decides when to tile, and stylize() with --tile / --memory-budget and multi-scale.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Vgg19 } from '../../companion/src/engine/network/vgg19.js';
import { createObjective, disposeEvaluation, type Objective } from '../../companion/src/engine/evaluate/objective.js';
import { createTiledObjective, tiledGrams } from '../../companion/src/engine/evaluate/tiledObjective.js';
import {
  alignTile,
  chooseTile,
  defaultMemoryBudgetMiB,
  estimateObjectiveBytes,
  planTiles,
  poolsBefore,
  receptiveRadius,
  TILED_OVERHEAD,
  tileFor,
  tileGeometry,
} from '../../companion/src/engine/evaluate/tiling.js';
import { gram } from '../../companion/src/engine/loss/gram.js';
import { CancelledError, EngineError } from '../../companion/src/engine/errors.js';
import { preprocess } from '../../companion/src/engine/network/preprocess.js';
import { stylize } from '../../companion/src/engine/stylize.js';
import { resolveLayers } from '../../companion/src/engine/loss/resolveLayers.js';
import { VGG19_LAYERS } from '../../companion/src/engine/network/layers.js';
import { parseStylizeParams, type StylizeParamsInput } from '../../shared/params.js';
import { createSmallVggWeights } from '../helpers/smallVgg.js';
import { maxRelErr } from '../helpers/maxRelErr.js';

let model: Vgg19;
let content: tf.Tensor3D;
let style: tf.Tensor3D;
let style2: tf.Tensor3D;
let x: tf.Tensor4D;
const H = 96;
const W = 80;

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = new Vgg19(createSmallVggWeights({ channels: 4, seed: 7 }));
  content = tf.randomUniform([H, W, 3], 0, 255, 'float32', 1) as tf.Tensor3D;
  style = tf.randomUniform([64, 72, 3], 0, 255, 'float32', 2) as tf.Tensor3D;
  style2 = tf.randomUniform([40, 40, 3], 0, 255, 'float32', 3) as tf.Tensor3D;
  // Near the content (as during optimisation) but different, so every term is active.
  x = tf.tidy(() => tf.add(tf.expandDims(content, 0), tf.randomNormal([1, H, W, 3], 0, 30, 'float32', 4))) as tf.Tensor4D;
});

afterAll(() => {
  tf.dispose([content, style, style2, x]);
  model.dispose();
});

describe('tile geometry', () => {
  it('derives grid, receptive radius and halo from the layers', () => {
    expect(poolsBefore('block1_conv1')).toBe(0);
    expect(poolsBefore('block5_conv1')).toBe(4);
    expect(receptiveRadius('block1_conv1')).toBe(1);
    expect(receptiveRadius('block4_conv2')).toBe(2 + 4 + 16 + 16);
    // conv5_1: 2·1 + 2·2 + 4·4 + 4·8 + 16 = 70, a receptive field of 2·70 + 16 = 156 px.
    expect(receptiveRadius('block5_conv1')).toBe(70);
    expect(tileGeometry(['block1_conv1', 'block5_conv1', 'block4_conv2'])).toEqual({ grid: 16, radius: 70, halo: 80 });
    expect(tileGeometry(['block3_conv1'])).toEqual({ grid: 4, radius: 10, halo: 12 });
    expect(alignTile(500, 16)).toBe(496);
    expect(alignTile(5, 16)).toBe(16);
  });

  it('plans grid-aligned tiles that partition the image, with halo crops inside the image, in few shapes', () => {
    const layers = ['block1_conv1', 'block3_conv1'];
    for (const [h, w, t] of [[90, 70, 16], [96, 80, 32], [33, 17, 100], [64, 64, 64], [203, 97, 40]]) {
      const tiles = planTiles(h, w, t, layers);
      const covered = new Uint8Array(h * w);
      for (const tl of tiles) {
        expect(tl.y0 % 4).toBe(0);
        expect(tl.x0 % 4).toBe(0);
        expect(tl.cy0 % 4).toBe(0);
        expect(tl.cx0 % 4).toBe(0);
        expect(tl.y1 - tl.y0).toBeLessThanOrEqual(t);
        // The crop holds the interior and its halo of 12 px (or reaches the image's border), and stays inside the image.
        expect(tl.cy0).toBeLessThanOrEqual(Math.max(0, tl.y0 - 12));
        expect(tl.cx0).toBeLessThanOrEqual(Math.max(0, tl.x0 - 12));
        expect(tl.cy1).toBeGreaterThanOrEqual(Math.min(h, tl.y1 + 12));
        expect(tl.cx1).toBeGreaterThanOrEqual(Math.min(w, tl.x1 + 12));
        expect(tl.cy0).toBeGreaterThanOrEqual(0);
        expect(tl.cy1).toBeLessThanOrEqual(h);
        expect(tl.cx1).toBeLessThanOrEqual(w);
        // Never larger than interior + 2 halos: the memory estimate holds.
        expect(tl.cy1 - tl.cy0).toBeLessThanOrEqual(Math.min(h, alignTile(t, 4) + 24));
        for (let i = tl.y0; i < tl.y1; i++) for (let j = tl.x0; j < tl.x1; j++) covered[i * w + j]++;
      }
      expect(covered.every((c) => c === 1)).toBe(true);
      // Crops are widened to one length per axis where the grid allows: at most two shapes per axis.
      expect(new Set(tiles.map((tl) => tl.cy1 - tl.cy0)).size).toBeLessThanOrEqual(2);
      expect(new Set(tiles.map((tl) => tl.cx1 - tl.cx0)).size).toBeLessThanOrEqual(2);
    }
    // 1024² in tiles of 512 (halo 12): both crops on an axis are 524 px: one crop graph.
    expect(new Set(planTiles(1024, 1024, 512, layers).map((tl) => `${tl.cy1 - tl.cy0}x${tl.cx1 - tl.cx0}`)).size).toBe(1);
    expect(planTiles(33, 17, 100, layers)).toHaveLength(1);
    expect(planTiles(96, 80, 32, layers)).toHaveLength(9);
  });
});

interface Compared {
  loss: number;
  terms: number;
  grad: number;
}

async function compare(input: StylizeParamsInput, tile: number, styles: tf.Tensor3D[], image = x, contentImage = content): Promise<Compared> {
  const params = parseStylizeParams({ contentWeight: 1, styleWeight: 1e3, tvWeight: 10, ...input });
  const untiled: Objective = await createObjective(model, { content: contentImage, styles, params });
  const tiled: Objective = await createTiledObjective(model, { content: contentImage, styles, params, tile });
  try {
    const a = await untiled.evaluate(image);
    const b = await tiled.evaluate(image);
    const scalars = async (e: typeof a) => Promise.all([e.loss, e.terms.content, e.terms.style, e.terms.tv].map(async (s) => (await s.data())[0]));
    const [sa, sb] = [await scalars(a), await scalars(b)];
    for (const v of sa.slice(1)) expect(v).toBeGreaterThan(0);
    const out = {
      loss: Math.abs(sb[0] - sa[0]) / Math.abs(sa[0]),
      terms: Math.max(...sa.slice(1).map((v, i) => Math.abs(sb[i + 1] - v) / Math.abs(v))),
      grad: maxRelErr((await b.grad.data()) as Float32Array, (await a.grad.data()) as Float32Array),
    };
    expect(b.grad.shape).toEqual(a.grad.shape);
    disposeEvaluation(a);
    disposeEvaluation(b);
    return out;
  } finally {
    untiled.dispose();
    tiled.dispose();
  }
}

describe('tiled objective is exact', () => {
  it('max pooling, default layers (conv1_1..conv5_1, conv4_2), 96x80 in 9 tiles of 32, tiled style Grams', async () => {
    const r = await compare({ pooling: 'max' }, 32, [style]);
    console.log(`exactness max 96x80 tile 32: loss ${r.loss.toExponential(2)}, terms ${r.terms.toExponential(2)}, grad ${r.grad.toExponential(2)}`);
    expect(r.loss).toBeLessThanOrEqual(1e-4);
    expect(r.terms).toBeLessThanOrEqual(1e-4);
    expect(r.grad).toBeLessThanOrEqual(1e-4);
  });

  it('avg pooling, shallow layers (real halo crops), 90x70 not on the grid, two blended styles', async () => {
    const layers = { contentLayers: ['conv2_2', 'conv3_1'], styleLayers: ['conv1_1', 'conv2_1', 'conv3_1'], styleBlend: [2, 1], styleScale: 0.8 };
    const c = tf.slice(content, [0, 0, 0], [90, 70, 3]);
    const img = tf.slice(x, [0, 0, 0, 0], [1, 90, 70, 3]);
    try {
      expect(planTiles(90, 70, 16, ['block3_conv1']).length).toBe(30);
      const r = await compare({ pooling: 'avg', ...layers }, 16, [style, style2], img, c);
      console.log(`exactness avg 90x70 tile 16: loss ${r.loss.toExponential(2)}, terms ${r.terms.toExponential(2)}, grad ${r.grad.toExponential(2)}`);
      expect(r.loss).toBeLessThanOrEqual(1e-4);
      expect(r.terms).toBeLessThanOrEqual(1e-4);
      expect(r.grad).toBeLessThanOrEqual(1e-4);
    } finally {
      tf.dispose([c, img]);
    }
  });

  it('a tile larger than the image is one tile and still exact (cached style Grams)', async () => {
    const r = await compare({ pooling: 'avg' }, 512, [style]);
    expect(r.loss).toBeLessThanOrEqual(1e-4);
    expect(r.grad).toBeLessThanOrEqual(1e-4);
  });

  it('tiled Gram matrices equal untiled ones', async () => {
    const img = tf.expandDims(style, 0) as tf.Tensor4D;
    const layers = ['block1_conv1', 'block3_conv1', 'block5_conv1'];
    const tiled = tiledGrams(model, img, layers, 'max', 16);
    const pre = preprocess(img);
    const feats = model.features(pre, layers, 'max');
    pre.dispose();
    for (const l of layers) {
      const g = gram(feats.get(l)!);
      expect(maxRelErr((await tiled.get(l)!.data()) as Float32Array, (await g.data()) as Float32Array)).toBeLessThanOrEqual(1e-5);
      g.dispose();
    }
    tf.dispose([img, ...tiled.values(), ...feats.values()]);
  });

  it('leaks no tensor over creation, evaluations and disposal, and rejects a wrong image size', async () => {
    const before = tf.memory().numTensors;
    const params = parseStylizeParams({ tvWeight: 1 });
    const o = await createTiledObjective(model, { content, styles: [style], params, tile: 48 });
    const during = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) disposeEvaluation(await o.evaluate(x));
    expect(tf.memory().numTensors).toBe(during);
    const wrong = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    await expect(o.evaluate(wrong)).rejects.toThrow(/this objective is for 80x96/);
    wrong.dispose();
    expect(tf.memory().numTensors).toBe(during);
    o.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops between tiles when its signal is aborted, in either pass, and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const params = parseStylizeParams({ tvWeight: 1 });
    const ctrl = new AbortController();
    const o = await createTiledObjective(model, { content, styles: [style], params, tile: 32, signal: ctrl.signal });
    const during = tf.memory().numTensors;
    // Aborted while the first tile of pass 1 runs: the next checkpoint (after one tile) throws.
    const first = o.evaluate(x);
    setImmediate(() => ctrl.abort());
    await expect(first).rejects.toBeInstanceOf(CancelledError);
    expect(tf.memory().numTensors).toBe(during);
    // Already aborted: nothing is computed.
    await expect(o.evaluate(x)).rejects.toBeInstanceOf(CancelledError);
    expect(tf.memory().numTensors).toBe(during);
    o.dispose();
    // Aborted in pass 2: 9 tiles in pass 1 yield 8 times, so abort after the 10th yield.
    const ctrl2 = new AbortController();
    const o2 = await createTiledObjective(model, { content, styles: [style], params, tile: 32, signal: ctrl2.signal });
    let yields = 0;
    const tick = (): void => {
      if (++yields === 10) ctrl2.abort();
      else setImmediate(tick);
    };
    const second = o2.evaluate(x);
    setImmediate(tick);
    await expect(second).rejects.toBeInstanceOf(CancelledError);
    o2.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('when to tile', () => {
  const layers = ['block1_conv1', 'block2_conv1', 'block3_conv1', 'block4_conv1', 'block5_conv1', 'block4_conv2'];
  const base = { optimizer: 'lbfgs' as const, historySize: 10 };

  it('uses --tile when the image is larger than one tile', () => {
    expect(tileFor(1024, 768, { ...base, tile: 512, memoryBudget: 0 }, layers)).toBe(512);
    expect(tileFor(512, 400, { ...base, tile: 512, memoryBudget: 0 }, layers)).toBe(0);
    expect(tileFor(1024, 768, { ...base, tile: 0, memoryBudget: 0 }, layers)).toBe(0);
  });

  it('chooses a tile from the memory budget only when the untiled estimate exceeds it', () => {
    const p = { ...base, tile: 0, memoryBudget: 8192 };
    expect(tileFor(256, 256, p, layers)).toBe(0);
    const t = tileFor(4096, 4096, p, layers);
    expect(t).toBeGreaterThanOrEqual(256);
    expect(t % 16).toBe(0);
    const reserved = (8 + 20) * 4096 * 4096 * 12;
    expect(TILED_OVERHEAD * estimateObjectiveBytes(t + 160, t + 160, layers) + reserved).toBeLessThanOrEqual(8192 * 2 ** 20);
    expect(TILED_OVERHEAD * estimateObjectiveBytes(t + 176, t + 176, layers) + reserved).toBeGreaterThan(8192 * 2 ** 20);
    expect(chooseTile(4096, 4096, 1024, layers)).toBeLessThan(chooseTile(4096, 4096, 4096, layers));
  });

  it("falls back to the backend's own limit (wasm's 4 GiB heap) when no budget is given", () => {
    expect(defaultMemoryBudgetMiB('wasm')).toBe(3072);
    expect(defaultMemoryBudgetMiB('webgpu')).toBe(0);
    expect(defaultMemoryBudgetMiB('cpu')).toBe(0);
    const p = { ...base, tile: 0, memoryBudget: 0 };
    expect(tileFor(512, 512, p, layers, { fallbackBudgetMiB: 3072 })).toBe(0);
    // 1024² untiled needs ~7 GiB: on wasm it runs in tiles instead of running out of heap.
    const t = tileFor(1024, 1024, p, layers, { fallbackBudgetMiB: 3072 });
    expect(t).toBeGreaterThan(0);
    expect(t).toBeLessThan(1024);
    // A budget given by the user wins over the fallback.
    expect(tileFor(1024, 1024, { ...p, memoryBudget: 1 << 16 }, layers, { fallbackBudgetMiB: 3072 })).toBe(0);
  });

  it("keeps an image untiled where ONNX Runtime's memory limit holds it, whatever the fallback budget", () => {
    const p = { ...base, tile: 0, memoryBudget: 0 };
    const limit = estimateObjectiveBytes(1024, 1024, layers);
    expect(tileFor(1024, 1024, p, layers, { fallbackBudgetMiB: 3072, untiledLimitBytes: limit })).toBe(0);
    expect(tileFor(1024, 1024, p, layers, { fallbackBudgetMiB: 3072, untiledLimitBytes: limit - 1 })).toBeGreaterThan(0);
    // A budget or tile the user gives still decides.
    expect(tileFor(1024, 1024, { ...p, tile: 512 }, layers, { untiledLimitBytes: limit })).toBe(512);
    expect(tileFor(1024, 1024, { ...p, memoryBudget: 3072 }, layers, { untiledLimitBytes: limit })).toBeGreaterThan(0);
  });

  it('says what to change when the full-size state alone exceeds the budget', () => {
    const p = { ...base, tile: 0, memoryBudget: 3072 };
    let err: unknown;
    try {
      tileFor(4096, 4096, p, layers);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('too_large');
    expect((err as EngineError).message).toMatch(/4096x4096 .* over the 3\.0 GiB memory budget: use --optimizer adam/);
    // Adam keeps 8 full-size copies instead of 28: the same image fits in tiles.
    expect(tileFor(4096, 4096, { ...p, optimizer: 'adam' }, layers)).toBeGreaterThanOrEqual(64);
  });

  it('estimates the untiled peak within a factor of 2 of what tf.profile measures', async () => {
    const channels = VGG19_LAYERS.map((l) => ({ 1: 4, 2: 8, 3: 16, 4: 32, 5: 32 })[l.block]!);
    const params = parseStylizeParams({});
    const plan = resolveLayers(params, model.availableLayers);
    const used = [...new Set([...plan.content, ...plan.style])];
    const o = await createObjective(model, { content, styles: [style], params });
    const base = tf.memory().numBytes;
    const info = await tf.profile(async () => disposeEvaluation(await o.evaluate(x)));
    info.peakBytes -= base;
    o.dispose();
    const estimate = estimateObjectiveBytes(H, W, used, channels);
    console.log(`estimate ${(estimate / 2 ** 20).toFixed(2)} MiB vs tf.profile peak ${(info.peakBytes / 2 ** 20).toFixed(2)} MiB`);
    expect(estimate).toBeGreaterThan(info.peakBytes / 2);
    expect(estimate).toBeLessThan(info.peakBytes * 2);
  });
});

describe('stylize with tiling', () => {
  it('gives the same result tiled (--tile, or from --memory-budget) and untiled, with multi-scale, and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const run = async (p: StylizeParamsInput) => {
      const r = await stylize(model, { content, styles: [style], params: parseStylizeParams({ size: 96, scales: 2, iterations: 3, optimizer: 'adam', styleWeight: 1e3, ...p }) });
      const data = (await r.image.data()) as Float32Array;
      r.image.dispose();
      return { data, r };
    };
    const a = await run({});
    const b = await run({ tile: 32 });
    expect(b.r.width).toBe(80);
    expect(b.r.height).toBe(96);
    expect(Math.abs(b.r.losses.total - a.r.losses.total) / a.r.losses.total).toBeLessThan(1e-3);
    expect(maxRelErr(b.data, a.data)).toBeLessThan(1e-3);
    // A 1 MiB budget cannot hold the untiled estimate: tiles are chosen automatically.
    const c = await run({ memoryBudget: 1 });
    expect(maxRelErr(c.data, a.data)).toBeLessThan(1e-3);
    expect(tf.memory().numTensors).toBe(before);
  });
});
