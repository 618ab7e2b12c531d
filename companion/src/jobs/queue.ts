/**
 * One worker per device over a bounded FIFO queue: jobs run one at a time in submission order;
 * submitting to a full queue, or beyond a team's share of it, throws QueueFullError (HTTP 429
 * with a Retry-After estimated from the jobs actually ahead).
 */
import type { Logger } from 'pino';
import { CancelledError } from '../engine/contract.js';
import { DurationModel, jobWork } from './estimate.js';
import { isTerminal, type Job, type JobError, type JobResult } from './job.js';

/** The queue cannot take this job now (HTTP 429 with Retry-After): full, or over a share or budget, per `code`. */
export class QueueFullError extends Error {
  constructor(
    /** Suggested seconds before retrying. */
    readonly retryAfter: number,
    readonly code: 'queue_full' | 'team_queue_full' | 'queue_memory_full' = 'queue_full',
    message = 'the job queue is full; retry later',
  ) {
    super(message);
    this.name = 'QueueFullError';
  }
}

/** Thrown by `submit` once the queue is shutting down. */
export class QueueClosedError extends Error {
  readonly code = 'shutting_down';
  constructor() {
    super('the companion is shutting down');
    this.name = 'QueueClosedError';
  }
}

/** Runs one job to completion; rejects with CancelledError when `signal` aborts. */
export type JobRunner = (job: Job, signal: AbortSignal) => Promise<JobResult[]>;

/** Options of a JobQueue. */
export interface JobQueueOptions {
  /** Most jobs waiting (the running one not counted). */
  maxQueue: number;
  /** Most jobs one team may have waiting, so that one team cannot lock the others out (default: all of them). */
  maxQueuePerTeam?: number;
  run: JobRunner;
  /** Maps a runner failure to the error clients see. */
  describeError: (err: unknown) => JobError;
  logger?: Logger;
  /** Called after each job reaches a terminal state. */
  onFinished?: (job: Job) => void;
}

/** The job registry, FIFO of waiting jobs and the single worker that drains it. */
export class JobQueue {
  /** Every job still known (waiting, running, or finished and not yet evicted), by id. */
  readonly jobs = new Map<string, Job>();
  private readonly waiting: Job[] = [];
  private current: Job | null = null;
  private currentDone: Promise<void> = Promise.resolve();
  private closed = false;
  /** Durations learned from finished jobs, for Retry-After. */
  private readonly durations = new DurationModel();

  constructor(private readonly opts: JobQueueOptions) {}

  /** Jobs waiting (not counting the running one). */
  get length(): number {
    return this.waiting.length;
  }

  /** Most jobs allowed to wait. */
  get max(): number {
    return this.opts.maxQueue;
  }

  /** Most jobs one team may have waiting. */
  get maxPerTeam(): number {
    return Math.min(this.opts.maxQueuePerTeam ?? Infinity, this.opts.maxQueue);
  }

  /** The running job, if any. */
  get running(): Job | null {
    return this.current;
  }

  /** Throws QueueClosedError / QueueFullError unless a job of this team could be queued now. */
  checkRoom(teamId: string): void {
    if (this.closed) throw new QueueClosedError();
    if (this.waiting.length >= this.opts.maxQueue) throw new QueueFullError(this.retryAfterSeconds());
    if (this.waiting.filter((j) => j.teamId === teamId).length >= this.maxPerTeam) {
      throw new QueueFullError(this.retryAfterSeconds(teamId), 'team_queue_full', `your team has ${this.maxPerTeam} jobs waiting, its share of the queue; retry when one has started`);
    }
  }

  /** Adds a job at the end of the queue; throws QueueFullError / QueueClosedError. */
  submit(job: Job): void {
    this.checkRoom(job.teamId);
    this.jobs.set(job.id, job);
    this.waiting.push(job);
    job.queuedAt(this.waiting.length - 1);
    this.opts.logger?.info({ job: job.id, items: job.items, position: this.waiting.length - 1 }, 'job queued');
    this.pump();
  }

  /** The job with this id, if still known. */
  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** 0-based position of a waiting job, null when not waiting. */
  position(job: Job): number | null {
    const i = this.waiting.indexOf(job);
    return i < 0 ? null : i;
  }

  /** Cancels a waiting job at once, or aborts a running one (it turns `canceled` when the engine stops). */
  cancel(job: Job): void {
    if (isTerminal(job.state)) return;
    const i = this.waiting.indexOf(job);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      job.cancel();
      this.opts.logger?.info({ job: job.id }, 'job canceled while queued');
      this.announcePositions(i);
      this.opts.onFinished?.(job);
      return;
    }
    job.abort.abort(new CancelledError());
  }

  /** Forgets a finished job (its results go with it). */
  remove(job: Job): void {
    if (isTerminal(job.state)) this.jobs.delete(job.id);
  }

  /** Resolves when no job is running. */
  whenIdle(): Promise<void> {
    return this.currentDone;
  }

  /** Stops accepting jobs, cancels the waiting and the running ones, and waits for the worker to stop. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) {
      job.cancel();
      this.opts.onFinished?.(job);
    }
    if (this.current) this.cancel(this.current);
    await this.currentDone;
  }

  /**
   * Seconds a client should wait before retrying: until the running job ends and the next one
   * starts (a slot frees), or with `teamId`, until that team's first waiting job starts (its
   * share frees): the running job's remaining time plus the estimates of the jobs ahead.
   */
  retryAfterSeconds(teamId?: string): number {
    let seconds = this.current ? this.durations.remaining(this.current) : 0;
    const first = teamId === undefined ? -1 : this.waiting.findIndex((j) => j.teamId === teamId);
    for (let i = 0; i < first; i++) seconds += this.durations.estimate(this.waiting[i]);
    return Math.min(3600, Math.max(1, Math.ceil(seconds)));
  }

  private announcePositions(from: number): void {
    for (let i = from; i < this.waiting.length; i++) this.waiting[i].queuedAt(i);
  }

  private pump(): void {
    if (this.current || this.closed) return;
    const job = this.waiting.shift();
    if (!job) return;
    this.announcePositions(0);
    this.current = job;
    job.start();
    this.opts.logger?.info({ job: job.id }, 'job started');
    const t0 = performance.now();
    const work = jobWork(job);
    this.currentDone = this.opts
      .run(job, job.abort.signal)
      .then(
        (results) => {
          if (job.abort.signal.aborted) job.cancel();
          else job.succeed(results);
        },
        (err: unknown) => {
          if (job.abort.signal.aborted || err instanceof CancelledError) job.cancel();
          else job.fail(this.opts.describeError(err));
        },
      )
      .then(() => {
        const seconds = (performance.now() - t0) / 1000;
        if (job.state === 'succeeded') this.durations.observe(work, seconds);
        this.opts.logger?.info({ job: job.id, state: job.state, seconds: +seconds.toFixed(3), error: job.error ?? undefined }, 'job finished');
        this.current = null;
        this.opts.onFinished?.(job);
        this.pump();
      });
  }
}
