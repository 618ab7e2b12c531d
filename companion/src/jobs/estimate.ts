/**
 * How long jobs will take, for Retry-After: a job's work is its items × its schedule's work
 * (shared/schedule.ts) in megapixel-evaluations, and the seconds per unit of work are learned from the jobs this server
 * finished (moving average). A running job's remaining time is the engine's own eta when it has
 * reported progress.
 */
import type { Job } from './job.js';
import { planSchedule, scheduleWork } from '../../../shared/schedule.js';

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
