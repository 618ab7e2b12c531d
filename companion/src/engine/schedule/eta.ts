/**
 * The remaining-time estimate of a run, from the schedule's actual work (shared/schedule.ts), not
 * from the first scale's pace alone. An evaluation's cost grows with its pixels, so the pace is
 * measured in seconds per (evaluation × pixel) over the optimisation time so far; each scale also
 * pays a set-up (its objective: targets, graphs) estimated from the set-ups seen so far.
 */
import { EVALUATIONS_PER_ITERATION } from '../../../../shared/schedule.js';

/** One scale of the plan, as the clock sees it. */
export interface EtaScale {
  pixels: number;
  iterations: number;
}

/** A clock that is told when each scale's set-up ends and each iteration ends, and answers the ETA in seconds. */
export interface EtaClock {
  /** The scale's objective is ready (its set-up is over). */
  scaleReady(scale: number): void;
  /** An iteration ended; `evaluations` counts this scale's so far; `scaleDone` when the scale stops here. Returns the ETA. */
  iterationDone(scale: number, iteration: number, evaluations: number, scaleDone: boolean): number;
}

/** Creates the clock for a plan run by `optimizer`, starting now. */
export function createEtaClock(plan: EtaScale[], optimizer: keyof typeof EVALUATIONS_PER_ITERATION, now: () => number = () => performance.now() / 1000): EtaClock {
  const perIteration = EVALUATIONS_PER_ITERATION[optimizer];
  let phaseStart = now();
  let setupSeconds = 0; // spent setting scales up
  let setups = 0;
  let optimiseSeconds = 0; // spent optimising, finished scales
  let evaluatedWork = 0; // evaluations × pixels, finished scales
  let current = -1;
  return {
    scaleReady(scale) {
      const t = now();
      setupSeconds += t - phaseStart;
      setups++;
      phaseStart = t;
      current = scale;
    },
    iterationDone(scale, iteration, evaluations, scaleDone) {
      if (scale !== current) return 0;
      const t = now();
      const work = evaluatedWork + evaluations * plan[scale].pixels;
      const pace = (optimiseSeconds + (t - phaseStart)) / Math.max(1, work);
      const leftHere = scaleDone ? 0 : Math.max(0, plan[scale].iterations - iteration) * perIteration * plan[scale].pixels;
      const later = plan.slice(scale + 1);
      const leftLater = later.reduce((a, s) => a + s.iterations * perIteration * s.pixels, 0);
      const eta = pace * (leftHere + leftLater) + (setupSeconds / Math.max(1, setups)) * later.length;
      if (scaleDone) {
        optimiseSeconds += t - phaseStart;
        evaluatedWork = work;
        phaseStart = t;
      }
      return eta;
    },
  };
}
