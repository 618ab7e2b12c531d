/** What the optimisers share: the function they minimise and the stepping interface. */
import * as tf from '@tensorflow/tfjs';

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
