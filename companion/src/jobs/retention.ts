/**
 * Evicts finished jobs (and their result PNGs) after a bounded time, size and count, each team
 * within its own bounds: one team's many finished jobs never evict another team's results.
 */
import { isTerminal, type Job } from './job.js';
import type { JobQueue } from './queue.js';

/** Retention bounds for finished jobs. */
export interface RetentionOptions {
  /** Finished jobs older than this are evicted. */
  ttlMs: number;
  /** Total bytes of one team's kept results; its oldest finished jobs go first beyond it. */
  maxBytes: number;
  /** Most finished jobs kept per team. */
  maxJobs: number;
}

/** Default bounds: 30 minutes, 512 MiB and 200 jobs per team. */
export const DEFAULT_RETENTION: RetentionOptions = { ttlMs: 30 * 60_000, maxBytes: 512 * 2 ** 20, maxJobs: 200 };

/** Removes finished jobs beyond the bounds, team by team; returns the evicted ids. */
export function sweepFinishedJobs(queue: JobQueue, opts: RetentionOptions, now = Date.now()): string[] {
  const byTeam = new Map<string, Job[]>();
  for (const j of queue.jobs.values()) {
    if (!isTerminal(j.state)) continue;
    const list = byTeam.get(j.teamId) ?? [];
    list.push(j);
    byTeam.set(j.teamId, list);
  }
  return [...byTeam.values()].flatMap((jobs) => sweepTeam(queue, jobs, opts, now));
}

function sweepTeam(queue: JobQueue, jobs: Job[], opts: RetentionOptions, now: number): string[] {
  const finished = jobs.sort((a, b) => (a.finishedAt?.getTime() ?? 0) - (b.finishedAt?.getTime() ?? 0));
  let bytes = finished.reduce((n, j) => n + j.resultBytes, 0);
  let count = finished.length;
  const evicted: string[] = [];
  for (const job of finished) {
    const expired = now - (job.finishedAt?.getTime() ?? now) > opts.ttlMs;
    if (!expired && bytes <= opts.maxBytes && count <= opts.maxJobs) break;
    queue.remove(job);
    bytes -= job.resultBytes;
    count -= 1;
    evicted.push(job.id);
  }
  return evicted;
}

/** Sweeps periodically (an unref'd timer, so it never keeps the process alive); `stop()` ends it. */
export function startRetention(queue: JobQueue, opts: RetentionOptions, everyMs = 30_000): { sweep(): string[]; stop(): void } {
  const timer = setInterval(() => sweepFinishedJobs(queue, opts), everyMs);
  timer.unref();
  return { sweep: () => sweepFinishedJobs(queue, opts), stop: () => clearInterval(timer) };
}
