/**
 * `atelier serve --memory-budget`: jobs whose params give no budget get the server's; a job whose
 * full-size state cannot fit fails with `too_large` and the server goes on serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST, jobForm, makePng, startTestServer, submitJob, waitForJob, type TestServer } from './harness.js';

let srv: TestServer;
let content: Buffer;
let style: Buffer;

beforeAll(async () => {
  srv = await startTestServer({}, { memoryBudgetMiB: 1 });
  content = await makePng(40, 30);
  style = await makePng(32, 32, { seed: 3 });
});
afterAll(async () => srv?.close());

describe('server memory budget', () => {
  it('applies to jobs that set none: too_large, with what to change', async () => {
    // 128x96 with Adam: 8 full-size float copies = 1.1 MiB, which no tiling can shrink.
    const { res, body } = await submitJob(srv, jobForm({ content: [{ data: content }], style: [{ data: style }], params: { ...FAST, size: 128 } }));
    expect(res.status).toBe(202);
    const done = await waitForJob(srv, body.id);
    expect(done.state).toBe('failed');
    expect(done.error.code).toBe('too_large');
    expect(done.error.message).toMatch(/^a 128x96 image needs 2 MiB for its full-size image and optimiser state alone, over the 1 MiB memory budget: a smaller size/);
  });

  it("a job's own budget wins, and the server still serves", async () => {
    const { body } = await submitJob(srv, jobForm({ content: [{ data: content }], style: [{ data: style }], params: { ...FAST, memoryBudget: 4096 } }));
    const done = await waitForJob(srv, body.id);
    expect(done.state).toBe('succeeded');
  });
});
