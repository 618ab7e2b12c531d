import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Vgg19 } from '../../companion/src/engine/network/vgg19.js';
import { stylize } from '../../companion/src/engine/stylize.js';
import { createStyleTargetCache } from '../../companion/src/engine/loss/styleTargets.js';
import { rgbToYiq } from '../../companion/src/engine/image/colors.js';
import { resizeTensor } from '../../companion/src/engine/image/resize.js';
import { CancelledError, EngineError } from '../../companion/src/engine/errors.js';
import type { Progress } from '../../companion/src/engine/types.js';
import { parseStylizeParams, type StylizeParamsInput } from '../../shared/params.js';
import { createSmallVggWeights } from '../helpers/smallVgg.js';

let model: Vgg19;
let partial: Vgg19;
let content: tf.Tensor3D;
let style: tf.Tensor3D;
let style2: tf.Tensor3D;

/** A smooth-ish synthetic photo: gradients plus a square. */
function syntheticContent(h: number, w: number): tf.Tensor3D {
  return tf.tidy(() => {
    const yy = tf.tile(tf.reshape(tf.linspace(0, 1, h), [h, 1, 1]), [1, w, 1]);
    const xx = tf.tile(tf.reshape(tf.linspace(0, 1, w), [1, w, 1]), [h, 1, 1]);
    const square = tf.mul(tf.mul(tf.step(tf.sub(xx, 0.3)), tf.step(tf.sub(0.7, xx))), tf.mul(tf.step(tf.sub(yy, 0.3)), tf.step(tf.sub(0.7, yy))));
    return tf.mul(tf.concat([tf.add(tf.mul(xx, 0.7), tf.mul(square, 0.3)), yy, tf.sub(1, tf.mul(square, 0.8))], 2), 255) as tf.Tensor3D;
  });
}

const params = (p: StylizeParamsInput = {}) => parseStylizeParams({ size: 32, iterations: 6, styleWeight: 1e3, tvWeight: 10, ...p });

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = new Vgg19(createSmallVggWeights({ channels: 4, seed: 5 }));
  partial = new Vgg19(createSmallVggWeights({ channels: 4, seed: 5, upTo: 'block3_conv4' }));
  content = syntheticContent(36, 48);
  style = tf.randomUniform([40, 40, 3], 0, 255, 'float32', 11) as tf.Tensor3D;
  style2 = tf.tidy(() => tf.mul(tf.step(tf.sin(tf.mul(tf.range(0, 40 * 40 * 3), 0.05))), 255).reshape([40, 40, 3])) as tf.Tensor3D;
});

afterAll(() => {
  tf.dispose([content, style, style2]);
  model.dispose();
  partial.dispose();
});

describe('stylize', () => {
  it('decreases the loss, reports sizes, iterations and evaluations, leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const seen: Progress[] = [];
    const r = await stylize(model, { content, styles: [style], params: params({ iterations: 10 }), onProgress: (p) => seen.push(p) });
    expect(r.width).toBe(32);
    expect(r.height).toBe(24);
    expect(r.image.shape).toEqual([24, 32, 3]);
    expect(r.iterations).toBe(10);
    expect(r.evaluations).toBeGreaterThanOrEqual(11);
    expect(seen).toHaveLength(10);
    const totals = seen.map((p) => p.losses.total);
    for (let i = 1; i < totals.length; i++) expect(totals[i]).toBeLessThan(totals[i - 1]);
    expect(totals.at(-1)!).toBeLessThan(0.5 * totals[0]);
    expect(r.losses).toEqual(seen.at(-1)!.losses);
    const { content: c, style: s, tv, total } = r.losses;
    expect(total).toBeCloseTo(c + 1e3 * s + 10 * tv, 0);
    const [min, max] = tf.tidy(() => [r.image.min().dataSync()[0], r.image.max().dataSync()[0]]);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(255);
    expect(r.warnings).toEqual([]);
    tf.dispose([r.image]);
    expect(tf.memory().numTensors).toBe(before + 0);
  });

  it('reports progress fields and previews every k iterations', async () => {
    const seen: Progress[] = [];
    const r = await stylize(model, { content, styles: [style], params: params({ iterations: 4, previewEvery: 2 }), onProgress: (p) => seen.push(p) });
    r.image.dispose();
    expect(seen.map((p) => p.iteration)).toEqual([1, 2, 3, 4]);
    expect(seen.every((p) => p.scale === 1 && p.scales === 1 && p.iterations === 4)).toBe(true);
    expect(seen.map((p) => !!p.preview)).toEqual([true, true, false, true]); // the first iteration of each scale, then every k
    const preview = seen[1].preview!;
    expect(preview).toMatchObject({ width: 32, height: 24 });
    expect(preview.rgb).toHaveLength(32 * 24 * 3);
    expect(seen.every((p, i) => p.elapsed >= 0 && p.eta >= 0 && (i === 0 || p.evaluations >= seen[i - 1].evaluations))).toBe(true);
    expect(seen.at(-1)!.eta).toBe(0);
  });

  it('is deterministic for a seed (noise init) and differs across seeds', async () => {
    const run = async (seed: number) => {
      const r = await stylize(model, { content, styles: [style], params: params({ init: 'noise', seed, iterations: 3 }) });
      const data = Array.from(await r.image.data());
      r.image.dispose();
      return data;
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('runs coarse to fine with one progress stream per scale and the Gram targets computed once per style and size', async () => {
    const before = tf.memory().numTensors;
    const seen: Progress[] = [];
    const cache = createStyleTargetCache();
    const req = { content, styles: [style, style2], styleTargets: cache, params: params({ size: 48, scales: 2, iterations: 3, styleBlend: [2, 1] }), onProgress: (p: Progress) => seen.push(p) };
    const r = await stylize(model, req);
    expect(r.image.shape).toEqual([36, 48, 3]);
    // The coarser scale runs twice the final scale's iterations (shared/schedule.ts).
    expect(seen.map((p) => `${p.scale}/${p.scales}:${p.iteration}/${p.iterations}`)).toEqual(['1/2:1/6', '1/2:2/6', '1/2:3/6', '1/2:4/6', '1/2:5/6', '1/2:6/6', '2/2:1/3', '2/2:2/3', '2/2:3/3']);
    expect(seen.map((p) => `${p.width}x${p.height}`)).toEqual([...Array(6).fill('32x24'), ...Array(3).fill('48x36')]);
    expect(r.iterations).toBe(9);
    expect(cache.computed).toBe(4); // 2 styles x 2 sizes
    r.image.dispose();
    // a second item of the batch reuses every target
    const r2 = await stylize(model, req);
    expect(cache.computed).toBe(4);
    r2.image.dispose();
    cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('starts from a given image and supports Adam', async () => {
    const init = tf.fill([10, 10, 3], 128) as tf.Tensor3D;
    const seen: Progress[] = [];
    const r = await stylize(model, { content, styles: [style], initImage: init, params: params({ init: 'image', optimizer: 'adam', learningRate: 5, iterations: 5 }), onProgress: (p) => seen.push(p) });
    expect(r.evaluations).toBe(6); // one per iteration, and one of the delivered image (Adam's last evaluation is a step behind)
    expect(seen[0].losses.content).toBeGreaterThan(0); // not the content
    expect(seen.at(-1)!.losses.total).toBeLessThan(seen[0].losses.total);
    tf.dispose([r.image, init]);
  });

  it("Adam reads losses back sparsely at every scale, whatever the scale's own iteration budget", async () => {
    const seen: Progress[] = [];
    const r = await stylize(model, { content, styles: [style], params: params({ size: 48, scales: 2, iterations: 12, optimizer: 'adam', learningRate: 5 }), onProgress: (p) => seen.push(p) });
    r.image.dispose();
    // The coarse scale runs 24 iterations: past the final scale's 12 its losses are still read every 10th evaluation only.
    const coarse = seen.filter((p) => p.scale === 1).map((p) => p.losses.total);
    expect(coarse).toHaveLength(24);
    expect(new Set(coarse.slice(9, 19)).size).toBe(1); // evaluations 10..19 report the loss read at 10
    expect(coarse[19]).not.toBe(coarse[18]); // read again at 20
    expect(coarse[23]).not.toBe(coarse[22]); // and at the scale's last
  });

  it('keeps the content chroma with originalColors', async () => {
    const r = await stylize(model, { content, styles: [style], params: params({ originalColors: true, iterations: 4 }) });
    const small = resizeTensor(content, { height: 24, width: 32 });
    // mean |ΔI|+|ΔQ| to the content over the pixels the final clip to 0..255 did not touch
    const chromaError = (img: tf.Tensor3D) =>
      tf.tidy(() => {
        const inside = tf.cast(tf.all(tf.logicalAnd(tf.greater(img, 0.5), tf.less(img, 254.5)), -1, true), 'float32');
        const d = tf.sum(tf.mul(tf.abs(tf.sub(rgbToYiq(img), rgbToYiq(small))), tf.concat([tf.zerosLike(inside), inside, inside], -1)));
        return [d.dataSync()[0] / tf.sum(inside).dataSync()[0], tf.mean(inside).dataSync()[0]];
      });
    const [diff, coverage] = chromaError(r.image);
    const plain = await stylize(model, { content, styles: [style], params: params({ iterations: 4 }) });
    const [plainDiff] = chromaError(plain.image);
    expect(coverage).toBeGreaterThan(0.3);
    expect(diff).toBeLessThan(0.01);
    expect(plainDiff).toBeGreaterThan(1);
    tf.dispose([r.image, plain.image, small]);
  });

  it('is cancelled within one iteration and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const ctrl = new AbortController();
    const seen: Progress[] = [];
    const p = stylize(model, { content, styles: [style], params: params({ iterations: 50 }), signal: ctrl.signal, onProgress: (pr) => { seen.push(pr); if (pr.iteration === 2) ctrl.abort(); } });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(seen).toHaveLength(2);
    expect(tf.memory().numTensors).toBe(before);
    const already = AbortSignal.abort();
    await expect(stylize(model, { content, styles: [style], params: params(), signal: already })).rejects.toBeInstanceOf(CancelledError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('cancels mid-iteration (inside the line search) too', async () => {
    const before = tf.memory().numTensors;
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 150);
    const t0 = performance.now();
    await expect(stylize(model, { content, styles: [style], params: params({ iterations: 10000 }), signal: ctrl.signal })).rejects.toBeInstanceOf(CancelledError);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fails cleanly (bad input, missing layer) without leaks', async () => {
    const before = tf.memory().numTensors;
    const fail = (req: Partial<Parameters<typeof stylize>[1]>, m = model) => stylize(m, { content, styles: [style], params: params(), ...req });
    await expect(fail({ styles: [] })).rejects.toMatchObject({ code: 'bad_input' });
    await expect(fail({ params: params({ init: 'image' }) })).rejects.toMatchObject({ code: 'bad_input' });
    await expect(fail({ params: params({ styleBlend: [1, 2] }) })).rejects.toMatchObject({ code: 'bad_input' });
    await expect(fail({ params: params({ size: 16, styleScale: 0.1 }) })).rejects.toThrow(/too small/);
    await expect(fail({ params: params({ contentLayers: ['conv5_2'] }) }, partial)).rejects.toMatchObject({ code: 'missing_layer' });
    await expect(fail({ params: params({ styleLayers: ['relu4_1'] }) }, partial)).rejects.toThrow(EngineError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('falls back from the default layers on partial weights, with warnings', async () => {
    const r = await stylize(partial, { content, styles: [style], params: params({ iterations: 2 }) });
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings[0]).toMatch(/content layer conv4_2 replaced by conv3_2/);
    expect(r.warnings[1]).toMatch(/conv1_1,conv2_1,conv3_1$/);
    r.image.dispose();
  });
});
