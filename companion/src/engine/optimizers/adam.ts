/** Adam (Kingma & Ba) on a tensor, one loss+gradient evaluation per iteration; with `bounds`, projected onto the box after every step. */
import * as tf from '@tensorflow/tfjs';
import type { EvaluateFn, Evaluated, Optimizer } from './types.js';
import { project, type Box } from './box.js';

/** Adam's settings. */
export interface AdamOptions {
  /** Step size, in the units of x. */
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Keep every iterate inside this box (projected Adam); unconstrained when absent. */
  bounds?: Box;
}

/** Creates an Adam optimiser starting at a copy of x0. */
export function createAdam<E extends Evaluated>(x0: tf.Tensor, evaluate: EvaluateFn<E>, opts: AdamOptions): Optimizer<E> {
  const { learningRate: lr, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, bounds } = opts;
  const inBox = (t: tf.Tensor) => (bounds ? project(bounds, t) : t);
  let x = bounds ? project(bounds, x0) : tf.clone(x0);
  let m = tf.zerosLike(x0);
  let v = tf.zerosLike(x0);
  let last: E | undefined;
  let iterations = 0;
  let evaluations = 0;
  return {
    get x() {
      return x;
    },
    get last() {
      return last;
    },
    get iterations() {
      return iterations;
    },
    get evaluations() {
      return evaluations;
    },
    async step() {
      const e = await evaluate(x);
      evaluations++;
      if (last) last.grad.dispose();
      last = e;
      iterations++;
      const t = iterations;
      const [nm, nv, nx] = tf.tidy(() => {
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(e.grad, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(e.grad), 1 - beta2));
        const mHat = tf.div(m1, 1 - beta1 ** t);
        const vHat = tf.div(v1, 1 - beta2 ** t);
        return [m1, v1, inBox(tf.sub(x, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), lr)))];
      });
      tf.dispose([m, v, x]);
      m = nm;
      v = nv;
      x = nx;
      return { converged: false };
    },
    dispose() {
      tf.dispose([m, v, x]);
      if (last) last.grad.dispose();
      last = undefined;
    },
  };
}
