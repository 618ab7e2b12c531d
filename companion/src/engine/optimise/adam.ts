/**
 * Adam (Kingma & Ba) on a tensor in TF.js, one loss+gradient evaluation per iteration; with
 * `bounds`, projected onto the box after every step. The update itself is adamStep.ts's.
 */
import * as tf from '@tensorflow/tfjs';
import type { EvaluateFn, Evaluated, Optimizer } from './types.js';
import { project, type Box } from './box.js';
import { adamSettings, adamStep, biasCorrections, type AdamOps, type AdamSettings } from './adamStep.js';

/** Adam's settings (adamStep.ts's defaults for those not given). */
export interface AdamOptions extends Partial<Omit<AdamSettings, 'learningRate'>> {
  /** Step size, in the units of x. */
  learningRate: number;
  /** Keep every iterate inside this box (projected Adam); unconstrained when absent. */
  bounds?: Box;
}

/** Adam's operations on TF.js tensors (call inside tf.tidy). */
const tfOps: AdamOps<tf.Tensor> = {
  constant: (value) => tf.scalar(value),
  add: (a, b) => tf.add(a, b),
  sub: (a, b) => tf.sub(a, b),
  mul: (a, b) => tf.mul(a, b),
  div: (a, b) => tf.div(a, b),
  square: (a) => tf.square(a),
  sqrt: (a) => tf.sqrt(a),
  clip: (a, box) => project(box, a),
};

/** Creates an Adam optimiser starting at a copy of x0. */
export function createAdam<E extends Evaluated>(x0: tf.Tensor, evaluate: EvaluateFn<E>, opts: AdamOptions): Optimizer<E> {
  const { bounds } = opts;
  const settings = adamSettings(opts);
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
      const c = biasCorrections(settings, iterations);
      const [nm, nv, nx] = tf.tidy(() => {
        const next = adamStep(tfOps, settings, { x, m, v }, e.grad, { first: tf.scalar(c.first), second: tf.scalar(c.second) }, bounds);
        return [next.m, next.v, next.x];
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
