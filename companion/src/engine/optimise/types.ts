/** What the optimisers share: the function they minimise and the stepping interface. */
import * as tf from '@tensorflow/tfjs';
import type { LossTerms } from '../types.js';

/** A loss value (read back) and its gradient (a tensor the optimiser takes ownership of). */
export interface Evaluated {
  loss: number;
  grad: tf.Tensor;
}

/** Evaluates the loss and gradient at x (x stays owned by the optimiser). */
export type EvaluateFn<E extends Evaluated = Evaluated> = (x: tf.Tensor) => Promise<E>;

/** An optimiser stepping on a tensor of any shape. */
export interface Optimizer<E extends Evaluated = Evaluated> {
  /** The current iterate (owned by the optimiser; clone it to keep it). */
  readonly x: tf.Tensor;
  /** The evaluation at the current iterate (L-BFGS) or the latest one (Adam); undefined before the first step. */
  readonly last: E | undefined;
  /** Iterations done. */
  readonly iterations: number;
  /** Loss+gradient evaluations done. */
  readonly evaluations: number;
  /** One iteration. `converged` means no further progress is possible (the caller may stop). */
  step(): Promise<{ converged: boolean }>;
  /** Frees every tensor the optimiser holds. */
  dispose(): void;
}

/** Reads several scalar tensors back in one transfer and disposes them. */
export async function readScalars(scalars: tf.Scalar[]): Promise<number[]> {
  const stacked = tf.stack(scalars);
  tf.dispose(scalars);
  try {
    return Array.from(await stacked.data());
  } finally {
    stacked.dispose();
  }
}

/** A scale's optimiser with its loss. */
export interface ScaleRun {
  /** One iteration. `converged` means no further progress is possible (the caller may stop). */
  step(): Promise<{ converged: boolean }>;
  /** The latest loss terms read back (NaN before the first). */
  readonly terms: LossTerms;
  readonly iterations: number;
  /** Loss evaluations done by the iterations. */
  readonly evaluations: number;
  /** The current iterate [1,H,W,3] on the host, owned by the run: valid until the next step or dispose (clone it to keep it). */
  image(): Promise<tf.Tensor4D>;
  /** The loss terms at another image of this scale (one evaluation, not counted in `evaluations`). */
  termsAt(x: tf.Tensor4D): Promise<LossTerms>;
  /** Frees every tensor and session the run holds. */
  dispose(): void;
}
