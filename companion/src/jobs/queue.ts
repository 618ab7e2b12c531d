/**
 * One worker per device over a bounded queue: jobs run one at a time, round-robin between the teams
 * with waiting jobs (fairness.ts, rule 1); submitting to a full queue, or beyond a team's fair share
 * of it (rule 2), throws QueueFullError (HTTP 429 with a Retry-After estimated from the jobs that
 * start before that team's, rule 3).
 */
import type { Logger } from 'pino';
import { CancelledError } from '../engine/contract.js';
import { DurationModel, jobWork } from './estimate.js';
import { Claims, contenders, fairShare, RoundRobin } from './fairness.js';
import { isTerminal, type Job, type JobError, type JobResult } from './job.js';

/** The queue cannot take this job now (HTTP 429 with Retry-After): full, or over a share or budget, per `code`. */
export class QueueFullError extends Error {
  constructor(
    /** Suggested seconds before retrying. */
    readonly retryAfter: number,
    readonly code: 'queue_full' | 'team_queue_full' | 'queue_memory_full' | 'too_many_uploads' = 'queue_full',
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

/** The job registry, the waiting jobs (round-robin between teams) and the single worker that drains them. */
export class JobQueue {
  /** Every job still known (waiting, running, or finished and not yet evicted), by id. */
  readonly jobs = new Map<string, Job>();
  private readonly waiting = new RoundRobin<Job>();
  /** Teams refused while under their share: the next free place is theirs. */
  private readonly claims = new Claims();
  /** The position last announced to each waiting job. */
  private readonly announced = new WeakMap<Job, number>();
  private current: Job | null = null;
  private currentDone: Promise<void> = Promise.resolve();
  private closed = false;
  /** Durations learned from finished jobs, for Retry-After. */
  private readonly durations = new DurationModel();

  constructor(private readonly opts: JobQueueOptions) {}

  /** Jobs waiting (not counting the running one). */
  get length(): number {
    return this.waiting.size;
  }

  /** Most jobs allowed to wait. */
  get max(): number {
    return this.opts.maxQueue;
  }

  /** Most jobs one team may have waiting when it is the only one (its cap). */
  get maxPerTeam(): number {
    return Math.min(this.opts.maxQueuePerTeam ?? Infinity, this.opts.maxQueue);
  }

  /** The running job, if any. */
  get running(): Job | null {
    return this.current;
  }

  /** Most jobs `teamId` may have waiting now: its fair share among the teams waiting or refused (fairness.ts rule 2). */
  shareOf(teamId: string, now = Date.now()): number {
    return fairShare(this.opts.maxQueue, this.maxPerTeam, contenders(this.waiting.teams(), this.claims, teamId, now));
  }

  /**
   * Throws QueueClosedError / QueueFullError unless a job of this team could be queued now. A team
   * refused while under its share claims the next free place (others at their share are refused).
   */
  checkRoom(teamId: string): void {
    if (this.closed) throw new QueueClosedError();
    const mine = this.waiting.count(teamId);
    const underShare = mine < this.shareOf(teamId);
    if (this.waiting.size >= this.opts.maxQueue) {
      if (!underShare) throw new QueueFullError(this.retryAfterSeconds(teamId));
      const err = new QueueFullError(this.retryAfterSeconds());
      this.claims.claim(teamId, err.retryAfter, Date.now());
      throw err;
    }
    if (!underShare) {
      throw new QueueFullError(this.retryAfterSeconds(teamId), 'team_queue_full', `your team has ${mine} jobs waiting, its share of the queue now; retry when one has started`);
    }
  }

  /** Adds a job behind its team's waiting jobs; throws QueueFullError / QueueClosedError. */
  submit(job: Job): void {
    this.checkRoom(job.teamId);
    this.claims.drop(job.teamId);
    this.jobs.set(job.id, job);
    this.waiting.push(job.teamId, job);
    this.opts.logger?.info({ job: job.id, items: job.items, position: this.position(job) }, 'job queued');
    this.announcePositions();
    this.pump();
  }

  /** The job with this id, if still known. */
  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** 0-based position of a waiting job, null when not waiting. */
  position(job: Job): number | null {
    const i = job.state === 'queued' ? this.waiting.order().indexOf(job) : -1;
    return i < 0 ? null : i;
  }

  /** Cancels a waiting job at once, or aborts a running one (it turns `canceled` when the engine stops). */
  cancel(job: Job): void {
    if (isTerminal(job.state)) return;
    if (this.waiting.remove(job.teamId, job)) {
      job.cancel();
      this.opts.logger?.info({ job: job.id }, 'job canceled while queued');
      this.announcePositions();
      this.opts.onFinished?.(job);
      return;
    }
    job.abort.abort(new CancelledError());
  }

  /** Cancels every waiting and running job of a team (its token was revoked); returns how many. */
  cancelTeam(teamId: string): number {
    this.claims.drop(teamId);
    const waiting = this.waiting.removeTeam(teamId);
    for (const job of waiting) {
      job.cancel();
      this.opts.onFinished?.(job);
    }
    // Counted once: a job already told to stop is ending (the engine stops within an iteration).
    const running = this.current?.teamId === teamId && !isTerminal(this.current.state) && !this.current.abort.signal.aborted ? 1 : 0;
    if (running) this.current!.abort.abort(new CancelledError());
    if (waiting.length + running) {
      this.opts.logger?.info({ team: teamId, queued: waiting.length, running }, "canceled a team's jobs");
      this.announcePositions();
    }
    return waiting.length + running;
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
    for (const job of this.waiting.clear()) {
      job.cancel();
      this.opts.onFinished?.(job);
    }
    if (this.current) this.cancel(this.current);
    await this.currentDone;
  }

  /**
   * Seconds a client should wait before retrying: until the running job ends and the next one
   * starts (a place frees), or with `teamId`, until that team's oldest waiting job starts (its
   * share frees): the running job's remaining time plus the estimates of the jobs that start
   * before it, round-robin (fairness.ts rule 3).
   */
  retryAfterSeconds(teamId?: string): number {
    let seconds = this.current ? this.durations.remaining(this.current) : 0;
    if (teamId !== undefined && this.waiting.count(teamId) > 0) {
      for (const j of this.waiting.jobsAheadOfTeam(teamId, { first: true })) seconds += this.durations.estimate(j);
    }
    return Math.min(3600, Math.max(1, Math.ceil(seconds)));
  }

  /** Publishes each waiting job's position when it changed (a job of another team can move it back). */
  private announcePositions(): void {
    this.waiting.order().forEach((job, i) => {
      if (this.announced.get(job) === i) return;
      this.announced.set(job, i);
      job.queuedAt(i);
    });
  }

  private pump(): void {
    if (this.current || this.closed) return;
    const job = this.waiting.take();
    if (!job) return;
    this.announcePositions();
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
