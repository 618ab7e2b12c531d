/**
 * How long jobs will take, for Retry-After: a job's work is its items × its schedule's work
 * (shared/schedule.ts) in megapixel-evaluations, and the seconds per unit of work are learned from the jobs this server
 * finished (moving average). A running job's remaining time is the engine's own eta when it has
 * reported progress.
 */
import type { Job, JobResult } from './job.js';

/** A job runner (queue.ts's JobRunner, restated here so the queue and this module do not import each other). */
type Runner = (job: Job, signal: AbortSignal) => Promise<JobResult[]>;
import { planSchedule, scheduleWork, type MeasuredSpeed } from '../../../shared/schedule.js';

/** Seconds per megapixel-evaluation assumed before any job finished (ONNX Runtime on a laptop CPU: ~5). */
const INITIAL_SECONDS_PER_WORK = 5;

/** The work of a job in megapixel-evaluations (0 once it dropped its inputs). */
export function jobWork(job: Job): number {
  const p = job.input?.params;
  return p ? job.items * scheduleWork(planSchedule(p.size, p.scales, p.iterations), p.optimizer, 1000) : 0;
}

/** Learns seconds per unit of work and estimates durations. */
export class DurationModel {
  private secondsPerWork = INITIAL_SECONDS_PER_WORK;

  /** Records a job that ran to completion in `seconds` (`work` taken before it dropped its inputs). */
  observe(work: number, seconds: number): void {
    if (work > 0 && seconds > 0) this.secondsPerWork = 0.7 * this.secondsPerWork + 0.3 * (seconds / work);
  }

  /** Expected seconds of a job that has not started. */
  estimate(job: Job): number {
    return jobWork(job) * this.secondsPerWork;
  }

  /** Expected seconds left of a running job. */
  remaining(job: Job): number {
    if (job.progress) return Math.max(0, job.progress.eta);
    const elapsed = job.startedAt ? (Date.now() - job.startedAt.getTime()) / 1000 : 0;
    return Math.max(0, this.estimate(job) - elapsed);
  }
}

/** The reference side learned speeds are kept at (the engine's speed measurement uses the same). */
const LEARN_REFERENCE_SIDE = 128;
/** Weight of the newest job in a size's learned speed (the rest is its history). */
const LEARN_RATE = 0.5;

/** What a finished job tells about speed: its plan and the aspect of each item. */
export interface JobShape {
  size: number;
  scales: 'auto' | number;
  iterations: number;
  optimizer: 'lbfgs' | 'adam';
  /** Shorter over longer side of each item. */
  aspects: number[];
}

/** The shape of a job still holding its input (null once it dropped it). */
export function jobShape(job: Job): JobShape | null {
  const input = job.input;
  if (!input) return null;
  const p = input.params;
  return { size: p.size, scales: p.scales, iterations: p.iterations, optimizer: p.optimizer, aspects: input.contents.map((c) => Math.min(c.width, c.height) / Math.max(c.width, c.height, 1)) };
}

/**
 * Learns the companion's speed from the jobs it finished, per backend and output size: seconds per
 * evaluation of a LEARN_REFERENCE_SIDE² image over whole jobs — the same unit the one-off
 * measurement at start reports, and that clients turn into estimates (shared/schedule.ts
 * estimateSeconds) — so the estimate of the next job of that size is what such jobs took.
 * Sizes are learned in half-octave buckets; an estimate uses the nearest learned one.
 */
export class SpeedLearner {
  private readonly learned = new Map<string, Map<number, number>>();

  /** Records a job of `shape` that succeeded on `backend` in `seconds`. */
  observe(backend: string, shape: JobShape, seconds: number): void {
    const plan = planSchedule(shape.size, shape.scales, shape.iterations);
    const work = shape.aspects.reduce((w, aspect) => w + scheduleWork(plan, shape.optimizer, LEARN_REFERENCE_SIDE, aspect), 0);
    if (!(work > 0) || !(seconds > 0)) return;
    const bucket = 2 ** (Math.round(Math.log2(shape.size) * 2) / 2);
    let sizes = this.learned.get(backend);
    if (!sizes) this.learned.set(backend, (sizes = new Map()));
    const before = sizes.get(bucket);
    const now = seconds / work;
    sizes.set(bucket, before === undefined ? now : (1 - LEARN_RATE) * before + LEARN_RATE * now);
  }

  /** `measured` with what `backend`'s finished jobs taught (null when neither is known). */
  speed(backend: string, measured: MeasuredSpeed | null): MeasuredSpeed | null {
    const sizes = this.learned.get(backend);
    if (!sizes?.size) return measured;
    const ref = measured?.referenceSide ?? LEARN_REFERENCE_SIDE;
    // the same seconds for the same job whatever the reference side: per-evaluation cost scales with its pixels
    const toRef = (s: number): number => s * (ref / LEARN_REFERENCE_SIDE) ** 2;
    const bySize = [...sizes].sort((a, b) => a[0] - b[0]).map(([size, s]) => ({ size, secondsPerEvaluation: toRef(s) }));
    return { referenceSide: ref, secondsPerEvaluation: measured?.secondsPerEvaluation ?? bySize[0].secondsPerEvaluation, bySize };
  }

  /** A runner that times each job of `run` and learns from the ones that succeed. */
  wrap(backend: string, run: Runner): Runner {
    return async (job, signal) => {
      const shape = jobShape(job);
      const t0 = performance.now();
      const results = await run(job, signal);
      if (shape && !signal.aborted) this.observe(backend, shape, (performance.now() - t0) / 1000);
      return results;
    };
  }
}
