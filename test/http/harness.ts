/**
 * Test harness for the companion's HTTP API: the real app on 127.0.0.1 (ephemeral port) over the
 * small VGG-shaped model on the cpu backend, plus tiny image fixtures, raw HTTP and an SSE reader.
 */
import http from 'node:http';
import { deflateSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { createApp, listen, type AppDeps, type AppHandle, type TlsFiles } from '../../companion/src/http/app.js';
import { Vgg19 } from '../../companion/src/engine/network/vgg19.js';
import type { OrtRuntime } from '../../companion/src/engine/evaluate/onnx/ortRuntime.js';
import { tokensEqual } from '../../companion/src/token.js';
import type { JobEvent } from '../../shared/protocol.js';
import { createSmallVggWeights } from '../helpers/smallVgg.js';
import { tempDir } from '../helpers/tempDir.js';

/** Tokens the test server accepts: team A (the pairing token) and team B. */
export const TOKEN_A = 'atl_test_token_team_a_0123456789';
export const TOKEN_B = 'atl_test_token_team_b_0123456789';

/** A running test server. */
export interface TestServer {
  url: string;
  port: number;
  handle: AppHandle;
  model: Vgg19;
  /** Authorization header of team A. */
  auth: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts the real app over a small random VGG on the cpu backend (`memoryBudgetMiB`: the server's
 * budget for jobs; `runtime`: objectives evaluated through it, e.g. the onnx backend's).
 */
export async function startTestServer(
  overrides: Partial<AppDeps> = {},
  { memoryBudgetMiB, runtime, tls }: { memoryBudgetMiB?: number; runtime?: OrtRuntime; tls?: TlsFiles } = {},
): Promise<TestServer> {
  await tf.setBackend('cpu');
  await tf.ready();
  const model = new Vgg19(createSmallVggWeights({ channels: 4, seed: 7 }));
  const handle = createApp({
    engine: { model, runtime, backend: { name: 'cpu', device: 'test cpu' }, memoryBudgetMiB },
    weightsInfo: { source: 'small test model', layers: model.availableLayers },
    authenticate: async (t) => (tokensEqual(t, TOKEN_A) ? { teamId: 'local' } : tokensEqual(t, TOKEN_B) ? { teamId: 'team-b' } : null),
    dataDir: tempDir('atelier-http-'),
    heartbeatMs: 200,
    ...overrides,
  });
  const { server, url, port } = await listen(handle, 0, '127.0.0.1', tls);
  return {
    url,
    port,
    handle,
    model,
    auth: { Authorization: `Bearer ${TOKEN_A}` },
    async close() {
      await handle.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      model.dispose();
    },
  };
}

/** A PNG of w x h with a colour ramp; `alpha` adds a transparent left half. */
export async function makePng(width: number, height: number, opts: { alpha?: boolean; seed?: number } = {}): Promise<Buffer> {
  const ch = opts.alpha ? 4 : 3;
  const data = Buffer.alloc(width * height * ch);
  const s = opts.seed ?? 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * ch;
      data[i] = (x * 7 + s * 31) & 255;
      data[i + 1] = (y * 11 + s * 17) & 255;
      data[i + 2] = ((x + y) * 5 + s * 13) & 255;
      if (opts.alpha) data[i + 3] = x < width / 2 ? 0 : 255;
    }
  }
  return sharp(data, { raw: { width, height, channels: ch } }).png().toBuffer();
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A tiny PNG whose header claims width x height (a decompression bomb: the pixels are never there). */
export function pngHeaderBomb(width = 30000, height = 30000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Multipart body of a job. */
export function jobForm(parts: {
  content?: Array<{ data: Buffer; name?: string; type?: string }>;
  style?: Array<{ data: Buffer; name?: string; type?: string }>;
  params?: unknown;
  rawParams?: string;
  presetId?: string;
  resultSize?: 'original' | 'requested';
}): FormData {
  const form = new FormData();
  for (const c of parts.content ?? []) form.append('content', new Blob([new Uint8Array(c.data)], { type: c.type ?? 'image/png' }), c.name ?? 'content.png');
  for (const s of parts.style ?? []) form.append('style', new Blob([new Uint8Array(s.data)], { type: s.type ?? 'image/png' }), s.name ?? 'style.png');
  if (parts.rawParams !== undefined) form.append('params', parts.rawParams);
  else if (parts.params !== undefined) form.append('params', JSON.stringify(parts.params));
  if (parts.presetId !== undefined) form.append('presetId', parts.presetId);
  if (parts.resultSize !== undefined) form.append('resultSize', parts.resultSize);
  return form;
}

/** POSTs a job; returns the response and its JSON body. */
export async function submitJob(srv: TestServer, form: FormData, headers: Record<string, string> = srv.auth): Promise<{ res: Response; body: any }> {
  const res = await fetch(`${srv.url}/v1/jobs`, { method: 'POST', body: form, headers });
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  return { res, body };
}

/** GETs JSON with team A's token. */
export async function getJson(srv: TestServer, p: string, headers: Record<string, string> = srv.auth): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${srv.url}${p}`, { headers });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** A raw HTTP request (any Host header, any body), for what fetch will not send. */
export function rawRequest(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string | number>; body?: Buffer | string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers, setHost: !opts.headers?.Host }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** One parsed SSE message. */
export interface SseMessage {
  event: string;
  data: JobEvent;
}

/** Opens the job's event stream and calls `onEvent` for each event; resolves with all events when the server closes it. */
export async function readEvents(srv: TestServer, jobId: string, onEvent?: (m: SseMessage) => void, headers = srv.auth): Promise<SseMessage[]> {
  const res = await fetch(`${srv.url}/v1/jobs/${jobId}/events`, { headers });
  if (res.status !== 200) throw new Error(`events: HTTP ${res.status}`);
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) throw new Error('events: not an event stream');
  const out: SseMessage[] = [];
  const decoder = new TextDecoder();
  let buf = '';
  for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(piece, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let event = '';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (!event || !data) continue;
      const m = { event, data: JSON.parse(data) as JobEvent };
      out.push(m);
      onEvent?.(m);
    }
  }
  return out;
}

/** Polls a job until it reaches a terminal state. */
export async function waitForJob(srv: TestServer, id: string, timeoutMs = 60_000): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    const { body } = await getJson(srv, `/v1/jobs/${id}`);
    if (['succeeded', 'failed', 'canceled'].includes(body.state)) return body;
    if (Date.now() - t0 > timeoutMs) throw new Error(`job ${id} still ${body.state}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Fast params for tests. */
export const FAST = { size: 32, iterations: 3, optimizer: 'adam' as const, learningRate: 5 };

/** Submits a long job and waits until it runs, so the next jobs queue behind it; `cancel()` frees the worker. */
export async function occupyWorker(srv: TestServer, content: Buffer, style: Buffer): Promise<{ id: string; cancel(): Promise<void> }> {
  const { body } = await submitJob(srv, jobForm({ content: [{ data: content }], style: [{ data: style }], params: { ...FAST, iterations: 10000 } }));
  const t0 = Date.now();
  while ((await getJson(srv, `/v1/jobs/${body.id}`)).body.state !== 'running') {
    if (Date.now() - t0 > 30_000) throw new Error('blocker never started');
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    id: body.id,
    async cancel() {
      await fetch(`${srv.url}/v1/jobs/${body.id}`, { method: 'DELETE', headers: srv.auth });
    },
  };
}
