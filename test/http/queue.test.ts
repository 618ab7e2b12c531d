/** Cancellation frees the worker without leaking tensors; a full queue answers 429 with Retry-After. */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST, getJson, jobForm, makePng, readEvents, startTestServer, submitJob, waitForJob, type TestServer } from './harness.js';

let srv: TestServer;
let content: Buffer;
let style: Buffer;
const form = (iterations: number) => jobForm({ content: [{ data: content }], style: [{ data: style }], params: { ...FAST, iterations } });

beforeAll(async () => {
  srv = await startTestServer({ limits: { maxQueue: 2 } });
  content = await makePng(40, 30);
  style = await makePng(32, 32, { seed: 3 });
});
afterAll(async () => srv?.close());

describe('queue and cancel', () => {
  it('DELETE while running cancels within an iteration, the next job starts, no tensor leaks', async () => {
    // Warm up once so lazily created backend state is not counted as a leak.
    await waitForJob(srv, (await submitJob(srv, form(2))).body.id);
    const baseline = tf.memory().numTensors;

    const long = (await submitJob(srv, form(10000))).body.id as string;
    const next = (await submitJob(srv, form(2))).body.id as string;
    let progressAtCancel = -1;
    const longEvents = readEvents(srv, long, (m) => {
      if (m.data.type === 'progress' && progressAtCancel < 0) {
        progressAtCancel = m.data.progress.evaluations;
        void fetch(`${srv.url}/v1/jobs/${long}`, { method: 'DELETE', headers: srv.auth }).then(async (r) => {
          expect(r.status).toBe(202);
          expect(['running', 'canceled']).toContain((await r.json()).state);
        });
      }
    });
    const events = await longEvents;
    expect(events.at(-1)!.data).toEqual({ type: 'canceled' });
    const longStatus = (await getJson(srv, `/v1/jobs/${long}`)).body;
    expect(longStatus.state).toBe('canceled');
    // Stopped within an iteration or two of the cancel request.
    expect(longStatus.progress.evaluations - progressAtCancel).toBeLessThanOrEqual(3);

    const nextStatus = await waitForJob(srv, next);
    expect(nextStatus.state).toBe('succeeded');
    expect(srv.handle.queue.running).toBeNull();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('cancels a queued job at once; a full queue answers 429 with Retry-After', async () => {
    const running = (await submitJob(srv, form(10000))).body.id as string;
    const t0 = Date.now();
    while ((await getJson(srv, `/v1/jobs/${running}`)).body.state !== 'running' && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 10));
    const q1 = await submitJob(srv, form(2));
    const q2 = await submitJob(srv, form(2));
    expect([q1.res.status, q2.res.status]).toEqual([202, 202]);
    expect((await getJson(srv, `/v1/jobs/${q2.body.id}`)).body.position).toBe(1);
    const full = await submitJob(srv, form(2));
    expect(full.res.status).toBe(429);
    expect(full.body.error.code).toBe('queue_full');
    expect(Number(full.res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const info = await getJson(srv, '/v1/info');
    expect(info.body.queue).toEqual({ length: 2, max: 2 });

    const del = await fetch(`${srv.url}/v1/jobs/${q1.body.id}`, { method: 'DELETE', headers: srv.auth });
    expect(del.status).toBe(202);
    expect((await del.json()).state).toBe('canceled');
    expect((await getJson(srv, `/v1/jobs/${q2.body.id}`)).body.position).toBe(0);

    await fetch(`${srv.url}/v1/jobs/${running}`, { method: 'DELETE', headers: srv.auth });
    expect((await waitForJob(srv, running)).state).toBe('canceled');
    expect((await waitForJob(srv, q2.body.id)).state).toBe('succeeded');
  });
});
