/**
 * The plugin's CompanionClient declares the pixels of the PNGs it uploads (X-Atelier-Pixels), so
 * that a companion whose team share is used up answers 429 before the images are read; against the
 * REAL companion app over HTTP on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECLARED_PIXELS_HEADER } from '../../shared/protocol.js';
import { CompanionClient, CompanionError } from '../../plugin/src/ui/companionClient.js';
import { FAST, makePng, occupyWorker, startTestServer, TOKEN_A, type TestServer } from '../http/harness.js';

let srv: TestServer;
let content: Buffer; // 40x30
let style: Buffer; // 32x32
const JOB_PIXELS = 1200 + 1024;

beforeAll(async () => {
  srv = await startTestServer({ limits: { maxTeamQueuedPixels: 3 * JOB_PIXELS, maxQueuedPixels: 8 * JOB_PIXELS } });
  content = await makePng(40, 30);
  style = await makePng(32, 32, { seed: 3 });
});
afterAll(async () => srv?.close());

describe('X-Atelier-Pixels from the plugin', () => {
  it('is the sum of the PNGs uploaded; a job over the team share is refused from it', async () => {
    const declared: Array<string | null> = [];
    const client = new CompanionClient(srv.url, TOKEN_A, (input, init) => {
      declared.push(new Headers(init?.headers).get(DECLARED_PIXELS_HEADER));
      return fetch(input, init);
    });
    const blocker = await occupyWorker(srv, content, style);
    const id = await client.createJob({ contents: [{ name: 'c.png', data: new Uint8Array(content) }], styles: [{ name: 's.png', data: new Blob([new Uint8Array(style)]) }], params: FAST });
    expect(declared).toEqual([String(JOB_PIXELS)]);
    const over = client.createJob({ contents: [{ name: 'a.png', data: content }, { name: 'b.png', data: content }], styles: [{ name: 's.png', data: style }], params: FAST });
    await expect(over).rejects.toBeInstanceOf(CompanionError);
    await expect(over).rejects.toMatchObject({ status: 429, code: 'queue_memory_full' });
    expect(declared[1]).toBe(String(2 * 1200 + 1024));
    await blocker.cancel();
    await expect.poll(() => srv.handle.queue.get(id)?.state, { timeout: 60_000 }).toBe('succeeded');
  });
});
