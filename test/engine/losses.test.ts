import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { contentLoss, scaled, styleLoss, summed, tvLoss, atLayer } from '../../companion/src/engine/loss/tfjsLoss.js';
import { normalizeWeights } from '../../companion/src/engine/loss/description.js';
import { gram } from '../../companion/src/engine/loss/gram.js';
import { preprocess } from '../../companion/src/engine/network/preprocess.js';
import { rgbToYiq, transferLuminance, yiqToRgb } from '../../companion/src/engine/image/colors.js';
import { fitLongerSide, resizeTensor, sizeOf } from '../../companion/src/engine/image/resize.js';
import { scaleSizes } from '../../shared/schedule.js';
import { noiseImage } from '../../companion/src/engine/image/random.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('loss units on hand-computed values', () => {
  // F is (H·W) x C = 2 pixels x 2 channels: rows [1,2] and [3,4].
  const features = () => tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]);

  it('gram = FᵀF / (H·W·C)', async () => {
    const g = gram(features());
    // FᵀF = [[1*1+3*3, 1*2+3*4],[.., 2*2+4*4]] = [[10,14],[14,20]]; / 4
    expect(Array.from(await g.data())).toEqual([2.5, 3.5, 3.5, 5]);
  });

  it('content = mean of squared differences', async () => {
    const target = tf.tensor4d([0, 2, 3, 2], [1, 1, 2, 2]);
    const v = contentLoss(target)(features());
    expect(await v.array()).toBeCloseTo((1 + 0 + 0 + 4) / 4, 6);
  });

  it('style = mean over C² of squared Gram differences', async () => {
    const target = tf.tensor2d([[2.5, 3.5], [3.5, 3]]);
    const v = styleLoss(target)(features());
    expect(await v.array()).toBeCloseTo(4 / 4, 6);
  });

  it('tv = mean over pixels and channels of squared right+down differences on x/255', async () => {
    // 2x2 image, 3 channels; channel 0 = [[0,255],[255,255]], others 0.
    const img = tf.tensor4d([0, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0], [1, 2, 2, 3]);
    // differences of channel 0 in 0..1: right: (0→1)=1, (1→1)=0; down: (0→1)=1, (1→1)=0 → sum 2; / (2·2·3)
    expect(await tvLoss(img).array()).toBeCloseTo(2 / 12, 6);
    expect(await tvLoss(tf.fill([1, 3, 5, 3], 77) as tf.Tensor4D).array()).toBe(0);
  });

  it('combinators scale and sum; weights normalise', async () => {
    const feats = new Map([['a', features()]]);
    const loss = summed([scaled(2, atLayer('a', contentLoss(tf.zeros([1, 1, 2, 2])))), scaled(0.5, atLayer('a', contentLoss(features())))]);
    expect(await loss(feats).array()).toBeCloseTo(2 * (30 / 4), 5);
    expect(normalizeWeights(undefined, 4)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(normalizeWeights([1, 3], 2)).toEqual([0.25, 0.75]);
    expect(() => normalizeWeights([1], 2)).toThrow(/expected 2/);
    expect(() => normalizeWeights([0, 0], 2)).toThrow(/zero/);
  });

  it('preprocess: RGB→BGR minus the Caffe mean', async () => {
    const x = preprocess(tf.tensor4d([10, 20, 30], [1, 1, 1, 3]));
    const v = Array.from(await x.data());
    expect(v[0]).toBeCloseTo(30 - 103.939, 4);
    expect(v[1]).toBeCloseTo(20 - 116.779, 4);
    expect(v[2]).toBeCloseTo(10 - 123.68, 4);
  });
});

describe('colours, sizes, noise', () => {
  it('YIQ round-trips and luminance transfer keeps the content chroma', async () => {
    const rgb = tf.tensor3d([200, 30, 40, 10, 220, 90], [1, 2, 3]);
    const back = yiqToRgb(rgbToYiq(rgb));
    const a = await back.data();
    Array.from(await rgb.data()).forEach((v, i) => expect(a[i]).toBeCloseTo(v, 3));

    const result = tf.tensor3d([100, 100, 100, 60, 60, 60], [1, 2, 3]); // grey
    const content = tf.tensor3d([120, 80, 90, 30, 70, 50], [1, 2, 3]);
    const out = transferLuminance(result, content);
    const yiqOut = await rgbToYiq(out).data();
    const yiqRes = await rgbToYiq(result).data();
    const yiqContent = await rgbToYiq(content).data();
    for (let p = 0; p < 2; p++) {
      expect(yiqOut[p * 3]).toBeCloseTo(yiqRes[p * 3], 3); // Y from the result
      expect(yiqOut[p * 3 + 1]).toBeCloseTo(yiqContent[p * 3 + 1], 3); // I, Q from the content
      expect(yiqOut[p * 3 + 2]).toBeCloseTo(yiqContent[p * 3 + 2], 3);
    }
  });

  it('fits the longer side and resizes (with box pre-filtering when shrinking a lot)', () => {
    expect(fitLongerSide({ height: 480, width: 640 }, 256)).toEqual({ height: 192, width: 256 });
    expect(fitLongerSide({ height: 1000, width: 10 }, 50)).toEqual({ height: 50, width: 1 });
    const big = tf.ones([100, 60, 3]) as tf.Tensor3D;
    expect(sizeOf(big)).toEqual({ height: 100, width: 60 });
    const small = resizeTensor(big, { height: 10, width: 6 });
    expect(small.shape).toEqual([10, 6, 3]);
    const batch = tf.expandDims(small, 0) as tf.Tensor4D;
    expect(sizeOf(batch)).toEqual({ height: 10, width: 6 });
    batch.dispose();
    expect(Math.abs((small.max().arraySync() as number) - 1)).toBeLessThan(1e-6);
  });

  it('scale schedule is geometric, coarse to fine, ending at size', () => {
    expect(scaleSizes(512, 1)).toEqual([512]);
    expect(scaleSizes(512, 3)).toEqual([128, 256, 512]);
    expect(scaleSizes(64, 3)).toEqual([32, 45, 64]);
  });

  it('noise is seeded', async () => {
    const a = await noiseImage(4, 5, 7).data();
    const b = await noiseImage(4, 5, 7).data();
    const c = await noiseImage(4, 5, 8).data();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });
});
