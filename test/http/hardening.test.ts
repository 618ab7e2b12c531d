/**
 * Hostile and unusual requests found by a probe of `atelier serve`: streamed bodies over the
 * limit, validation that used to happen only in the worker, `__proto__` in params, CORS for
 * foreign origins, and what `/v1/info` shows to other teams.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST, TOKEN_B, getJson, jobForm, makePng, rawRequest, startTestServer, submitJob, type TestServer } from './harness.js';

let srv: TestServer;
let content: Buffer;
let style: Buffer;

const MAX_BODY = 1_000_000;

beforeAll(async () => {
  srv = await startTestServer({ limits: { maxBodyBytes: MAX_BODY }, weightsInfo: { source: '/secret/place/vgg19.h5', layers: [] } });
  content = await makePng(40, 30);
  style = await makePng(32, 32, { seed: 3 });
});
afterAll(async () => srv?.close());

/** POSTs a multipart body in chunks without Content-Length (Transfer-Encoding: chunked). */
function postChunked(path: string, parts: Buffer[], boundary: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: srv.port, method: 'POST', path, headers: { ...srv.auth, 'Content-Type': `multipart/form-data; boundary=${boundary}` } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    // The server may close the connection before everything is sent: that is the point.
    req.on('error', (err) => (err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err));
    for (const p of parts) req.write(p);
    req.end();
  });
}

describe('body limit', () => {
  it('a chunked body over the limit is stopped at the limit with 413 body_too_large', async () => {
    const boundary = 'xBOUNDARYx';
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`);
    const filler = Array.from({ length: 30 }, () => Buffer.alloc(100_000, 0x41)); // 3 MB in 100 kB chunks
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const { status, body } = await postChunked('/v1/jobs', [head, ...filler, tail], boundary);
    expect(status).toBe(413);
    expect(JSON.parse(body).error.code).toBe('body_too_large');
  });
});

describe('validation at submit, not in the worker', () => {
  const refused = async (form: FormData, code: string): Promise<void> => {
    const { res, body } = await submitJob(srv, form);
    expect([res.status, body.error?.code]).toEqual([400, code]);
    expect(srv.handle.queue.jobs.size).toBe(0);
  };

  it('styleBlend whose weights are all zero', async () => {
    await refused(jobForm({ content: [{ data: content }], style: [{ data: style }], params: { ...FAST, styleBlend: [0] } }), 'bad_params');
  });

  it('a content image too elongated for the layers (20000x1)', async () => {
    await refused(jobForm({ content: [{ data: await makePng(20000, 1) }], style: [{ data: style }], params: FAST }), 'bad_input');
  });

  it('params with __proto__ are refused like any unknown key', async () => {
    const { res, body } = await submitJob(srv, jobForm({ content: [{ data: content }], style: [{ data: style }], rawParams: '{"__proto__":{"iterations":1},"size":32}' }));
    expect([res.status, body.error?.code]).toEqual([400, 'bad_params']);
    expect(body.error.message).toMatch(/__proto__/);
  });
});

describe('CORS only for the origins that need it', () => {
  it('a foreign web origin can neither read health nor get a preflight through', async () => {
    const health = await rawRequest(srv.port, { path: '/v1/health', headers: { Origin: 'https://evil.example' } });
    expect(health.status).toBe(403);
    expect(JSON.parse(health.body).error.code).toBe('forbidden_origin');
    expect(health.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await rawRequest(srv.port, {
      method: 'OPTIONS',
      path: '/v1/health',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Private-Network': 'true' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-private-network']).toBeUndefined();
  });

  it.each(['null', 'https://www.figma.com'])('answers Origin %s with that origin', async (origin) => {
    const r = await rawRequest(srv.port, { path: '/v1/health', headers: { Origin: origin } });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(origin);
    expect(r.headers.vary).toMatch(/Origin/);
  });

  it('answers an origin configured for a team server', async () => {
    const team = await startTestServer({ allowedOrigins: ['https://studio.example:8443'] });
    try {
      const r = await rawRequest(team.port, { path: '/v1/health', headers: { Origin: 'https://studio.example:8443' } });
      expect([r.status, r.headers['access-control-allow-origin']]).toEqual([200, 'https://studio.example:8443']);
    } finally {
      await team.close();
    }
  });
});

describe('/v1/info', () => {
  it("shows the weights' path to the local team only", async () => {
    expect((await getJson(srv, '/v1/info')).body.weights.source).toBe('/secret/place/vgg19.h5');
    const other = (await getJson(srv, '/v1/info', { Authorization: `Bearer ${TOKEN_B}` })).body;
    expect(other.weights.source).toBe('vgg19.h5');
    expect(JSON.stringify(other)).not.toContain('/secret/place');
  });
});

/** Sends raw bytes and returns the whole answer (the server closes the connection). */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

const statusAndBody = (answer: string): [number, unknown] => [Number(answer.split(' ')[1]), JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))];

describe("requests Node's parser refuses get the JSON error shape", () => {
  it('a URL over 16 KB: 431 headers_too_large', async () => {
    const answer = await rawExchange(srv.port, `GET /v1/health?x=${'a'.repeat(17_000)} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n\r\n`);
    const [status, body] = statusAndBody(answer);
    expect(status).toBe(431);
    expect(body).toEqual({ error: { code: 'headers_too_large', message: expect.any(String) } });
  });

  it('a header over 16 KB: 431 headers_too_large', async () => {
    const answer = await rawExchange(srv.port, `GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nX-Big: ${'b'.repeat(17_000)}\r\n\r\n`);
    expect(statusAndBody(answer)[0]).toBe(431);
  });

  it('HTTP/1.1 without Host: 400 missing_host', async () => {
    const answer = await rawExchange(srv.port, 'GET /v1/health HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(statusAndBody(answer)).toEqual([400, { error: { code: 'missing_host', message: expect.any(String) } }]);
  });
});
