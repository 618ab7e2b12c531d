/** The server's pure parts: pairing token file, Host matching, queue order, retention, error mapping. */
import { readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isAllowedHost } from '../../companion/src/http/hostCheck.js';
import { describeHttpError, HttpError } from '../../companion/src/http/errors.js';
import { EngineError, CancelledError } from '../../companion/src/engine/errors.js';
import { ImageError } from '../../companion/src/io/images.js';
import { Job, type JobInput } from '../../companion/src/jobs/job.js';
import { JobQueue, QueueFullError } from '../../companion/src/jobs/queue.js';
import { sweepFinishedJobs } from '../../companion/src/jobs/retention.js';
import { encodeRgbPngSync } from '../../companion/src/jobs/previewPng.js';
import { decodeImage } from '../../companion/src/io/images.js';
import { fileTokenAuthenticator, loadOrCreateToken, rotateToken, tokenPath } from '../../companion/src/token.js';
import { parseStylizeParams } from '../../shared/params.js';
import type { JobEvent } from '../../shared/protocol.js';
import { tempDir } from '../helpers/tempDir.js';

const tmp = () => tempDir('atelier-units-');

describe('pairing token', () => {
  it('is created once with mode 0600, reused, and rotated', async () => {
    const dir = path.join(tmp(), 'data');
    const a = await loadOrCreateToken(dir);
    expect(a.created).toBe(true);
    expect(a.token).toMatch(/^atl_[A-Za-z0-9_-]{43}$/);
    expect(statSync(a.path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const b = await loadOrCreateToken(dir);
    expect([b.created, b.token]).toEqual([false, a.token]);
    const c = await rotateToken(dir);
    expect(c).not.toBe(a.token);
    expect(readFileSync(tokenPath(dir), 'utf8').trim()).toBe(c);
    expect(statSync(tokenPath(dir)).mode & 0o777).toBe(0o600);
  });

  it('tightens a token file readable by others', async () => {
    const dir = tmp();
    writeFileSync(tokenPath(dir), 'atl_existing_token_with_enough_length\n');
    chmodSync(tokenPath(dir), 0o644);
    const t = await loadOrCreateToken(dir);
    expect(t.token).toBe('atl_existing_token_with_enough_length');
    expect(statSync(tokenPath(dir)).mode & 0o777).toBe(0o600);
  });

  it('a running server picks up a rotated token; the old one stops working', async () => {
    const dir = tmp();
    const { token } = await loadOrCreateToken(dir);
    const auth = fileTokenAuthenticator(dir, token);
    expect(await auth(token)).toEqual({ teamId: 'local' });
    expect(await auth('atl_wrong')).toBeNull();
    await new Promise((r) => setTimeout(r, 20)); // a distinct mtime
    const next = await rotateToken(dir);
    expect(await auth(next)).toEqual({ teamId: 'local' });
    expect(await auth(token)).toBeNull();
  });
});

describe('isAllowedHost', () => {
  it.each([
    ['localhost:7745', true],
    ['127.0.0.1:7745', true],
    ['[::1]:7745', true],
    ['team.example:7745', true],
    ['team.example', true],
    ['localhost:7746', false],
    ['localhost', false],
    ['evil.com:7745', false],
    ['localhost.evil.com:7745', false],
    ['127.0.0.1:7745@evil.com', false],
    ['', false],
  ])('%s → %s', (host, ok) => {
    expect(isAllowedHost(host, 7745, ['Team.Example'])).toBe(ok);
  });
});

function job(): Job {
  const img = { width: 1, height: 1, rgb: new Uint8Array(3), alpha: null };
  const input: JobInput = { contents: [img], styles: [img], params: parseStylizeParams({}), resultSize: 'original' };
  return new Job(input, 'local');
}

describe('JobQueue', () => {
  it('runs jobs one at a time in FIFO order, announces positions, and refuses beyond maxQueue', async () => {
    const order: string[] = [];
    let active = 0;
    const q = new JobQueue({
      maxQueue: 2,
      describeError: () => ({ code: 'x', message: 'x' }),
      run: async (j) => {
        active++;
        expect(active).toBe(1);
        order.push(j.id);
        await new Promise((r) => setTimeout(r, 5));
        active--;
        return [];
      },
    });
    const [a, b, c, d] = [job(), job(), job(), job()];
    const cEvents: JobEvent[] = [];
    c.on('event', (e) => cEvents.push(e));
    q.submit(a);
    q.submit(b);
    q.submit(c);
    expect(() => q.submit(d)).toThrow(QueueFullError);
    await new Promise((r) => setTimeout(r, 60));
    await q.whenIdle();
    expect(order).toEqual([a.id, b.id, c.id]);
    expect([a.state, b.state, c.state]).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(cEvents).toEqual([{ type: 'queued', position: 1 }, { type: 'queued', position: 0 }, { type: 'succeeded', results: [] }]);
  });

  it('maps runner errors; an aborted run is canceled; close() cancels everything', async () => {
    const q = new JobQueue({
      maxQueue: 5,
      describeError: (e) => ({ code: (e as EngineError).code, message: 'm' }),
      run: (j, signal) =>
        new Promise((_, reject) => {
          if (j.items === 1 && j.input?.params.seed === 1) reject(new EngineError('bad_input', 'no'));
          signal.addEventListener('abort', () => reject(new CancelledError()));
        }),
    });
    const bad = job();
    bad.input!.params.seed = 1;
    q.submit(bad);
    await new Promise((r) => setTimeout(r, 10));
    expect(bad.state).toBe('failed');
    expect(bad.error).toEqual({ code: 'bad_input', message: 'm' });
    const running = job();
    const waiting = job();
    q.submit(running);
    q.submit(waiting);
    await new Promise((r) => setTimeout(r, 10));
    expect(running.state).toBe('running');
    await q.close();
    expect([running.state, waiting.state]).toEqual(['canceled', 'canceled']);
    expect(() => q.submit(job())).toThrow(/shutting down/);
  });
});

describe('retention', () => {
  it('evicts expired jobs, then the oldest beyond the size and count bounds', async () => {
    const q = new JobQueue({ maxQueue: 10, describeError: () => ({ code: 'x', message: 'x' }), run: async () => [{ png: Buffer.alloc(100), width: 1, height: 1 }] });
    const jobs = [job(), job(), job(), job()];
    for (const j of jobs) q.submit(j);
    await new Promise((r) => setTimeout(r, 30));
    await q.whenIdle();
    jobs.forEach((j, i) => (j.finishedAt = new Date(1_000_000 + i * 1000)));
    expect(sweepFinishedJobs(q, { ttlMs: 10_000, maxBytes: 1e9, maxJobs: 100 }, 1_011_500)).toEqual([jobs[0].id, jobs[1].id]);
    expect(sweepFinishedJobs(q, { ttlMs: 1e9, maxBytes: 150, maxJobs: 100 }, 1_010_000)).toEqual([jobs[2].id]);
    expect(sweepFinishedJobs(q, { ttlMs: 1e9, maxBytes: 1e9, maxJobs: 0 }, 1_010_000)).toEqual([jobs[3].id]);
    expect(q.jobs.size).toBe(0);
  });
});

describe('describeHttpError', () => {
  it.each([
    ['HttpError', new HttpError(418, 'teapot', 'x'), 418, 'teapot'],
    ['ZodError', z.object({ a: z.number() }).safeParse({ a: 'x' }).error, 400, 'bad_params'],
    ['ImageError too large', new ImageError('image_too_large', 'x'), 413, 'image_too_large'],
    ['ImageError unsupported', new ImageError('unsupported_image', 'x'), 415, 'unsupported_image'],
    ['ImageError corrupt', new ImageError('corrupt_image', 'x'), 400, 'corrupt_image'],
    ['EngineError missing layer', new EngineError('missing_layer', 'x'), 422, 'missing_layer'],
    ['EngineError bad input', new EngineError('bad_input', 'x'), 400, 'bad_input'],
    ['QueueFullError', new QueueFullError(3), 429, 'queue_full'],
    ['unknown Error', new Error('secret internals'), 500, 'internal_error'],
  ])('%s', (_name, err, status, code) => {
    const d = describeHttpError(err);
    expect([d.status, d.code]).toEqual([status, code]);
    expect(d.message).not.toContain('secret');
  });
});

describe('encodeRgbPngSync', () => {
  it('writes a PNG that decodes to the same pixels', async () => {
    const w = 7;
    const h = 5;
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) & 255);
    const img = await decodeImage(encodeRgbPngSync(w, h, rgb));
    expect([img.width, img.height, img.alpha]).toEqual([w, h, null]);
    expect(Buffer.from(img.rgb).equals(Buffer.from(rgb))).toBe(true);
    expect(() => encodeRgbPngSync(w, h, rgb.subarray(1))).toThrow();
  });
});
