/** Every bad input is a 4xx with a stable code, never reaches the worker, and the next good job is served. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST, getJson, jobForm, makePng, pngHeaderBomb, rawRequest, startTestServer, submitJob, waitForJob, type TestServer } from './harness.js';

let srv: TestServer;
let content: Buffer;
let style: Buffer;

const MAX_FILE = 300_000;
const MAX_BODY = 1_000_000;

beforeAll(async () => {
  srv = await startTestServer({ limits: { maxFileBytes: MAX_FILE, maxBodyBytes: MAX_BODY, maxFiles: 4 } });
  content = await makePng(40, 30);
  style = await makePng(32, 32, { seed: 3 });
});
afterAll(async () => srv?.close());

type Row = [name: string, make: () => FormData, status: number, code: string];

const withContent = (data: Buffer, name = 'content.png') => jobForm({ content: [{ data, name }], style: [{ data: style }], params: FAST });
const withParams = (params: unknown) => jobForm({ content: [{ data: content }], style: [{ data: style }], params });
const withRawParams = (rawParams: string) => jobForm({ content: [{ data: content }], style: [{ data: style }], rawParams });

function corruptPng(): Buffer {
  const b = Buffer.from(content);
  const out = b.subarray(0, Math.floor(b.length * 0.6)); // truncated inside IDAT
  return Buffer.concat([out, Buffer.alloc(16, 0xff)]);
}

const rows: Row[] = [
  ['corrupt PNG', () => withContent(corruptPng()), 400, 'corrupt_image'],
  ['zero-byte file', () => withContent(Buffer.alloc(0)), 400, 'empty_image'],
  ['text file named .png', () => withContent(Buffer.from('hello, I am not an image\n'.repeat(20))), 415, 'unsupported_image'],
  ['30000x30000 PNG header bomb (content)', () => withContent(pngHeaderBomb()), 413, 'image_too_large'],
  ['PNG header bomb (style)', () => jobForm({ content: [{ data: content }], style: [{ data: pngHeaderBomb() }], params: FAST }), 413, 'image_too_large'],
  ['negative size', () => withParams({ ...FAST, size: -32 }), 400, 'bad_params'],
  ['negative iterations', () => withParams({ ...FAST, iterations: -1 }), 400, 'bad_params'],
  ['NaN iterations (not JSON)', () => withRawParams('{"iterations": NaN}'), 400, 'bad_params'],
  ['huge iterations', () => withParams({ ...FAST, iterations: 1e9 }), 400, 'bad_params'],
  ['infinite style weight (1e400)', () => withRawParams('{"styleWeight": 1e400}'), 400, 'bad_params'],
  ['huge size', () => withParams({ ...FAST, size: 100000 }), 400, 'bad_params'],
  ['string where a number goes', () => withParams({ ...FAST, seed: 'abc' }), 400, 'bad_params'],
  ['unknown params key', () => withParams({ ...FAST, sneaky: true }), 400, 'bad_params'],
  ['params is an array', () => withParams([1, 2]), 400, 'bad_params'],
  ['unknown layer', () => withParams({ ...FAST, styleLayers: ['conv9_9'] }), 400, 'bad_params'],
  ['styleBlend count mismatch', () => withParams({ ...FAST, styleBlend: [1, 2] }), 400, 'bad_params'],
  ["init 'image' without an init file", () => withParams({ ...FAST, init: 'image' }), 400, 'missing_init'],
  ['unknown preset', () => jobForm({ content: [{ data: content }], presetId: 'no-such-preset', params: FAST }), 404, 'preset_not_found'],
  ['style files and a preset', () => jobForm({ content: [{ data: content }], style: [{ data: style }], presetId: 'p1' }), 400, 'style_conflict'],
  ['no content', () => jobForm({ style: [{ data: style }], params: FAST }), 400, 'missing_content'],
  ['no style', () => jobForm({ content: [{ data: content }], params: FAST }), 400, 'missing_style'],
  [
    'too many files',
    () => jobForm({ content: Array.from({ length: 4 }, () => ({ data: content })), style: [{ data: style }], params: FAST }),
    400,
    'too_many_files',
  ],
  [
    'unknown file field',
    () => {
      const f = withParams(FAST);
      f.append('payload', new Blob([new Uint8Array(content)]), 'x.png');
      return f;
    },
    400,
    'unexpected_file',
  ],
  [
    'unknown text field',
    () => {
      const f = withParams(FAST);
      f.append('admin', 'true');
      return f;
    },
    400,
    'bad_params',
  ],
  ['file over the size limit', () => withContent(Buffer.alloc(MAX_FILE + 1000, 7)), 413, 'file_too_large'],
];

describe('bad input table', () => {
  it.each(rows)('%s → %i %s', async (_name, make, status, code) => {
    const { res, body } = await submitJob(srv, make());
    expect(res.status).toBe(status);
    expect(body.error.code).toBe(code);
    expect(typeof body.error.message).toBe('string');
    expect(srv.handle.queue.length).toBe(0);
    expect(srv.handle.queue.running).toBeNull();
  });

  it('a body over the limit → 413 body_too_large (from Content-Length, before reading it)', async () => {
    const boundary = 'xBOUNDARYx';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`),
      Buffer.alloc(MAX_BODY + 10, 1),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const r = await rawRequest(srv.port, {
      method: 'POST',
      path: '/v1/jobs',
      headers: { ...srv.auth, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': body.length },
      body,
    });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.code).toBe('body_too_large');
  });

  it('JSON instead of multipart → 415; malformed multipart → 400', async () => {
    const json = await fetch(`${srv.url}/v1/jobs`, { method: 'POST', headers: { ...srv.auth, 'Content-Type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(415);
    expect((await json.json()).error.code).toBe('unsupported_media_type');
    const broken = await rawRequest(srv.port, {
      method: 'POST',
      path: '/v1/jobs',
      headers: { ...srv.auth, 'Content-Type': 'multipart/form-data; boundary=zz' },
      body: '--zz\r\nContent-Disposition: form-data; name="content"; filename="a.png"\r\n\r\nabc',
    });
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.body).error.code).toBe('bad_multipart');
  });

  it.each([
    ['GET', '/v1/jobs/00000000-0000-0000-0000-000000000000'],
    ['GET', '/v1/jobs/nope/events'],
    ['GET', '/v1/jobs/nope/result'],
    ['DELETE', '/v1/jobs/nope'],
  ])('unknown job id: %s %s → 404 job_not_found', async (method, p) => {
    const res = await fetch(`${srv.url}${p}`, { method, headers: srv.auth });
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('job_not_found');
  });

  it('still serves the next good job', async () => {
    const { res, body } = await submitJob(srv, jobForm({ content: [{ data: content }], style: [{ data: style }], params: FAST }));
    expect(res.status).toBe(202);
    const st = await waitForJob(srv, body.id);
    expect(st.state).toBe('succeeded');
    expect((await getJson(srv, '/v1/health')).body.ok).toBe(true);
  });
});
