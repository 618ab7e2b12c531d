import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createLbfgs } from '../../companion/src/engine/optimise/lbfgs.js';
import { createAdam } from '../../companion/src/engine/optimise/adam.js';
import type { EvaluateFn, Optimizer } from '../../companion/src/engine/optimise/types.js';

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

/** Wraps f so that every point it is asked to evaluate is checked against the box [lo, hi]. */
function boxWatched(f: EvaluateFn, lo: number, hi: number): { f: EvaluateFn; outside: () => number } {
  let outside = 0;
  return {
    f: async (x) => {
      const v = Array.from(await x.data());
      if (v.some((e) => e < lo || e > hi)) outside++;
      return f(x);
    },
    outside: () => outside,
  };
}

/** f(x) = ½ |A x − b|² with a coupled (non-diagonal) A: its constrained minimum is not the clipped free one. */
function coupledQuadratic(n: number): { f: EvaluateFn; kept: tf.Tensor[] } {
  const A = tf.tidy(() => tf.add(tf.eye(n), tf.mul(0.4, tf.randomNormal([n, n], 0, 1, 'float32', 3))));
  const b = tf.randomNormal([n, 1], 0, 2, 'float32', 4);
  return {
    kept: [A, b],
    f: async (x) => {
      const [loss, grad] = tf.tidy(() => {
        const r = tf.sub(tf.matMul(A, tf.reshape(x, [n, 1])), b);
        return [tf.mul(0.5, tf.sum(tf.square(r))), tf.reshape(tf.matMul(A, r, true, false), x.shape)];
      });
      const v = (await loss.data())[0];
      loss.dispose();
      return { loss: v, grad };
    },
  };
}

describe('box constraints', () => {
  const box = { lower: 0, upper: 1 };

  it('L-BFGS never leaves the box and reaches the constrained minimum of a quadratic whose free minimum lies outside', async () => {
    const before = tf.memory().numTensors;
    const n = 40;
    const a = Array.from({ length: n }, (_, i) => 10 ** ((2 * i) / (n - 1)));
    const c = Array.from({ length: n }, (_, i) => 0.5 + 0.8 * Math.sin(i)); // many targets below 0 or above 1
    const watched = boxWatched(quadratic(a, c), box.lower, box.upper);
    const x0 = tf.fill([n], 0.5);
    const opt = createLbfgs(x0, watched.f, { historySize: 10, bounds: box });
    const { losses } = await run(opt, 200, -Infinity);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThanOrEqual(losses[i - 1]);
    expect(watched.outside()).toBe(0);
    const x = Array.from(await opt.x.data());
    x.forEach((v, i) => expect(v).toBeCloseTo(Math.min(1, Math.max(0, c[i])), 2)); // separable: the minimum is the clipped target
    opt.dispose();
    x0.dispose();
    expect(tf.memory().numTensors).toBe(before + 2);
  });

  it('L-BFGS satisfies the optimality conditions on a coupled problem (projected gradient ≈ 0), below the clipped free optimum', async () => {
    const n = 30;
    const { f, kept } = coupledQuadratic(n);
    const x0 = tf.fill([n], 0.5);
    const opt = createLbfgs(x0, f, { historySize: 10, bounds: box });
    await run(opt, 300, -Infinity);
    const g = opt.last!.grad;
    const x = Array.from(await opt.x.data());
    const gv = Array.from(await g.data());
    // KKT: a free coordinate has zero gradient; one on the lower (upper) bound a gradient ≥ 0 (≤ 0).
    x.forEach((xi, i) => {
      if (xi <= 1e-6) expect(gv[i]).toBeGreaterThan(-5e-3);
      else if (xi >= 1 - 1e-6) expect(gv[i]).toBeLessThan(5e-3);
      else expect(Math.abs(gv[i])).toBeLessThan(5e-3);
    });
    const pinned = x.filter((xi) => xi <= 1e-6 || xi >= 1 - 1e-6).length;
    expect(pinned).toBeGreaterThan(0); // the box is active
    // The unconstrained minimum, clipped (what optimising freely then clipping delivers), is worse.
    const free = createLbfgs(x0, f, { historySize: 10 });
    await run(free, 300, -Infinity);
    const clipped = tf.clipByValue(free.x, 0, 1);
    const clippedLoss = await f(clipped);
    expect(opt.last!.loss).toBeLessThan(clippedLoss.loss);
    tf.dispose([clipped, clippedLoss.grad, x0, ...kept]);
    free.dispose();
    opt.dispose();
  });

  it('Adam projects after every step', async () => {
    const before = tf.memory().numTensors;
    const c = [1.7, -0.6, 0.4];
    const watched = boxWatched(quadratic([1, 2, 3], c), box.lower, box.upper);
    const x0 = tf.fill([3], 0.5);
    const opt = createAdam(x0, watched.f, { learningRate: 0.05, bounds: box });
    await run(opt, 400, -Infinity);
    expect(watched.outside()).toBe(0);
    const x = Array.from(await opt.x.data());
    x.forEach((v, i) => expect(v).toBeCloseTo(Math.min(1, Math.max(0, c[i])), 2));
    opt.dispose();
    x0.dispose();
    expect(tf.memory().numTensors).toBe(before + 2);
  });
});
