/**
 * L-BFGS's memory: the last m curvature pairs (s = x_{k+1} − x_k, y = g_{k+1} − g_k) and the
 * two-loop recursion (Nocedal & Wright, alg. 7.4) that applies the inverse-Hessian approximation
 * they define. The vectors stay on the device; only dot products become scalars.
 */
import * as tf from '@tensorflow/tfjs';

/** Σ a·b as a scalar tensor. */
export const dot = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.tidy(() => tf.sum(tf.mul(a, b)) as tf.Scalar);

interface Pair {
  s: tf.Tensor;
  y: tf.Tensor;
  rho: number;
}

export class LbfgsHistory {
  private readonly pairs: Pair[] = [];
  /** γ = sᵀy / yᵀy of the newest pair: the scale of the initial Hessian approximation H0 = γI. */
  private gamma = 1;

  constructor(private readonly size: number) {}

  get length(): number {
    return this.pairs.length;
  }

  /**
   * Keeps (s, y) (taking ownership) when the curvature sᵀy is safely positive, as BFGS needs; else
   * disposes them. The oldest pair goes once there are more than `size`.
   */
  push(s: tf.Tensor, y: tf.Tensor, ys: number, yy: number): void {
    if (!(ys > 0 && ys > 1e-10 * yy)) {
      tf.dispose([s, y]);
      return;
    }
    this.pairs.push({ s, y, rho: 1 / ys });
    this.gamma = ys / yy;
    if (this.pairs.length > this.size) {
      const old = this.pairs.shift()!;
      tf.dispose([old.s, old.y]);
    }
  }

  /** d = −H·g by the two-loop recursion (steepest descent −g with no pairs). */
  direction(g: tf.Tensor): tf.Tensor {
    const pairs = this.pairs;
    return tf.tidy(() => {
      let q = g;
      const alphas: tf.Scalar[] = [];
      for (let i = pairs.length - 1; i >= 0; i--) {
        const a = tf.mul(dot(pairs[i].s, q), pairs[i].rho) as tf.Scalar;
        alphas[i] = a;
        q = tf.sub(q, tf.mul(pairs[i].y, a));
      }
      let r = tf.mul(q, this.gamma);
      for (let i = 0; i < pairs.length; i++) {
        const beta = tf.mul(dot(pairs[i].y, r), pairs[i].rho);
        r = tf.add(r, tf.mul(pairs[i].s, tf.sub(alphas[i], beta)));
      }
      return tf.neg(r);
    });
  }

  /** Forgets every pair (back to steepest descent). */
  reset(): void {
    for (const p of this.pairs) tf.dispose([p.s, p.y]);
    this.pairs.length = 0;
    this.gamma = 1;
  }
}
