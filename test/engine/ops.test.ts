/**
 * The fast ops (custom gradients, fused kernels) give the same values and the same gradients as the
 * stock TF.js ops, on the cpu backend (reference implementation).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { inputGradientKernel, conv3x3Relu, maxPoolGrad2x2, pool2x2 } from '../../companion/src/engine/network/ops.js';
import { gram } from '../../companion/src/engine/loss/gram.js';

/** max |a − b| / max |b|: relative to the reference's scale, so tiny entries do not blow it up. */
async function relErr(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  expect(a.shape).toEqual(b.shape);
  const [da, db] = await Promise.all([a.data(), b.data()]);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < db.length; i++) {
    diff = Math.max(diff, Math.abs(da[i] - db[i]));
    scale = Math.max(scale, Math.abs(db[i]));
  }
  expect(scale).toBeGreaterThan(0);
  return diff / scale;
}

function stockConv(x: tf.Tensor4D, k: tf.Tensor4D, b: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => tf.relu(tf.add(tf.conv2d(x, k, 1, 'same'), b)) as tf.Tensor4D);
}

function stockGram(f: tf.Tensor4D): tf.Tensor2D {
  const [, h, w, c] = f.shape;
  return tf.tidy(() => {
    const m = tf.reshape(f, [h * w, c]) as tf.Tensor2D;
    return tf.div(tf.matMul(m, m, true, false), h * w * c);
  });
}

describe('fast ops vs stock TF.js ops (cpu backend)', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
  });

  it('inputGradientKernel is the flipped, in/out-swapped kernel', async () => {
    const k = tf.randomNormal([3, 3, 4, 6], 0, 1, 'float32', 1) as tf.Tensor4D;
    const fast = inputGradientKernel(k);
    const ref = tf.tidy(() => tf.reverse(tf.transpose(k, [0, 1, 3, 2]), [0, 1]));
    expect(fast.shape).toEqual([3, 3, 6, 4]);
    expect(Array.from(await fast.data())).toEqual(Array.from(await ref.data()));
    tf.dispose([k, fast, ref]);
  });

  for (const resident of [true, false]) {
    it(`conv3x3Relu: same value and input gradient (backward kernel ${resident ? 'resident' : 'derived'})`, async () => {
      const before = tf.memory().numTensors;
      const x = tf.randomNormal([1, 9, 7, 5], 0, 1, 'float32', 2) as tf.Tensor4D;
      const k = tf.randomNormal([3, 3, 5, 6], 0, 0.3, 'float32', 3) as tf.Tensor4D;
      // Biases of both signs so that the ReLU mask cuts a good share of the outputs.
      const b = tf.randomUniform([6], -0.5, 0.5, 'float32', 4) as tf.Tensor1D;
      const r = tf.randomNormal([1, 9, 7, 6], 0, 1, 'float32', 5);
      const back = resident ? inputGradientKernel(k) : undefined;
      const fastGrad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(conv3x3Relu(v as tf.Tensor4D, k, b, back), r)));
      const refGrad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(stockConv(v as tf.Tensor4D, k, b), r)));
      const [fy, ry, fg, rg] = [conv3x3Relu(x, k, b, back), stockConv(x, k, b), fastGrad(x), refGrad(x)];
      const zeros = (await ry.data()).filter((v) => v === 0).length;
      expect(zeros).toBeGreaterThan(0);
      expect(await relErr(fy, ry)).toBeLessThanOrEqual(1e-5);
      expect(await relErr(fg, rg)).toBeLessThanOrEqual(1e-5);
      tf.dispose([x, k, b, r, fy, ry, fg, rg]);
      if (back) back.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('gram: same value and gradient, also for a non-symmetric upstream gradient', async () => {
    const before = tf.memory().numTensors;
    const f = tf.tidy(() => tf.relu(tf.randomNormal([1, 6, 5, 7], 0, 1, 'float32', 6))) as tf.Tensor4D;
    const r = tf.randomNormal([7, 7], 0, 1, 'float32', 7);
    const fastGrad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gram(v as tf.Tensor4D), r)));
    const refGrad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(stockGram(v as tf.Tensor4D), r)));
    const [fv, rv, fg, rg] = [gram(f), stockGram(f), fastGrad(f), refGrad(f)];
    expect(await relErr(fv, rv)).toBeLessThanOrEqual(1e-5);
    expect(await relErr(fg, rg)).toBeLessThanOrEqual(1e-5);
    tf.dispose([f, r, fv, rv, fg, rg]);
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const pooling of ['max', 'avg'] as const) {
    for (const [h, w] of [
      [8, 6],
      [7, 9],
    ]) {
      it(`pool2x2 ${pooling} ${h}x${w}: same value and gradient as tf.${pooling}Pool, ties included`, async () => {
        const before = tf.memory().numTensors;
        // Small integers (and a block of zeros, like dead ReLUs): many windows have tied maxima.
        const x = tf.tidy(() => {
          const v = tf.floor(tf.randomUniform([1, h, w, 5], -1, 3, 'float32', 40));
          return tf.concat([tf.zerosLike(tf.slice(v, [0, 0, 0, 0], [-1, -1, -1, 1])), tf.slice(v, [0, 0, 0, 1], [-1, -1, -1, -1])], 3);
        }) as tf.Tensor4D;
        const r = tf.randomNormal([1, h >> 1, w >> 1, 5], 0, 1, 'float32', 41);
        const stock = (v: tf.Tensor4D) => (pooling === 'max' ? tf.maxPool(v, 2, 2, 'valid') : tf.avgPool(v, 2, 2, 'valid'));
        const fastGrad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(pool2x2(v as tf.Tensor4D, pooling), r)));
        const refGrad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(stock(v as tf.Tensor4D), r)));
        const [fv, rv, fg, rg] = [pool2x2(x, pooling), stock(x), fastGrad(x), refGrad(x)];
        expect(Array.from(await fv.data())).toEqual(Array.from(await rv.data()));
        // Exactly equal, not just close: the same pixel of each window gets the same dy.
        expect(Array.from(await fg.data())).toEqual(Array.from(await rg.data()));
        tf.dispose([x, r, fv, rv, fg, rg]);
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }

  it('maxPoolGrad2x2 follows tf for -Infinity-only and NaN windows', () => {
    const x = new Float32Array([-Infinity, -Infinity, -Infinity, -Infinity, NaN, 1, 1, NaN]);
    const dy = new Float32Array([5, 7]);
    // Window 1 (all -Infinity): no pixel is > -Infinity, so no gradient; window 2: the first 1.
    const dx = tf.tidy(() => {
      const v = tf.tensor4d(x, [1, 2, 2, 2]);
      const ref = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), tf.tensor4d(dy, [1, 1, 1, 2]))))(v);
      return Array.from(ref.dataSync());
    });
    expect(Array.from(maxPoolGrad2x2(x, dy, [1, 2, 2, 2]))).toEqual(dx);
  });

  for (const pooling of ['max', 'avg'] as const) {
    it(`a VGG-shaped chain (conv, conv, ${pooling} pool, conv, Gram + content MSE): same gradient w.r.t. the image`, async () => {
      const before = tf.memory().numTensors;
      const shapes: Array<[number, number]> = [
        [3, 4],
        [4, 4],
        [4, 8],
      ];
      const ks = shapes.map(([i, o], n) => tf.randomNormal([3, 3, i, o], 0, Math.sqrt(2 / (9 * i)), 'float32', 10 + n) as tf.Tensor4D);
      const bs = shapes.map(([, o], n) => tf.randomUniform([o], -0.2, 0.2, 'float32', 20 + n) as tf.Tensor1D);
      const backs = ks.map((k) => inputGradientKernel(k));
      const img = tf.randomUniform([1, 12, 10, 3], -100, 100, 'float32', 30) as tf.Tensor4D;
      const targetGram = tf.randomUniform([8, 8], 0, 5, 'float32', 31);
      const targetFeat = tf.randomUniform([1, 6, 5, 8], 0, 5, 'float32', 32);
      const net = (fast: boolean) => (x: tf.Tensor) => {
        const conv = (h: tf.Tensor4D, i: number) => (fast ? conv3x3Relu(h, ks[i], bs[i], backs[i]) : stockConv(h, ks[i], bs[i]));
        const c1 = conv(x as tf.Tensor4D, 0);
        const c2 = conv(c1, 1);
        const c3 = conv(pool2x2(c2, pooling), 2);
        const g1 = fast ? gram(c1) : stockGram(c1);
        const g3 = fast ? gram(c3) : stockGram(c3);
        const style = tf.add(tf.mean(tf.square(g1)), tf.mean(tf.squaredDifference(g3, targetGram)));
        return tf.add(tf.mean(tf.squaredDifference(c3, targetFeat)), tf.mul(style, 100)) as tf.Scalar;
      };
      const fast = tf.valueAndGrad(net(true))(img);
      const ref = tf.valueAndGrad(net(false))(img);
      expect(await relErr(fast.value, ref.value)).toBeLessThanOrEqual(1e-5);
      expect(await relErr(fast.grad, ref.grad)).toBeLessThanOrEqual(1e-5);
      tf.dispose([...ks, ...bs, ...backs, img, targetGram, targetFeat, fast.value, fast.grad, ref.value, ref.grad]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
