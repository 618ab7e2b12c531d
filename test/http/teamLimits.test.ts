/**
 * What queued jobs may hold and how teams share the server: decoded pixels bounded per server and
 * per team (413 for a job that can never fit, 429 with Retry-After while the queue holds too much);
 * event streams end when their token is revoked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST, TOKEN_A, TOKEN_B, jobForm, makePng, occupyWorker, readEvents, startTestServer, submitJob, waitForJob, type TestServer } from './harness.js';

let content: Buffer; // 40x30 = 1200 px
let style: Buffer; // 32x32 = 1024 px
const JOB_PIXELS = 1200 + 1024;

beforeAll(async () => {
  content = await makePng(40, 30);
  style = await makePng(32, 32, { seed: 3 });
});

const form = () => jobForm({ content: [{ data: content }], style: [{ data: style }], params: FAST });
const teamB = { Authorization: `Bearer ${TOKEN_B}` };

describe('decoded pixels held by queued jobs', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ limits: { maxTeamQueuedPixels: 3 * JOB_PIXELS, maxQueuedPixels: 4 * JOB_PIXELS } });
  });
  afterAll(async () => srv?.close());

  it('are bounded per team and per server; a job that can never fit is 413; finished jobs give their pixels back', async () => {
    const blocker = await occupyWorker(srv, content, style); // holds JOB_PIXELS while it runs
    const a1 = await submitJob(srv, form());
    const a2 = await submitJob(srv, form());
    expect([a1.res.status, a2.res.status]).toEqual([202, 202]);
    const a3 = await submitJob(srv, form());
    expect([a3.res.status, a3.body.error?.code]).toEqual([429, 'queue_memory_full']);
    expect(Number(a3.res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // Team B still gets in, up to what the server holds in all.
    const b1 = await submitJob(srv, form(), teamB);
    expect(b1.res.status).toBe(202);
    const b2 = await submitJob(srv, form(), teamB);
    expect([b2.res.status, b2.body.error?.code]).toEqual([429, 'queue_memory_full']);

    const huge = await submitJob(srv, jobForm({ content: [{ data: await makePng(100, 80) }], style: [{ data: style }], params: FAST }), teamB);
    expect([huge.res.status, huge.body.error?.code]).toEqual([413, 'job_too_large']);

    await blocker.cancel();
    for (const id of [a1.body.id, a2.body.id]) expect((await waitForJob(srv, id)).state).toBe('succeeded');
    await expect.poll(() => srv.handle.queue.get(b1.body.id)?.state, { timeout: 60_000 }).toBe('succeeded');
    const again = await submitJob(srv, form());
    expect(again.res.status).toBe(202);
    await waitForJob(srv, again.body.id);
  });
});

describe('revocation', () => {
  it('an event stream opened before the token is revoked ends once it is', async () => {
    const valid = new Set([TOKEN_A, TOKEN_B]);
    const srv = await startTestServer({
      authenticate: async (t) => (valid.has(t) ? { teamId: t === TOKEN_A ? 'local' : 'team-b' } : null),
      reauthMs: 100,
    });
    try {
      const { body } = await submitJob(srv, jobForm({ content: [{ data: content }], style: [{ data: style }], params: { ...FAST, iterations: 10000 } }), teamB);
      let progress = 0;
      let revokedAt = 0;
      const ended = readEvents(
        srv,
        body.id,
        (m) => {
          if (m.data.type !== 'progress') return;
          if (!revokedAt && ++progress === 2) {
            valid.delete(TOKEN_B); // `atelier teams revoke b`
            revokedAt = Date.now();
          }
        },
        teamB,
      );
      const outcome = await Promise.race([ended.then(() => 'ended'), new Promise((r) => setTimeout(() => r('still open after 20 s'), 20_000))]);
      expect(outcome).toBe('ended');
      expect(srv.handle.queue.get(body.id)?.state).toBe('running'); // the stream ended, not the job
      srv.handle.queue.cancel(srv.handle.queue.get(body.id)!);
    } finally {
      await srv.close();
    }
  });
});
