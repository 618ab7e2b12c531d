/**
 * The strong-Wolfe line search of L-BFGS (Nocedal & Wright, alg. 3.5 bracketing + alg. 3.6 zoom
 * with safeguarded cubic interpolation), along the path x + t·d or, in a box, along the projected
 * path P(x + t·d). In a box the Armijo test uses the actual step (g0·(P(x+td) − x)) and the slope is
 * that of the path (the free, not-yet-clipped coordinates), as in projected L-BFGS.
 */
import * as tf from '@tensorflow/tfjs';
import { readScalars, type Evaluated } from './types.js';
import { movable, project, type Box } from './box.js';
import { dot } from './lbfgsHistory.js';

/** One evaluated point of the path. */
export interface Trial<E> {
  t: number;
  f: number;
  /** Slope of the (projected) path at t. */
  dphi: number;
  /** The first-order decrease predicted for this step, g0·(x_t − x): t·dphi0 on an unconstrained line. */
  lin: number;
  x: tf.Tensor | null;
  e: E | null;
}

/** The line search's constants. */
export interface WolfeSettings {
  /** Sufficient decrease (Armijo). */
  c1: number;
  /** Curvature. */
  c2: number;
  /** Most evaluations in one search. */
  maxEvaluations: number;
}

/** Where a search starts: the iterate, its gradient and loss, the direction and its slope there. */
export interface SearchStart {
  x: tf.Tensor;
  g0: tf.Tensor;
  f0: number;
  d: tf.Tensor;
  dphi0: number;
  box?: Box;
}

/**
 * Searches for a step along the path satisfying the strong Wolfe conditions, starting at t1 and
 * growing ×4 until bracketed. Returns the accepted trial (its x and e become the caller's) or null
 * when no Armijo step was found; every other trial is disposed.
 */
export async function wolfeSearch<E extends Evaluated>(
  start: SearchStart,
  t1: number,
  evaluate: (x: tf.Tensor) => Promise<E>,
  settings: WolfeSettings,
): Promise<Trial<E> | null> {
  const { x, g0, f0, d, dphi0, box } = start;
  const { c1, c2, maxEvaluations } = settings;
  const live = new Set<Trial<E>>();
  let used = 0;

  const tryStep = async (t: number): Promise<Trial<E>> => {
    const xt = tf.tidy(() => (box ? project(box, tf.add(x, tf.mul(d, t))) : tf.add(x, tf.mul(d, t))));
    const trial: Trial<E> = { t, f: NaN, dphi: NaN, lin: t * dphi0, x: xt, e: null };
    live.add(trial);
    used++;
    trial.e = await evaluate(xt);
    trial.f = trial.e.loss;
    const grad = trial.e.grad;
    if (box) {
      [trial.dphi, trial.lin] = await readScalars([tf.tidy(() => dot(grad, tf.mul(d, movable(box, xt, d)))), tf.tidy(() => dot(g0, tf.sub(xt, x)))]);
    } else {
      [trial.dphi] = await readScalars([dot(grad, d)]);
    }
    return trial;
  };
  const armijo = (tr: Trial<E>) => Number.isFinite(tr.f) && tr.f <= f0 + c1 * tr.lin;
  const curvature = (tr: Trial<E>) => Math.abs(tr.dphi) <= -c2 * dphi0;

  /** Alg. 3.5: grows the step until it satisfies Wolfe (returned as `done`) or brackets a minimiser. */
  const bracket = async (): Promise<{ done: Trial<E> | null } | { lo: Trial<E>; hi: Trial<E> }> => {
    const origin: Trial<E> = { t: 0, f: f0, dphi: dphi0, lin: 0, x: null, e: null };
    let prev = origin;
    for (let t = t1; used < maxEvaluations; t *= 4) {
      const tr = await tryStep(t);
      if (!armijo(tr) || (prev !== origin && tr.f >= prev.f)) return { lo: prev, hi: tr };
      if (curvature(tr)) return { done: tr };
      if (tr.dphi >= 0) return { lo: tr, hi: prev };
      prev = tr;
    }
    return { done: prev !== origin ? prev : null };
  };

  /** Alg. 3.6: lo satisfies Armijo with the lowest loss so far; the minimiser lies between lo and hi. */
  const zoom = async (lo: Trial<E>, hi: Trial<E>): Promise<Trial<E> | null> => {
    while (used < maxEvaluations && Math.abs(hi.t - lo.t) > 1e-12 * Math.max(1, lo.t)) {
      const tr = await tryStep(interpolate(lo, hi));
      if (!armijo(tr) || tr.f >= lo.f) {
        hi = tr;
      } else {
        if (curvature(tr)) return tr;
        if (tr.dphi * (hi.t - lo.t) >= 0) hi = lo;
        lo = tr;
      }
    }
    return lo.t > 0 ? lo : null;
  };

  let result: Trial<E> | null = null;
  try {
    const b = await bracket();
    result = 'done' in b ? b.done : await zoom(b.lo, b.hi);
    return result;
  } finally {
    for (const tr of live) {
      if (tr !== result) {
        tr.x?.dispose();
        tr.e?.grad.dispose();
      }
    }
  }
}

/** Minimiser of the cubic through two trials' values and slopes, safeguarded to the inner 80% of their bracket. */
export function interpolate(lo: Pick<Trial<unknown>, 't' | 'f' | 'dphi'>, hi: Pick<Trial<unknown>, 't' | 'f' | 'dphi'>): number {
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
