/**
 * Variations (shared/variations.ts): N results of one content image sharing the style targets.
 * Style passes are counted on the network itself (forward passes over an image of the style's
 * square shape), not through the cache's own counter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Vgg19 } from '../../companion/src/engine/network/vgg19.js';
import { stylizeToPng, stylizeVariationsToPng } from '../../companion/src/pipeline.js';
import { decodeImage, type DecodedImage } from '../../companion/src/io/images.js';
import { parseStylizeParams, type StylizeParamsInput } from '../../shared/params.js';
import { variationParams, variationStrength } from '../../shared/variations.js';
import { createSmallVggWeights } from '../helpers/smallVgg.js';

let model: Vgg19;
let content: DecodedImage;
let style: DecodedImage;
/** Forward passes whose input has the given [h, w] (the style is square, the content 3:4). */
const passes = new Map<string, number>();

function image(width: number, height: number, f: (x: number, y: number, c: number) => number): DecodedImage {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) rgb[(y * width + x) * 3 + c] = f(x, y, c) & 255;
  return { width, height, rgb, alpha: null };
}

// 2 scales: 32 then 48 px; the style is resized to 32×32 and 48×48, the content to 32×24 and 48×36.
const params = (p: StylizeParamsInput = {}) => parseStylizeParams({ size: 48, scales: 2, iterations: 4, styleWeight: 1e3, tvWeight: 10, ...p });
const stylePasses = () => (passes.get('32x32') ?? 0) + (passes.get('48x48') ?? 0);

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = new Vgg19(createSmallVggWeights({ channels: 4, seed: 5 }));
  const features = model.features.bind(model);
  model.features = (x, layers, pooling) => {
    const key = `${x.shape[1]}x${x.shape[2]}`;
    passes.set(key, (passes.get(key) ?? 0) + 1);
    return features(x, layers, pooling);
  };
  content = image(48, 36, (x, y, c) => (c === 0 ? x * 5 : c === 1 ? y * 7 : x > 16 && x < 32 && y > 10 && y < 26 ? 230 : 40));
  style = image(40, 40, (x, y, c) => ((x * 37 + y * 91 + c * 53) % 97) * 2 + ((x >> 2) % 2) * 60);
});

afterAll(() => model.dispose());

async function pixels(png: Buffer): Promise<Uint8Array> {
  return (await decodeImage(png)).rgb;
}

const meanAbsDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

describe('variations', () => {
  it('spreads the strengths geometrically around the style weight asked for, seeds one apart', () => {
    const p = params({ variations: 3, variationSpread: 4, seed: 7, styleWeight: 100 });
    expect([0, 1, 2].map((i) => variationParams(p, i).styleWeight)).toEqual([50, 100, 200]);
    expect([0, 1, 2].map((i) => variationParams(p, i).seed)).toEqual([7, 8, 9]);
    expect(variationParams(params({ variations: 2, variationSpread: 1 }), 1).styleWeight).toBe(params().styleWeight);
    expect(variationStrength(0, 1, 4)).toBe(1);
    expect(variationParams(params({ seed: 2 ** 31 - 1, variations: 2 }), 1).seed).toBe(0);
    expect(() => params({ variations: 9 })).toThrow();
    expect(() => params({ variations: 0 })).toThrow();
  });

  it('N results share one set of style targets (one style pass per scale for all N), differ, and leak nothing', async () => {
    const before = tf.memory().numTensors;
    // Control: three separate runs pass the style through the network once per scale each.
    passes.clear();
    const separate = params({ seed: 1 });
    for (let i = 0; i < 3; i++) await stylizeToPng({ model, content, styles: [style], params: separate });
    expect(stylePasses()).toBe(6);

    passes.clear();
    const seen = new Set<number>();
    const p = params({ variations: 3, seed: 1 });
    const results = await stylizeVariationsToPng({ model, content, styles: [style], params: p, onProgress: (_, v) => seen.add(v) });
    expect(stylePasses()).toBe(2); // 2 scales, once for all 3 variations
    expect(results).toHaveLength(3);
    expect([...seen]).toEqual([0, 1, 2]);
    expect(tf.memory().numTensors).toBe(before);

    const [a, b, c] = await Promise.all(results.map((r) => pixels(r.png)));
    for (const [x, y] of [[a, b], [b, c], [a, c]]) expect(meanAbsDiff(x, y)).toBeGreaterThan(0.1); // levels on 0..255; the same image gives 0
    // The middle variation of 3 is the run asked for (seed + 1 does not matter when starting from the content).
    const single = await stylizeToPng({ model, content, styles: [style], params: separate });
    expect(meanAbsDiff(b, await pixels(single.png))).toBe(0);
  });

  it('with spread 1 and a noise start, the seeds alone make the variations differ', async () => {
    passes.clear();
    const results = await stylizeVariationsToPng({ model, content, styles: [style], params: params({ variations: 2, variationSpread: 1, init: 'noise' }) });
    expect(stylePasses()).toBe(2);
    const [a, b] = await Promise.all(results.map((r) => pixels(r.png)));
    expect(meanAbsDiff(a, b)).toBeGreaterThan(1);
  });
});
