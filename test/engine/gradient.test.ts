import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Vgg19 } from '../../companion/src/engine/network/vgg19.js';
import { createObjective, disposeEvaluation, type Objective } from '../../companion/src/engine/evaluate/objective.js';
import { parseStylizeParams } from '../../shared/params.js';
import { createSmallVggWeights } from '../helpers/smallVgg.js';

let model: Vgg19;
let objective: Objective;
let content: tf.Tensor3D;
let style: tf.Tensor3D;
let x: tf.Tensor4D;

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = new Vgg19(createSmallVggWeights({ channels: 4, seed: 3 }));
  content = tf.randomUniform([24, 20, 3], 0, 255, 'float32', 1) as tf.Tensor3D;
  style = tf.randomUniform([28, 28, 3], 0, 255, 'float32', 2) as tf.Tensor3D;
  // avg pooling keeps the loss smooth (no max-pool switches inside the finite-difference step).
  const params = parseStylizeParams({ contentWeight: 1, styleWeight: 1e-2, tvWeight: 1e3, pooling: 'avg', contentLayers: ['conv2_2', 'conv4_2'], styleLayers: ['conv1_1', 'conv3_1', 'conv5_1'] });
  objective = await createObjective(model, { content, styles: [style], params });
  x = tf.randomUniform([1, 24, 20, 3], 0, 255, 'float32', 4) as tf.Tensor4D;
});

afterAll(() => {
  objective.dispose();
  tf.dispose([content, style, x]);
  model.dispose();
});

/** Total loss at x + eps·v, in float64 from the float32 scalar. */
async function lossAt(v: tf.Tensor4D, eps: number): Promise<number> {
  const xt = tf.tidy(() => tf.add(x, tf.mul(v, eps))) as tf.Tensor4D;
  const e = await objective.evaluate(xt);
  const value = e.loss.dataSync()[0];
  disposeEvaluation(e);
  xt.dispose();
  return value;
}

describe('gradient of the total loss', () => {
  it('has all three terms active', async () => {
    const e = await objective.evaluate(x);
    const [c, s, t] = [e.terms.content, e.terms.style, e.terms.tv].map((v) => v.dataSync()[0]);
    expect(c).toBeGreaterThan(0);
    expect(s).toBeGreaterThan(0);
    expect(t).toBeGreaterThan(0);
    expect(e.loss.dataSync()[0]).toBeCloseTo(c + 1e-2 * s + 1e3 * t, 0);
    disposeEvaluation(e);
  });

  it('matches central finite differences at single pixels', async () => {
    const e = await objective.evaluate(x);
    const grad = e.grad.arraySync()[0];
    disposeEvaluation(e);
    const pixels: Array<[number, number, number]> = [[0, 0, 0], [5, 7, 1], [12, 3, 2], [23, 19, 1], [17, 11, 0]];
    for (const [i, j, c] of pixels) {
      const v = tf.tidy(() => tf.scatterND([[0, i, j, c]], [1], [1, 24, 20, 3])) as tf.Tensor4D;
      const eps = 0.5;
      const fd = ((await lossAt(v, eps)) - (await lossAt(v, -eps))) / (2 * eps);
      v.dispose();
      const g = grad[i][j][c];
      expect(Math.abs(fd - g)).toBeLessThan(2e-2 * Math.abs(g) + 2e-2);
    }
  });

  it('matches the directional derivative along random directions', async () => {
    const before = tf.memory().numTensors;
    const e = await objective.evaluate(x);
    // A direction correlated with the gradient (so the derivative is well above float32 noise) plus noise.
    const directions = [9, 10].map((seed) =>
      tf.tidy(() => tf.add(tf.div(e.grad, tf.sqrt(tf.mean(tf.square(e.grad)))), tf.randomNormal([1, 24, 20, 3], 0, 1, 'float32', seed))),
    ) as tf.Tensor4D[];
    for (const v of directions) {
      const dot = tf.tidy(() => tf.sum(tf.mul(e.grad, v)));
      const gv = dot.dataSync()[0];
      dot.dispose();
      const eps = 0.01;
      const fd = ((await lossAt(v, eps)) - (await lossAt(v, -eps))) / (2 * eps);
      expect(Math.abs(fd - gv) / Math.abs(gv)).toBeLessThan(2e-3);
    }
    disposeEvaluation(e);
    tf.dispose(directions);
    expect(tf.memory().numTensors).toBe(before);
  });
});
