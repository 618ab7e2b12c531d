/**
 * Fairness of the job queue between teams: starts round-robin between teams, admission to a fair
 * share of the queue and of the decoded pixels (a refused team claims the next free place), Retry-
 * After estimated from the jobs actually ahead (the running job's eta plus the estimates of the jobs
 * that start first), and retention bounds applied per team. The queue runs a controllable runner
 * here: what is under test is the queue's bookkeeping.
 */
import { describe, expect, it } from 'vitest';
import { parseStylizeParams, type StylizeParamsInput } from '../../shared/params.js';
import { Job, type JobInput } from '../../companion/src/jobs/job.js';
import { DurationModel } from '../../companion/src/jobs/estimate.js';
import { RoundRobin } from '../../companion/src/jobs/fairness.js';
import { PixelBudget } from '../../companion/src/jobs/pixelBudget.js';
import { JobQueue, QueueFullError } from '../../companion/src/jobs/queue.js';
import { sweepFinishedJobs } from '../../companion/src/jobs/retention.js';

function job(teamId: string, params: StylizeParamsInput = {}): Job {
  const img = { width: 1, height: 1, rgb: new Uint8Array(3), alpha: null };
  const input: JobInput = { contents: [img], styles: [img], params: parseStylizeParams(params), resultSize: 'original' };
  return new Job(input, teamId);
}

/** A queue whose runner holds each job until `finishCurrent()`; `starts` lists the team of each job started. */
function heldQueue(maxQueue: number, maxQueuePerTeam?: number) {
  const release: Array<() => void> = [];
  const starts: string[] = [];
  const queue = new JobQueue({
    maxQueue,
    maxQueuePerTeam,
    describeError: () => ({ code: 'x', message: 'x' }),
    run: (j) => {
      starts.push(j.teamId);
      return new Promise((resolve) => release.push(() => resolve([])));
    },
  });
  return { queue, starts, finishCurrent: () => release.shift()?.() };
}

/** Lets the queue's worker take its next job. */
const settle = () => new Promise((r) => setImmediate(r));

/** Submits a job of `teamId`; true when accepted. */
function trySubmit(queue: JobQueue, teamId: string): boolean {
  try {
    queue.submit(job(teamId));
    return true;
  } catch (err) {
    if (err instanceof QueueFullError) return false;
    throw err;
  }
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

describe('round-robin between teams', () => {
  it('starts the oldest job of each team in turn; positions and ahead-of-team follow that order', () => {
    const rr = new RoundRobin<string>();
    for (const [t, j] of [['a', 'a1'], ['a', 'a2'], ['a', 'a3'], ['b', 'b1'], ['c', 'c1'], ['c', 'c2']]) rr.push(t, j);
    expect(rr.order()).toEqual(['a1', 'b1', 'c1', 'a2', 'c2', 'a3']);
    expect(rr.jobsAheadOfTeam('b', { first: true })).toEqual(['a1']);
    expect(rr.jobsAheadOfTeam('b').sort()).toEqual(['a1', 'a2', 'b1', 'c1']); // b's next job would start after a2, before c2
    expect(rr.jobsAheadOfTeam('d')).toEqual(['a1', 'b1', 'c1']);
    const taken = [rr.take(), rr.take(), rr.take(), rr.take(), rr.take(), rr.take(), rr.take()];
    expect(taken).toEqual(['a1', 'b1', 'c1', 'a2', 'c2', 'a3', undefined]);
  });

  it('three teams flooding the queue each get at least a third of the starts; a fourth that asks now and then still gets its turn', async () => {
    // Default-like shape: a team's cap is half the queue. A and B re-submit the moment a place
    // frees, and ask before C and D do (the lock-out seen with FIFO and half-of-total shares).
    const { queue, starts, finishCurrent } = heldQueue(4, 2);
    for (let round = 0; round < 48; round++) {
      for (const t of ['a', 'b']) while (trySubmit(queue, t));
      trySubmit(queue, 'c');
      if (round % 4 === 0) trySubmit(queue, 'd');
      finishCurrent();
      await settle();
    }
    const count = (t: string) => starts.filter((s) => s === t).length;
    const n = starts.length;
    expect(count('c')).toBeGreaterThanOrEqual(Math.floor(n / 4) - 1);
    expect(count('d')).toBeGreaterThanOrEqual(Math.floor(48 / 4 / 2)); // asks every 4th job: half of its asks get in, or better
    for (const t of ['a', 'b', 'c']) expect(count(t)).toBeGreaterThanOrEqual(Math.floor((n - count('d')) / 3) - 1);
    const closed = queue.close();
    finishCurrent();
    await closed;
  });

  it('a lone team may use the whole queue up to its cap; a second team gets the next place', () => {
    const { queue } = heldQueue(4, 4);
    for (let i = 0; i < 5; i++) queue.submit(job('a')); // 1 running + 4 waiting
    expect(refusal(() => queue.submit(job('b'))).code).toBe('queue_full');
    queue.cancel([...queue.jobs.values()].find((j) => j.state === 'queued')!);
    // A holds more than its share now that B claimed a place: the freed place is B's.
    expect(refusal(() => queue.submit(job('a'))).code).toBe('team_queue_full');
    queue.submit(job('b'));
  });

  it("Retry-After and positions count only the jobs that start before the team's under round-robin", () => {
    const { queue } = heldQueue(10, 3);
    const running = job('a', { size: 256, iterations: 100 });
    queue.submit(running);
    running.report(progressWithEta(100));
    const as = [1, 2, 3].map(() => job('a', { size: 256, iterations: 100 }));
    for (const j of as) queue.submit(j);
    const b = job('b', { size: 256, iterations: 100 });
    queue.submit(b);
    const perJob = new DurationModel().estimate(as[0]);
    expect(queue.position(b)).toBe(1);
    expect(queue.position(as[1])).toBe(2);
    expect(queue.retryAfterSeconds('b')).toBe(Math.ceil(100 + perJob));
    expect(refusal(() => queue.submit(job('a'))).retryAfter).toBe(100); // a's oldest waiting job is next
  });
});

describe('decoded pixels shared fairly', () => {
  it('two teams at their half cannot keep a third out: the pixels freed next are the refused team\'s', () => {
    const budget = new PixelBudget(512, 256);
    const held = { a: [] as Array<() => void>, b: [] as Array<() => void> };
    for (let i = 0; i < 4; i++) {
      held.a.push(budget.reserve('a', 64, () => 1));
      held.b.push(budget.reserve('b', 64, () => 1));
    }
    expect(() => budget.reserve('c', 4, () => 7)).toThrow(QueueFullError);
    held.a.shift()!(); // one of A's jobs finishes
    expect(() => budget.reserve('a', 64, () => 1)).toThrow(QueueFullError);
    expect(() => budget.reserve('b', 4, () => 1)).toThrow(QueueFullError);
    budget.reserve('c', 4, () => 1);
    expect(budget.heldBy('c')).toBe(4);
  });

  it('a lone team may hold up to its cap', () => {
    const budget = new PixelBudget(512, 256);
    for (let i = 0; i < 4; i++) budget.reserve('a', 64, () => 1);
    expect(budget.heldBy('a')).toBe(256);
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
