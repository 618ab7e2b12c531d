import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createLbfgs } from '../../companion/src/engine/optimizers/lbfgs.js';
import { createAdam } from '../../companion/src/engine/optimizers/adam.js';
import type { EvaluateFn, Optimizer } from '../../companion/src/engine/optimizers/types.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** f(x) = ½ Σ a_i (x_i − c_i)², an ill-conditioned quadratic. */
function quadratic(a: number[], c: number[]): EvaluateFn {
  const A = tf.tensor1d(a);
  const C = tf.tensor1d(c);
  tf.keep(A);
  tf.keep(C);
  return async (x) => {
    const [loss, grad] = tf.tidy(() => {
      const d = tf.sub(x, C);
      return [tf.mul(0.5, tf.sum(tf.mul(A, tf.square(d)))), tf.mul(A, d)];
    });
    const v = (await loss.data())[0];
    loss.dispose();
    return { loss: v, grad };
  };
}

/** Rosenbrock in 2-D: (1−x)² + 100 (y − x²)², minimum 0 at (1,1). */
const rosenbrock: EvaluateFn = async (p) => {
  const [x, y] = Array.from(await p.data());
  return {
    loss: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
    grad: tf.tensor1d([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]),
  };
};

async function run(opt: Optimizer, maxIterations: number, lossBelow: number): Promise<{ iterations: number; losses: number[] }> {
  const losses: number[] = [];
  for (let i = 0; i < maxIterations; i++) {
    const { converged } = await opt.step();
    losses.push(opt.last!.loss);
    if (converged || opt.last!.loss < lossBelow) break;
  }
  return { iterations: opt.iterations, losses };
}

describe('L-BFGS', () => {
  it('minimises an ill-conditioned quadratic in few iterations, the loss never increasing', async () => {
    const before = tf.memory().numTensors;
    const n = 50;
    const a = Array.from({ length: n }, (_, i) => 10 ** ((3 * i) / (n - 1))); // condition number 1000
    const c = Array.from({ length: n }, (_, i) => Math.sin(i));
    const x0 = tf.zeros([n]);
    const opt = createLbfgs(x0, quadratic(a, c), { historySize: 10 });
    const { iterations, losses } = await run(opt, 300, 1e-8);
    expect(losses[0]).toBeGreaterThan(100);
    expect(losses.at(-1)).toBeLessThan(1e-7); // float32: ~1e-10 of the starting loss
    expect(iterations).toBeLessThan(200); // scipy L-BFGS-B (m=10) needs 166 here too
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
    const x = Array.from(await opt.x.data());
    x.forEach((v, i) => expect(v).toBeCloseTo(c[i], 3));
    expect(opt.evaluations).toBeGreaterThanOrEqual(opt.iterations);
    opt.dispose();
    x0.dispose();
    expect(tf.memory().numTensors).toBe(before + 2); // the quadratic's two kept constants
  });

  it('minimises Rosenbrock from (−1.2, 1)', async () => {
    const before = tf.memory().numTensors;
    const x0 = tf.tensor1d([-1.2, 1]);
    const opt = createLbfgs(x0, rosenbrock, { historySize: 5 });
    const { iterations, losses } = await run(opt, 100, 1e-12);
    expect(losses.at(-1)).toBeLessThan(1e-8);
    expect(iterations).toBeLessThan(60);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThanOrEqual(losses[i - 1]);
    const [x, y] = Array.from(await opt.x.data());
    expect(x).toBeCloseTo(1, 3);
    expect(y).toBeCloseTo(1, 3);
    opt.dispose();
    x0.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('works on tensors of any shape and stops (converged) at a stationary point', async () => {
    const x0 = tf.fill([2, 3], 2);
    const opt = createLbfgs(x0, async (x) => ({ loss: (await tf.sum(tf.square(x)).data())[0], grad: tf.mul(x, 2) }), { historySize: 3 });
    let converged = false;
    for (let i = 0; i < 20 && !converged; i++) ({ converged } = await opt.step());
    expect(converged).toBe(true);
    expect(opt.x.shape).toEqual([2, 3]);
    expect(Math.max(...Array.from(await tf.abs(opt.x).data()))).toBeLessThan(1e-3);
    opt.dispose();
    x0.dispose();
  });

  it('disposes its trial tensors when an evaluation throws', async () => {
    const before = tf.memory().numTensors;
    const x0 = tf.tensor1d([-1.2, 1]);
    let calls = 0;
    const failing: EvaluateFn = async (x) => {
      if (++calls === 3) throw new Error('stop');
      return rosenbrock(x);
    };
    const opt = createLbfgs(x0, failing, { historySize: 5 });
    await expect(run(opt, 10, 0)).rejects.toThrow('stop');
    opt.dispose();
    x0.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Adam', () => {
  it('minimises a quadratic with one evaluation per iteration', async () => {
    const before = tf.memory().numTensors;
    const x0 = tf.zeros([3]);
    const opt = createAdam(x0, quadratic([1, 2, 3], [1, -2, 3]), { learningRate: 0.1 });
    const { losses } = await run(opt, 400, 1e-8);
    expect(losses.at(-1)!).toBeLessThan(1e-4);
    expect(opt.evaluations).toBe(opt.iterations);
    opt.dispose();
    x0.dispose();
    expect(tf.memory().numTensors).toBe(before + 2);
  });
});
