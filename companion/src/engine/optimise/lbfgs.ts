/**
 * L-BFGS (Nocedal & Wright, Numerical Optimization, alg. 7.4 two-loop recursion + alg. 3.5/3.6
 * strong-Wolfe line search) on a tensor of any shape. Vectors stay on the device: the two-loop
 * recursion is done with tensor ops and only scalars (loss, dot products) are read back.
 * Every accepted step satisfies the sufficient-decrease (Armijo) condition, so the loss strictly
 * decreases; a non-descent direction or a failed line search resets the history to steepest descent.
 *
 * With `bounds`, a projected L-BFGS in the spirit of L-BFGS-B: the coordinates pinned on a bound by
 * their gradient (the active set) do not move; the two-loop recursion runs on the gradient of the
 * free coordinates; the direction is cut where it would leave the box from a bound; and the line
 * search runs on the projected path P(x + t·d), with the Armijo test on the actual step P(x+td) − x
 * and the slope of that path (free, not-yet-clipped coordinates). Every iterate stays in the box.
 */
import * as tf from '@tensorflow/tfjs';
import { readScalars, type EvaluateFn, type Evaluated, type Optimizer } from './types.js';
import { movable, project, projectedGradient, type Box } from './box.js';

/** L-BFGS settings. */
export interface LbfgsOptions {
  /** History size m (pairs of s, y kept). */
  historySize: number;
  /** Sufficient-decrease constant c1 (default 1e-4) and curvature constant c2 (default 0.9). */
  c1?: number;
  c2?: number;
  /** Most loss+gradient evaluations in one line search (default 20). */
  maxLineSearchEvaluations?: number;
  /**
   * Length (L2 norm) of the first trial step along −g when there is no history, as a multiple of
   * sqrt(n) (default 1: a step of RMS 1 per element); later steps start at t = 1.
   */
  firstStepRms?: number;
  /** Stop when the loss changes by less than this (relative) or the gradient's max-abs is below gradTolerance. */
  changeTolerance?: number;
  gradTolerance?: number;
  /** Keep every iterate inside this box (projected L-BFGS); unconstrained when absent. */
  bounds?: Box;
}

interface Trial<E> {
  t: number;
  f: number;
  /** Slope of the (projected) path at t. */
  dphi: number;
  /** The first-order decrease predicted for this step, g0·(x_t − x): t·dphi0 on an unconstrained line. */
  lin: number;
  x: tf.Tensor | null;
  e: E | null;
}

/** Creates an L-BFGS optimiser starting at a copy of x0. */
export function createLbfgs<E extends Evaluated>(x0: tf.Tensor, evaluate: EvaluateFn<E>, opts: LbfgsOptions): Optimizer<E> {
  const m = opts.historySize;
  const c1 = opts.c1 ?? 1e-4;
  const c2 = opts.c2 ?? 0.9;
  const maxEvals = opts.maxLineSearchEvaluations ?? 20;
  const firstStepRms = opts.firstStepRms ?? 1;
  const changeTol = opts.changeTolerance ?? 1e-9;
  const gradTol = opts.gradTolerance ?? 1e-7;
  const box = opts.bounds;
  const n = x0.size;

  let x = box ? project(box, x0) : tf.clone(x0);
  let cur: E | undefined;
  let iterations = 0;
  let evaluations = 0;
  const history: Array<{ s: tf.Tensor; y: tf.Tensor; rho: number }> = [];
  let gamma = 1;

  const dot = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(a, b)) as tf.Scalar);

  function resetHistory(): void {
    for (const h of history) tf.dispose([h.s, h.y]);
    history.length = 0;
    gamma = 1;
  }

  /** Two-loop recursion: d = −H·g. */
  function direction(g: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let q = g;
      const alphas: tf.Scalar[] = [];
      for (let i = history.length - 1; i >= 0; i--) {
        const a = tf.mul(dot(history[i].s, q), history[i].rho) as tf.Scalar;
        alphas[i] = a;
        q = tf.sub(q, tf.mul(history[i].y, a));
      }
      let r = tf.mul(q, gamma);
      for (let i = 0; i < history.length; i++) {
        const beta = tf.mul(dot(history[i].y, r), history[i].rho);
        r = tf.add(r, tf.mul(history[i].s, tf.sub(alphas[i], beta)));
      }
      return tf.neg(r);
    });
  }

  /** In a box, d with the coordinates zeroed that are pinned (active) or that d would push out of the box from a bound. */
  function boxed(d: tf.Tensor): tf.Tensor {
    if (!box) return d;
    const out = tf.tidy(() => tf.mul(d, tf.mul(movable(box, x, tf.neg(cur!.grad)), movable(box, x, d))));
    d.dispose();
    return out;
  }

  async function evalAt(point: tf.Tensor): Promise<E> {
    const e = await evaluate(point);
    evaluations++;
    return e;
  }

  /** Strong-Wolfe line search along the (projected) path x + t·d from (x, g0, f0, dphi0); returns an accepted trial or null. */
  async function lineSearch(d: tf.Tensor, g0: tf.Tensor, f0: number, dphi0: number, t1: number): Promise<Trial<E> | null> {
    const live = new Set<Trial<E>>();
    let used = 0;
    const tryStep = async (t: number): Promise<Trial<E>> => {
      const xt = tf.tidy(() => (box ? project(box, tf.add(x, tf.mul(d, t))) : tf.add(x, tf.mul(d, t))));
      const trial: Trial<E> = { t, f: NaN, dphi: NaN, lin: t * dphi0, x: xt, e: null };
      live.add(trial);
      used++;
      trial.e = await evalAt(xt);
      trial.f = trial.e.loss;
      if (box) {
        const grad = trial.e.grad;
        [trial.dphi, trial.lin] = await readScalars([
          tf.tidy(() => dot(grad, tf.mul(d, movable(box, xt, d)))),
          tf.tidy(() => dot(g0, tf.sub(xt, x))),
        ]);
      } else {
        [trial.dphi] = await readScalars([dot(trial.e.grad, d)]);
      }
      return trial;
    };
    const armijo = (tr: Trial<E>) => Number.isFinite(tr.f) && tr.f <= f0 + c1 * tr.lin;
    let result: Trial<E> | null = null;
    try {
      const origin: Trial<E> = { t: 0, f: f0, dphi: dphi0, lin: 0, x: null, e: null };
      let prev = origin;
      let t = t1;
      let lo: Trial<E> | null = null;
      let hi: Trial<E> | null = null;
      while (used < maxEvals) {
        const tr = await tryStep(t);
        if (!armijo(tr) || (prev !== origin && tr.f >= prev.f)) {
          lo = prev;
          hi = tr;
          break;
        }
        if (Math.abs(tr.dphi) <= -c2 * dphi0) return (result = tr);
        if (tr.dphi >= 0) {
          lo = tr;
          hi = prev;
          break;
        }
        prev = tr;
        t *= 4;
      }
      if (!lo || !hi) return (result = prev !== origin ? prev : null);
      // Zoom (alg. 3.6): lo satisfies Armijo with the lowest loss so far; the minimiser lies between lo and hi.
      while (used < maxEvals) {
        const tNew = interpolate(lo, hi);
        if (!(Math.abs(hi.t - lo.t) > 1e-12 * Math.max(1, lo.t))) break;
        const tr = await tryStep(tNew);
        if (!armijo(tr) || tr.f >= lo.f) {
          hi = tr;
        } else {
          if (Math.abs(tr.dphi) <= -c2 * dphi0) return (result = tr);
          if (tr.dphi * (hi.t - lo.t) >= 0) hi = lo;
          lo = tr;
        }
      }
      return (result = lo.t > 0 ? lo : null);
    } finally {
      for (const tr of live) {
        if (tr !== result) {
          tr.x?.dispose();
          tr.e?.grad.dispose();
        }
      }
    }
  }

  /** Minimiser of the cubic through (lo, hi) values and slopes, safeguarded to the inner 80% of the bracket. */
  function interpolate(lo: Trial<E>, hi: Trial<E>): number {
    const [a, b] = [Math.min(lo.t, hi.t), Math.max(lo.t, hi.t)];
    const d1 = lo.dphi + hi.dphi - 3 * ((lo.f - hi.f) / (lo.t - hi.t));
    const disc = d1 * d1 - lo.dphi * hi.dphi;
    let t = (a + b) / 2;
    if (disc >= 0 && Number.isFinite(hi.f)) {
      const d2 = Math.sign(hi.t - lo.t) * Math.sqrt(disc);
      const c = hi.t - (hi.t - lo.t) * ((hi.dphi + d2 - d1) / (hi.dphi - lo.dphi + 2 * d2));
      if (Number.isFinite(c)) t = c;
    }
    const margin = 0.1 * (b - a);
    return Math.min(Math.max(t, a + margin), b - margin);
  }

  return {
    get x() {
      return x;
    },
    get last() {
      return cur;
    },
    get iterations() {
      return iterations;
    },
    get evaluations() {
      return evaluations;
    },
    async step() {
      if (!cur) cur = await evalAt(x);
      const g = cur.grad;
      const f0 = cur.loss;
      let accepted: Trial<E> | null = null;
      let d: tf.Tensor | null = null;
      // In a box: the gradient of the free coordinates (the active set is held still this step).
      const gFree = box ? projectedGradient(box, x, g) : g;
      try {
        for (let attempt = 0; attempt < 2 && !accepted; attempt++) {
          if (attempt > 0) {
            if (history.length === 0) break;
            resetHistory();
          }
          d?.dispose();
          d = boxed(direction(gFree));
          let [dphi0] = await readScalars([dot(g, d)]);
          if (!(dphi0 < 0)) {
            resetHistory();
            d.dispose();
            d = tf.neg(gFree); // projected steepest descent: moves only free coordinates, into the box
            [dphi0] = await readScalars([dot(g, d)]);
          }
          if (!(dphi0 < 0)) break; // zero (projected) gradient: nothing to do
          const t1 = history.length === 0 ? (firstStepRms * Math.sqrt(n)) / Math.sqrt(-dphi0) : 1;
          accepted = await lineSearch(d, g, f0, dphi0, t1);
        }
      } finally {
        d?.dispose();
        if (gFree !== g) gFree.dispose();
      }
      iterations++;
      if (!accepted) return { converged: true };

      const next = accepted.e!;
      const [s, y] = tf.tidy(() => [tf.sub(accepted.x!, x), tf.sub(next.grad, g)]);
      const gMaxOf = () => tf.max(tf.abs(box ? projectedGradient(box, accepted.x!, next.grad) : next.grad)) as tf.Scalar;
      const [ys, yy, gMax] = await readScalars([dot(y, s), dot(y, y), tf.tidy(gMaxOf)]);
      if (ys > 1e-10 * yy && ys > 0) {
        history.push({ s, y, rho: 1 / ys });
        gamma = ys / yy;
        if (history.length > m) {
          const old = history.shift()!;
          tf.dispose([old.s, old.y]);
        }
      } else {
        tf.dispose([s, y]);
      }
      x.dispose();
      g.dispose();
      x = accepted.x!;
      cur = next;
      const converged = Math.abs(f0 - next.loss) <= changeTol * Math.max(1, Math.abs(f0)) || gMax <= gradTol;
      return { converged };
    },
    dispose() {
      resetHistory();
      x.dispose();
      cur?.grad.dispose();
      cur = undefined;
    },
  };
}
