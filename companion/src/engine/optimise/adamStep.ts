/**
 * Adam's update (Kingma & Ba), written once over an abstract set of element-wise operations, so that
 * the TF.js optimiser (adam.ts) and the ONNX graph that runs the step on the device
 * (onDevice/adamGraph.ts) compute the same thing, in the same order, with the same constants:
 *
 *   m ← β1·m + (1−β1)·g            v ← β2·v + (1−β2)·g²
 *   x ← P(x − lr · (m/c1) / (√(v/c2) + ε)),   c1 = 1−β1^t, c2 = 1−β2^t (t = 1 at the first step)
 *
 * P clips to the box when there is one (projected Adam).
 */
import type { Box } from './box.js';

/** The settings of one Adam run. */
export interface AdamSettings {
  /** Step size, in the units of x. */
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Kingma & Ba's defaults (also Keras's and TF.js's, except ε). */
export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

/** Settings with the defaults filled in. */
export function adamSettings(opts: { learningRate: number } & Partial<AdamSettings>): AdamSettings {
  return {
    learningRate: opts.learningRate,
    beta1: opts.beta1 ?? ADAM_DEFAULTS.beta1,
    beta2: opts.beta2 ?? ADAM_DEFAULTS.beta2,
    epsilon: opts.epsilon ?? ADAM_DEFAULTS.epsilon,
  };
}

/** The bias corrections c1 = 1−β1^t and c2 = 1−β2^t of step t (computed on the host, in double precision). */
export interface BiasCorrections<S> {
  first: S;
  second: S;
}

export function biasCorrections(s: AdamSettings, t: number): BiasCorrections<number> {
  return { first: 1 - s.beta1 ** t, second: 1 - s.beta2 ** t };
}

/** The element-wise operations the step needs, on some representation T of tensors (TF.js tensors, graph value names). */
export interface AdamOps<T> {
  constant(value: number): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  square(a: T): T;
  sqrt(a: T): T;
  /** a clipped to the box. */
  clip(a: T, box: Box): T;
}

/** Adam's iterate and moment estimates. */
export interface AdamState<T> {
  x: T;
  m: T;
  v: T;
}

/** One step from `state` along the gradient `grad`, with step t's bias corrections. */
export function adamStep<T>(ops: AdamOps<T>, s: AdamSettings, state: AdamState<T>, grad: T, c: BiasCorrections<T>, bounds?: Box): AdamState<T> {
  const { add, sub, mul, div, constant } = ops;
  const m = add(mul(state.m, constant(s.beta1)), mul(grad, constant(1 - s.beta1)));
  const v = add(mul(state.v, constant(s.beta2)), mul(ops.square(grad), constant(1 - s.beta2)));
  const mHat = div(m, c.first);
  const vHat = div(v, c.second);
  const x = sub(state.x, mul(div(mHat, add(ops.sqrt(vHat), constant(s.epsilon))), constant(s.learningRate)));
  return { x: bounds ? ops.clip(x, bounds) : x, m, v };
}
