/**
 * Hostile and unusual requests found by a probe of `atelier serve`: streamed bodies over the
 * limit, validation that used to happen only in the worker, `__proto__` in params, CORS for
 * foreign origins, and what `/v1/info` shows to other teams.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness.js';

let srv: TestServer;

const MAX_BODY = 1_000_000;

beforeAll(async () => {
  srv = await startTestServer({ limits: { maxBodyBytes: MAX_BODY }, weightsInfo: { source: '/secret/place/vgg19.h5', layers: [] } });
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
