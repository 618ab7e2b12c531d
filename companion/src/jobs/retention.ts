/** Evicts finished jobs (and their result PNGs) after a bounded time, total size and count. */
import { isTerminal, type Job } from './job.js';
import type { JobQueue } from './queue.js';

/** Retention bounds for finished jobs. */
export interface RetentionOptions {
  /** Finished jobs older than this are evicted. */
  ttlMs: number;
  /** Total bytes of kept results; the oldest finished jobs go first beyond it. */
  maxBytes: number;
  /** Most finished jobs kept. */
  maxJobs: number;
}

/** Default bounds: 30 minutes, 512 MiB, 200 jobs. */
export const DEFAULT_RETENTION: RetentionOptions = { ttlMs: 30 * 60_000, maxBytes: 512 * 2 ** 20, maxJobs: 200 };

/** Removes finished jobs beyond the bounds; returns the evicted ids. */
export function sweepFinishedJobs(queue: JobQueue, opts: RetentionOptions, now = Date.now()): string[] {
  const finished: Job[] = [...queue.jobs.values()]
    .filter((j) => isTerminal(j.state))
    .sort((a, b) => (a.finishedAt?.getTime() ?? 0) - (b.finishedAt?.getTime() ?? 0));
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
