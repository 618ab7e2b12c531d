/** POST /v1/jobs with params.variations: N results per content image in one job, and the limit. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { FAST, getJson, jobForm, makePng, readEvents, startTestServer, submitJob, type TestServer } from './harness.js';
import { PARAM_LIMITS } from '../../shared/params.js';
import { presetParamsSchema } from '../../shared/presets.js';

let srv: TestServer;
let content: Buffer;
let style: Buffer;

beforeAll(async () => {
  srv = await startTestServer();
  content = await makePng(40, 30, { seed: 2 });
  style = await makePng(32, 32, { seed: 3 });
});
afterAll(async () => srv?.close());

async function pixels(id: string, index: number): Promise<Buffer> {
  const r = await fetch(`${srv.url}/v1/jobs/${id}/result?index=${index}`, { headers: srv.auth });
  expect(r.status).toBe(200);
  return sharp(Buffer.from(await r.arrayBuffer())).raw().toBuffer();
}

describe('variations', () => {
  it('a job with 2 content images × 2 variations gives 4 results, each content\'s variations together, and they differ', async () => {
    const second = await makePng(24, 36, { seed: 5 });
    const { res, body } = await submitJob(srv, jobForm({ content: [{ data: content }, { data: second }], style: [{ data: style }], params: { ...FAST, variations: 2 } }));
    expect(res.status).toBe(202);
    const items = new Set<number>();
    const events = await readEvents(srv, body.id, (m) => {
      if (m.data.type === 'progress') items.add(m.data.progress.item);
    });
    expect(events.at(-1)!.data).toEqual({ type: 'succeeded', results: [{ width: 40, height: 30 }, { width: 40, height: 30 }, { width: 24, height: 36 }, { width: 24, height: 36 }] });
    expect([...items]).toEqual([1, 2, 3, 4]);
    const status = await getJson(srv, `/v1/jobs/${body.id}`);
    expect([status.body.items, status.body.progress.items]).toEqual([4, 4]);
    const [a, b] = [await pixels(body.id, 0), await pixels(body.id, 1)];
    expect(a.equals(b)).toBe(false);
  });

  it(`more than ${PARAM_LIMITS.maxVariations} variations is a 400 bad_params`, async () => {
    const { res, body } = await submitJob(srv, jobForm({ content: [{ data: content }], style: [{ data: style }], params: { ...FAST, variations: PARAM_LIMITS.maxVariations + 1 } }));
    expect([res.status, body.error.code]).toEqual([400, 'bad_params']);
  });
});

describe('variations and presets', () => {
  it('a preset cannot store variations (the number of results is chosen for each run)', () => {
    for (const params of [{ variations: 2 }, { variationSpread: 2 }]) {
      const r = presetParamsSchema.safeParse(params);
      expect(r.success).toBe(false);
      expect(r.error!.issues[0].message).toMatch(/chosen for each run/);
    }
    expect(presetParamsSchema.safeParse({ size: 64, seed: 3 }).success).toBe(true);
  });
});
