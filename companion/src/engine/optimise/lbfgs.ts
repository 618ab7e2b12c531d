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
 *
 * One iteration, as named steps of the class below: evaluate the start (once), pick a descent
 * direction (history, else steepest descent), search along it (wolfeSearch.ts), accept the step
 * (a new curvature pair in lbfgsHistory.ts) and test convergence.
 */
import * as tf from '@tensorflow/tfjs';
import { readScalars, type EvaluateFn, type Evaluated, type Optimizer } from './types.js';
import { movable, project, projectedGradient, type Box } from './box.js';
import { dot, LbfgsHistory } from './lbfgsHistory.js';
import { wolfeSearch, type Trial, type WolfeSettings } from './wolfeSearch.js';

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

/** Creates an L-BFGS optimiser starting at a copy of x0. */
export function createLbfgs<E extends Evaluated>(x0: tf.Tensor, evaluate: EvaluateFn<E>, opts: LbfgsOptions): Optimizer<E> {
  return new Lbfgs(x0, evaluate, opts);
}

/** A descent direction at the current iterate and the slope of the loss along it. */
interface Direction {
  d: tf.Tensor;
  dphi0: number;
}

class Lbfgs<E extends Evaluated> implements Optimizer<E> {
  private current: tf.Tensor;
  private cur: E | undefined;
  private iterationCount = 0;
  private evaluationCount = 0;
  private readonly history: LbfgsHistory;
  private readonly search: WolfeSettings;
  private readonly firstStepRms: number;
  private readonly changeTol: number;
  private readonly gradTol: number;
  private readonly box: Box | undefined;

  constructor(
    x0: tf.Tensor,
    private readonly evaluate: EvaluateFn<E>,
    opts: LbfgsOptions,
  ) {
    this.history = new LbfgsHistory(opts.historySize);
    this.search = { c1: opts.c1 ?? 1e-4, c2: opts.c2 ?? 0.9, maxEvaluations: opts.maxLineSearchEvaluations ?? 20 };
    this.firstStepRms = opts.firstStepRms ?? 1;
    this.changeTol = opts.changeTolerance ?? 1e-9;
    this.gradTol = opts.gradTolerance ?? 1e-7;
    this.box = opts.bounds;
    this.current = this.box ? project(this.box, x0) : tf.clone(x0);
  }

  get x(): tf.Tensor {
    return this.current;
  }
  get last(): E | undefined {
    return this.cur;
  }
  get iterations(): number {
    return this.iterationCount;
  }
  get evaluations(): number {
    return this.evaluationCount;
  }

  async step(): Promise<{ converged: boolean }> {
    const start = (this.cur ??= await this.evaluateAt(this.current));
    const accepted = await this.searchFrom(start);
    this.iterationCount++;
    if (!accepted) return { converged: true };
    return { converged: await this.accept(start, accepted) };
  }

  dispose(): void {
    this.history.reset();
    this.current.dispose();
    this.cur?.grad.dispose();
    this.cur = undefined;
  }

  private async evaluateAt(point: tf.Tensor): Promise<E> {
    const e = await this.evaluate(point);
    this.evaluationCount++;
    return e;
  }

  /**
   * A line search from `start` along the history's direction; when that finds no step, once more
   * along steepest descent with the history forgotten. Null when neither finds a step.
   */
  private async searchFrom(start: E): Promise<Trial<E> | null> {
    const g = start.grad;
    // In a box: the gradient of the free coordinates (the active set is held still this step).
    const gFree = this.box ? projectedGradient(this.box, this.current, g) : g;
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        if (attempt > 0) {
          if (this.history.length === 0) return null;
          this.history.reset();
        }
        const dir = await this.descentDirection(g, gFree);
        if (!dir) return null; // zero (projected) gradient: nothing to do
        try {
          const t1 = this.history.length === 0 ? (this.firstStepRms * Math.sqrt(this.current.size)) / Math.sqrt(-dir.dphi0) : 1;
          const accepted = await wolfeSearch({ x: this.current, g0: g, f0: start.loss, d: dir.d, dphi0: dir.dphi0, box: this.box }, t1, (x) => this.evaluateAt(x), this.search);
          if (accepted) return accepted;
        } finally {
          dir.d.dispose();
        }
      }
      return null;
    } finally {
      if (gFree !== g) gFree.dispose();
    }
  }

  /** −H·gFree cut to the box; projected steepest descent (resetting the history) when that is not a descent direction. */
  private async descentDirection(g: tf.Tensor, gFree: tf.Tensor): Promise<Direction | null> {
    let d = this.boxed(this.history.direction(gFree), g);
    let [dphi0] = await readScalars([dot(g, d)]);
    if (!(dphi0 < 0)) {
      this.history.reset();
      d.dispose();
      d = tf.neg(gFree); // projected steepest descent: moves only free coordinates, into the box
      [dphi0] = await readScalars([dot(g, d)]);
    }
    if (!(dphi0 < 0)) {
      d.dispose();
      return null;
    }
    return { d, dphi0 };
  }

  /** In a box, d with the coordinates zeroed that are pinned (active) or that d would push out of the box from a bound. */
  private boxed(d: tf.Tensor, g: tf.Tensor): tf.Tensor {
    const box = this.box;
    if (!box) return d;
    const x = this.current;
    const out = tf.tidy(() => tf.mul(d, tf.mul(movable(box, x, tf.neg(g)), movable(box, x, d))));
    d.dispose();
    return out;
  }

  /** Moves to the accepted trial, records its curvature pair, and says whether the run has converged. */
  private async accept(start: E, accepted: Trial<E>): Promise<boolean> {
    const next = accepted.e!;
    const xNext = accepted.x!;
    const g = start.grad;
    const box = this.box;
    const [s, y] = tf.tidy(() => [tf.sub(xNext, this.current), tf.sub(next.grad, g)]);
    const gMaxOf = () => tf.max(tf.abs(box ? projectedGradient(box, xNext, next.grad) : next.grad)) as tf.Scalar;
    const [ys, yy, gMax] = await readScalars([dot(y, s), dot(y, y), tf.tidy(gMaxOf)]);
    this.history.push(s, y, ys, yy);
    this.current.dispose();
    g.dispose();
    this.current = xNext;
    this.cur = next;
    return Math.abs(start.loss - next.loss) <= this.changeTol * Math.max(1, Math.abs(start.loss)) || gMax <= this.gradTol;
  }
}
