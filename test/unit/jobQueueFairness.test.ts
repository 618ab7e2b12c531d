/**
 * Fairness of the job queue between teams: Retry-After estimated from the jobs actually ahead
 * (the running job's eta plus the waiting jobs' estimates), and retention bounds applied per team.
 * The queue runs a controllable runner here: what is under test is the queue's bookkeeping.
 */
import { describe, expect, it } from 'vitest';
import { parseStylizeParams, type StylizeParamsInput } from '../../shared/params.js';
import { Job, type JobInput } from '../../companion/src/jobs/job.js';
import { JobQueue, QueueFullError } from '../../companion/src/jobs/queue.js';
import { sweepFinishedJobs } from '../../companion/src/jobs/retention.js';

function job(teamId: string, params: StylizeParamsInput = {}): Job {
  const img = { width: 1, height: 1, rgb: new Uint8Array(3), alpha: null };
  const input: JobInput = { contents: [img], styles: [img], params: parseStylizeParams(params), resultSize: 'original' };
  return new Job(input, teamId);
}

/** A queue whose runner holds each job until `finishCurrent()`. */
function heldQueue(maxQueue: number, maxQueuePerTeam?: number) {
  const release: Array<() => void> = [];
  const queue = new JobQueue({
    maxQueue,
    maxQueuePerTeam,
    describeError: () => ({ code: 'x', message: 'x' }),
    run: () => new Promise((resolve) => release.push(() => resolve([]))),
  });
  return { queue, finishCurrent: () => release.shift()?.() };
}

function refusal(fn: () => void): QueueFullError {
  try {
    fn();
  } catch (err) {
    if (err instanceof QueueFullError) return err;
    throw err;
  }
  throw new Error('not refused');
}

const progressWithEta = (eta: number) => ({
  item: 1, items: 1, scale: 1, scales: 1, width: 256, height: 192, iteration: 1, iterations: 100, evaluations: 1,
  losses: { content: 0, style: 0, tv: 0, total: 0 }, elapsed: 1, eta,
});

describe('Retry-After from the real queue', () => {
  it("a full queue waits for the running job's eta; a team at its share also for the jobs ahead of its first", () => {
    const { queue } = heldQueue(3, 1);
    const running = job('a', { size: 256, iterations: 100 });
    queue.submit(running);
    running.report(progressWithEta(120));
    queue.submit(job('a', { size: 256, iterations: 100 })); // ahead of b's
    queue.submit(job('b', { size: 256, iterations: 100 }));
    queue.submit(job('c', { size: 256, iterations: 100 }));

    const full = refusal(() => queue.submit(job('d')));
    expect([full.code, full.retryAfter]).toEqual(['queue_full', 120]);
    // Team b's first waiting job starts once the running job and a's waiting job are done.
    const teamB = queue.retryAfterSeconds('b');
    expect(teamB).toBeGreaterThan(120);
    expect(queue.retryAfterSeconds('c')).toBeGreaterThan(teamB);
  });

  it('a team at its share of the queue is refused with team_queue_full while others still get in', () => {
    const { queue } = heldQueue(4, 2);
    queue.submit(job('a')); // runs
    queue.submit(job('a'));
    queue.submit(job('a'));
    expect(refusal(() => queue.submit(job('a'))).code).toBe('team_queue_full');
    queue.submit(job('b'));
    queue.submit(job('b'));
    expect(queue.length).toBe(4);
  });
});

describe('retention per team', () => {
  it("one team's finished jobs never evict another team's results", () => {
    const { queue } = heldQueue(16);
    const finished = (teamId: string): Job => {
      const j = job(teamId);
      queue.jobs.set(j.id, j);
      j.start();
      j.succeed([{ png: Buffer.alloc(10), width: 1, height: 1 }]);
      return j;
    };
    const mine = finished('a');
    const theirs = [finished('b'), finished('b'), finished('b')];
    const evicted = sweepFinishedJobs(queue, { ttlMs: 60_000, maxBytes: 1e9, maxJobs: 2 });
    expect(evicted).toEqual([theirs[0].id]);
    expect(queue.get(mine.id)).toBe(mine);
  });
});
