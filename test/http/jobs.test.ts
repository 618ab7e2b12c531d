/** POST /v1/jobs → SSE events → result PNG; batches; status; late subscribers; delete. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { FAST, getJson, jobForm, makePng, occupyWorker, readEvents, startTestServer, submitJob, waitForJob, type TestServer } from './harness.js';

let srv: TestServer;
let content: Buffer;
let style: Buffer;

beforeAll(async () => {
  srv = await startTestServer();
  content = await makePng(40, 30, { alpha: true });
  style = await makePng(32, 32, { seed: 3 });
});
afterAll(async () => srv?.close());

describe('jobs', () => {
  it('submit → events (queued, progress with preview, succeeded) → result PNG at the content size with alpha', async () => {
    const blocker = await occupyWorker(srv, content, style);
    const { res, body } = await submitJob(srv, jobForm({ content: [{ data: content }], style: [{ data: style }], params: { ...FAST, previewEvery: 1 } }));
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/v1/jobs/${body.id}`);
    expect(typeof body.id).toBe('string');

    const eventsDone = readEvents(srv, body.id, (m) => {
      if (m.event === 'queued') void blocker.cancel();
    });
    const events = await eventsDone;
    const types = events.map((e) => e.event);
    expect(types[0]).toBe('queued');
    expect(events[0].data).toEqual({ type: 'queued', position: 0 });
    expect(types.at(-1)).toBe('succeeded');
    expect(types.filter((t) => t === 'progress').length).toBeGreaterThanOrEqual(FAST.iterations);
    const withPreview = events.find((e) => e.data.type === 'progress' && e.data.preview);
    expect(withPreview).toBeTruthy();
    const preview = Buffer.from((withPreview!.data as { preview: string }).preview, 'base64');
    const pm = await sharp(preview).metadata();
    expect(pm.format).toBe('png');
    expect(Math.max(pm.width!, pm.height!)).toBeLessThanOrEqual(256);
    const last = events.at(-1)!.data;
    expect(last).toEqual({ type: 'succeeded', results: [{ width: 40, height: 30 }] });

    const status = await getJson(srv, `/v1/jobs/${body.id}`);
    expect(status.body.state).toBe('succeeded');
    expect(status.body.progress.iteration).toBe(FAST.iterations);
    expect(status.body.progress.items).toBe(1);
    expect(status.body.startedAt).toBeTruthy();

    const png = await fetch(`${srv.url}/v1/jobs/${body.id}/result`, { headers: srv.auth });
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await png.arrayBuffer());
    const meta = await sharp(bytes).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 40, 30, 4]);
    const { data } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    expect(data[3]).toBe(0); // left half transparent, as in the content
    expect(data[(40 - 1) * 4 + 3]).toBe(255);
  });

  it('resultSize=requested returns the engine size (longer side = params.size)', async () => {
    const { body } = await submitJob(srv, jobForm({ content: [{ data: content }], style: [{ data: style }], params: FAST, resultSize: 'requested' }));
    const st = await waitForJob(srv, body.id);
    expect(st.state).toBe('succeeded');
    expect(st.results).toEqual([{ width: 32, height: 24 }]);
    const png = Buffer.from(await (await fetch(`${srv.url}/v1/jobs/${body.id}/result`, { headers: srv.auth })).arrayBuffer());
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toEqual([32, 24]);
  });

  it('a batch of 2 content images gives 2 results with their own sizes', async () => {
    const second = await makePng(24, 36, { seed: 5 });
    const blocker = await occupyWorker(srv, content, style);
    const { res, body } = await submitJob(srv, jobForm({ content: [{ data: content }, { data: second }], style: [{ data: style }], params: FAST }));
    expect(res.status).toBe(202);
    const items = new Set<number>();
    const events = await readEvents(srv, body.id, (m) => {
      if (m.event === 'queued') void blocker.cancel();
      if (m.data.type === 'progress') items.add(m.data.progress.item);
    });
    expect(events.at(-1)!.data).toEqual({ type: 'succeeded', results: [{ width: 40, height: 30 }, { width: 24, height: 36 }] });
    expect([...items]).toEqual([1, 2]);
    for (const [i, w, h] of [[0, 40, 30], [1, 24, 36]]) {
      const r = await fetch(`${srv.url}/v1/jobs/${body.id}/result?index=${i}`, { headers: srv.auth });
      const meta = await sharp(Buffer.from(await r.arrayBuffer())).metadata();
      expect([meta.width, meta.height]).toEqual([w, h]);
    }
    const missing = await getJson(srv, `/v1/jobs/${body.id}/result?index=2`);
    expect([missing.status, missing.body.error.code]).toEqual([404, 'result_not_found']);
    const bad = await getJson(srv, `/v1/jobs/${body.id}/result?index=-1`);
    expect([bad.status, bad.body.error.code]).toEqual([400, 'bad_index']);
  });

  it('a late subscriber gets the terminal state at once; DELETE forgets a finished job', async () => {
    const { body } = await submitJob(srv, jobForm({ content: [{ data: content }], style: [{ data: style }], params: FAST }));
    await waitForJob(srv, body.id);
    const events = await readEvents(srv, body.id);
    expect(events.map((e) => e.event)).toEqual(['succeeded']);
    const del = await fetch(`${srv.url}/v1/jobs/${body.id}`, { method: 'DELETE', headers: srv.auth });
    expect(del.status).toBe(204);
    const gone = await getJson(srv, `/v1/jobs/${body.id}`);
    expect([gone.status, gone.body.error.code]).toEqual([404, 'job_not_found']);
  });

  it('result before success is 409; another team cannot see the job', async () => {
    const { body } = await submitJob(srv, jobForm({ content: [{ data: content }], style: [{ data: style }], params: { ...FAST, iterations: 40 } }));
    const early = await getJson(srv, `/v1/jobs/${body.id}/result`);
    expect([early.status, early.body.error.code]).toEqual([409, 'job_not_succeeded']);
    const other = await getJson(srv, `/v1/jobs/${body.id}`, { Authorization: 'Bearer atl_test_token_team_b_0123456789' });
    expect([other.status, other.body.error.code]).toEqual([404, 'job_not_found']);
    expect((await waitForJob(srv, body.id)).state).toBe('succeeded');
  });
});
