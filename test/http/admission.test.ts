/**
 * Admission before the body (http/admission.ts): a team at its share of the queue, or of decoded
 * pixels as declared in X-Atelier-Pixels, gets its 429 while its body is still unsent; the declared
 * pixels are checked against the images; a team's parallel uploads are capped (429 too_many_uploads
 * with Retry-After) without holding up other teams.
 */
import http from 'node:http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerLimits } from '../../companion/src/http/limits.js';
import { DECLARED_PIXELS_HEADER } from '../../shared/protocol.js';
import { FAST, TOKEN_A, TOKEN_B, jobForm, makePng, occupyWorker, startTestServer, submitJob, type TestServer } from './harness.js';

let content: Buffer; // 40x30 = 1200 px
let style: Buffer; // 32x32 = 1024 px
const JOB_PIXELS = 1200 + 1024;
const teamA = { Authorization: `Bearer ${TOKEN_A}` };
const teamB = { Authorization: `Bearer ${TOKEN_B}` };
const form = () => jobForm({ content: [{ data: content }], style: [{ data: style }], params: FAST });

beforeAll(async () => {
  content = await makePng(40, 30);
  style = await makePng(32, 32, { seed: 3 });
});

const servers: TestServer[] = [];
const sockets: http.ClientRequest[] = [];
afterEach(async () => {
  for (const r of sockets.splice(0)) r.destroy();
  for (const s of servers.splice(0)) await s.close();
});

async function server(limits: Partial<ServerLimits>): Promise<TestServer> {
  const srv = await startTestServer({ limits });
  servers.push(srv);
  return srv;
}

/** A multipart job body and its content type, as fetch would send it. */
async function encoded(f: FormData): Promise<{ body: Buffer; type: string }> {
  const req = new Request('http://127.0.0.1/', { method: 'POST', body: f });
  return { body: Buffer.from(await req.arrayBuffer()), type: req.headers.get('content-type')! };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/**
 * Starts a POST /v1/jobs of `length` declared bytes and sends only `first`; `rest()` sends the
 * remainder. `answer` resolves with the response whenever it comes.
 */
function startUpload(srv: TestServer, headers: Record<string, string>, type: string, length: number, first: Buffer): { answer: Promise<Answer>; rest(bytes: Buffer): void } {
  const req = http.request({ host: '127.0.0.1', port: srv.port, method: 'POST', path: '/v1/jobs', headers: { ...headers, 'Content-Type': type, 'Content-Length': length } });
  sockets.push(req);
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }));
    });
    // The server may close the connection before the body is sent: that is the point.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
  });
  req.write(first);
  return {
    answer,
    rest: (bytes) => req.end(bytes),
  };
}

/** Waits in-process for a job to succeed (no polling connections that the server's keep-alive timeout may close under load). */
async function finished(srv: TestServer, id: string): Promise<void> {
  await expect.poll(() => srv.handle.queue.get(id)?.state, { timeout: 60_000 }).toBe('succeeded');
}

/** The answer, or a failure when none came while the body was still unsent. */
function beforeTheBody(answer: Promise<Answer>): Promise<Answer> {
  return Promise.race([answer, new Promise<Answer>((_, reject) => setTimeout(() => reject(new Error('no answer before the body was sent')), 20_000))]);
}

describe('admission from the headers, before the body', () => {
  it("a team at its share of the queue gets its 429 without its body being read; other teams' uploads go on", async () => {
    const srv = await server({ maxQueue: 4, maxTeamQueue: 1 });
    const blocker = await occupyWorker(srv, content, style);
    expect((await submitJob(srv, form())).res.status).toBe(202); // team A's one waiting job: its share
    const { type } = await encoded(form());
    const big = 50 * 2 ** 20; // declared, never sent: only the first kilobyte is
    const { answer } = startUpload(srv, teamA, type, big, Buffer.alloc(1024, 0x2d));
    const refused = await beforeTheBody(answer);
    expect([refused.status, refused.body.error.code]).toEqual([429, 'team_queue_full']);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await submitJob(srv, form(), teamB)).res.status).toBe(202);
    await blocker.cancel();
  });

  it('the declared pixels are checked against the team\'s pixel share before the body, and against the images after it', async () => {
    const srv = await server({ maxTeamQueuedPixels: 3 * JOB_PIXELS, maxQueuedPixels: 8 * JOB_PIXELS });
    const blocker = await occupyWorker(srv, content, style); // team A holds JOB_PIXELS
    expect((await submitJob(srv, form())).res.status).toBe(202); // and 2 × JOB_PIXELS now
    const { type } = await encoded(form());
    const { answer } = startUpload(srv, { ...teamA, [DECLARED_PIXELS_HEADER]: String(2 * JOB_PIXELS) }, type, 50 * 2 ** 20, Buffer.alloc(1024, 0x2d));
    const refused = await beforeTheBody(answer);
    expect([refused.status, refused.body.error.code]).toEqual([429, 'queue_memory_full']);

    const fits = await submitJob(srv, form(), { ...teamA, [DECLARED_PIXELS_HEADER]: String(JOB_PIXELS) });
    expect(fits.res.status).toBe(202);
    const understated = await submitJob(srv, form(), { ...teamB, [DECLARED_PIXELS_HEADER]: '10' });
    expect([understated.res.status, understated.body.error?.code]).toEqual([400, 'pixels_mismatch']);
    const garbage = await submitJob(srv, form(), { ...teamB, [DECLARED_PIXELS_HEADER]: 'lots' });
    expect([garbage.res.status, garbage.body.error?.code]).toEqual([400, 'bad_header']);
    await blocker.cancel();
    await finished(srv, fits.body.id);
  });

  it("a team's parallel uploads are capped (429 too_many_uploads with Retry-After); other teams are not held up", async () => {
    const srv = await server({ maxTeamUploads: 2 });
    const { body, type } = await encoded(form());
    const half = body.length >> 1;
    const slow = [0, 1].map(() => startUpload(srv, teamA, type, body.length, body.subarray(0, half)));
    await expect.poll(() => srv.handle.uploads.inFlight('local'), { timeout: 20_000 }).toBe(2);

    const third = await submitJob(srv, form());
    expect([third.res.status, third.body.error?.code]).toEqual([429, 'too_many_uploads']);
    expect(Number(third.res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await submitJob(srv, form(), teamB)).res.status).toBe(202);

    for (const u of slow) u.rest(body.subarray(half));
    const done = await Promise.all(slow.map((u) => u.answer));
    expect(done.map((d) => d.status)).toEqual([202, 202]);
    expect(srv.handle.uploads.inFlight('local')).toBe(0);
    const again = await submitJob(srv, form());
    expect(again.res.status).toBe(202);
    for (const id of [...done.map((d) => d.body.id as string), again.body.id as string]) await finished(srv, id);
  });
});
