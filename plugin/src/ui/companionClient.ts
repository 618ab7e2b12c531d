/**
 * The UI's client for the companion's HTTP API v1 (schemas from the project's shared/ module):
 * health, info, presets, jobs (multipart submit, SSE events over fetch streaming, results, cancel).
 * Every failure becomes a CompanionError with a stable `code`.
 */
import { z } from 'zod';
import {
  API_PREFIX,
  apiErrorSchema,
  createJobResponseSchema,
  DECLARED_PIXELS_HEADER,
  healthSchema,
  infoSchema,
  jobEventSchema,
  type Info,
  type JobEvent,
} from '../../../shared/protocol.js';
import { presetEtag, presetListSchema, presetSchema, presetStylePath, type Preset } from '../../../shared/presets.js';
import type { StylizeParamsInput } from '../../../shared/params.js';
import { readSse } from './sse.js';

/** A failed call: `status` 0 when the companion could not be reached. */
export class CompanionError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CompanionError';
  }
}

/** What the connection check found. */
export type ConnectionState =
  | { kind: 'connected'; info: Info }
  | { kind: 'offline'; message: string }
  | { kind: 'unauthorized'; message: string }
  | { kind: 'error'; message: string }
  /** Something listens but does not answer in time. */
  | { kind: 'busy'; message: string }
  /** The companion runs but is getting ready (its first start downloads the style network). */
  | { kind: 'preparing'; message: string; percent: number | null }
  /** The URL is not in the built manifest's allowedDomains: Figma's CSP would block every request. */
  | { kind: 'blocked'; message: string };

/** Message shown when nothing answers at the companion URL. */
export const OFFLINE_MESSAGE = 'Companion not running';

/** Message when the companion takes too long to answer (e.g. a long job keeps it busy). */
export const BUSY_MESSAGE = 'The companion is not answering in time — it may be busy; retrying…';

/** "Downloading the style network, 43 %" while a companion's first start downloads its weights. */
export function preparingMessage(percent: number | null): string {
  return `Downloading the style network${percent === null ? '…' : `, ${Math.floor(percent)} %`}`;
}

/** A file to upload: bytes and a name. */
export interface UploadFile {
  name: string;
  data: Blob | Uint8Array;
}

type FetchLike = typeof fetch;

/**
 * The pixels of PNG files, from each IHDR (width and height at bytes 16–23), for the companion's
 * X-Atelier-Pixels header; undefined when a file is not a PNG (the header is then left out).
 */
async function pngPixels(files: UploadFile[]): Promise<number | undefined> {
  let total = 0;
  for (const f of files) {
    const head = f.data instanceof Uint8Array ? f.data.subarray(0, 24) : new Uint8Array(await f.data.slice(0, 24).arrayBuffer());
    if (head.length < 24 || head[0] !== 0x89 || head[1] !== 0x50 || head[2] !== 0x4e || head[3] !== 0x47) return undefined;
    const view = new DataView(head.buffer, head.byteOffset, 24);
    total += view.getUint32(16) * view.getUint32(20);
  }
  return total;
}

const toBlob = (d: Blob | Uint8Array): Blob => (d instanceof Blob ? d : new Blob([d as Uint8Array<ArrayBuffer>], { type: 'image/png' }));

/** Talks to one companion with one token. */
export class CompanionClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
    private readonly fetchImpl: FetchLike = (...args) => fetch(...args),
  ) {}

  /** `DELETE` this URL to cancel the job (the main thread does it when the plugin closes mid-run). */
  jobUrl(jobId: string): string {
    return this.url(`${API_PREFIX}/jobs/${encodeURIComponent(jobId)}`);
  }

  private url(path: string): string {
    return `${this.baseUrl.replace(/\/+$/, '')}${path}`;
  }

  private async request(path: string, init: RequestInit = {}, auth = true): Promise<Response> {
    const headers = new Headers(init.headers);
    if (auth) headers.set('Authorization', `Bearer ${this.token}`);
    let res: Response;
    try {
      res = await this.fetchImpl(this.url(path), { ...init, headers, cache: 'no-store' });
    } catch (err) {
      if ((err as Error)?.name === 'AbortError' && init.signal?.aborted && init.signal.reason?.name !== 'TimeoutError') throw err;
      if (init.signal?.reason?.name === 'TimeoutError') throw new CompanionError(0, 'timeout', BUSY_MESSAGE);
      throw new CompanionError(0, 'offline', OFFLINE_MESSAGE);
    }
    if (!res.ok) throw await errorFrom(res);
    return res;
  }

  private async json<T>(schema: z.ZodType<T>, path: string, init?: RequestInit, auth = true): Promise<T> {
    const res = await this.request(path, init, auth);
    const body: unknown = await res.json().catch(() => undefined);
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new CompanionError(res.status, 'bad_response', `it answered something Atelier does not understand — is this an Atelier companion?`);
    return parsed.data;
  }

  /** `GET /v1/health` (no token). */
  health(signal?: AbortSignal): Promise<z.infer<typeof healthSchema>> {
    return this.json(healthSchema, `${API_PREFIX}/health`, { signal }, false);
  }

  /** `GET /v1/info`. */
  info(signal?: AbortSignal): Promise<Info> {
    return this.json(infoSchema, `${API_PREFIX}/info`, { signal });
  }

  /** Health, then an authenticated info call: offline, wrong token, or connected. */
  async checkConnection(timeoutMs = 4000): Promise<ConnectionState> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const health = await this.health(signal);
      if (health.preparing) return { kind: 'preparing', percent: health.preparing.percent, message: preparingMessage(health.preparing.percent) };
    } catch (err) {
      const e = err as CompanionError;
      if (e.code === 'offline') return { kind: 'offline', message: OFFLINE_MESSAGE };
      if (e.code === 'timeout') return { kind: 'busy', message: BUSY_MESSAGE };
      return { kind: 'error', message: `Something answers at ${this.baseUrl}, but not an Atelier companion (${e.message})` };
    }
    if (!this.token) return { kind: 'unauthorized', message: 'Paste the pairing token that `atelier serve` printed' };
    try {
      return { kind: 'connected', info: await this.info(signal) };
    } catch (err) {
      const e = err as CompanionError;
      if (e.status === 401 || e.status === 403) return { kind: 'unauthorized', message: 'Wrong pairing token — copy it again from `atelier serve` or `npx atelier token`' };
      if (e.code === 'offline') return { kind: 'offline', message: OFFLINE_MESSAGE };
      if (e.code === 'timeout') return { kind: 'busy', message: BUSY_MESSAGE };
      return { kind: 'error', message: e.message };
    }
  }

  /** `GET /v1/presets`; `null` when this companion has no presets API (404). */
  async listPresets(): Promise<Preset[] | null> {
    try {
      return (await this.json(presetListSchema, `${API_PREFIX}/presets`)).presets;
    } catch (err) {
      if (err instanceof CompanionError && err.status === 404) return null;
      throw err;
    }
  }

  /** One style image of a preset (for thumbnails). */
  async presetStyle(presetId: string, index: number): Promise<Blob> {
    return (await this.request(presetStylePath(presetId, index))).blob();
  }

  /** `POST /v1/presets`: name + params + style images; friendly errors for 404/409/412. */
  async savePreset(name: string, params: StylizeParamsInput, styles: UploadFile[]): Promise<Preset> {
    const form = new FormData();
    form.set('preset', JSON.stringify({ name, params }));
    for (const s of styles) form.append('style', toBlob(s.data), s.name);
    try {
      return await this.json(presetSchema, `${API_PREFIX}/presets`, { method: 'POST', body: form });
    } catch (err) {
      if (!(err instanceof CompanionError)) throw err;
      if (err.status === 404) throw new CompanionError(404, 'presets_unsupported', 'This companion does not support team presets yet — update Atelier');
      if (err.status === 409) throw new CompanionError(409, err.code, `A preset named “${name}” already exists — pick another name`);
      if (err.status === 412 || err.status === 428) throw new CompanionError(err.status, err.code, 'Someone changed the presets meanwhile — reload them and try again');
      throw err;
    }
  }

  /** `GET /v1/presets/:id`: the latest version of one preset. */
  getPreset(id: string): Promise<Preset> {
    return this.json(presetSchema, presetPath(id));
  }

  /**
   * `PATCH /v1/presets/:id {name}` with `If-Match` = the version the designer saw. Errors keep the
   * companion's status and code (412 `stale_version`, 409 `name_taken`, 404) for the UI to explain.
   */
  renamePreset(id: string, version: number, name: string): Promise<Preset> {
    return this.json(presetSchema, presetPath(id), {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json', 'If-Match': presetEtag(version) },
      body: JSON.stringify({ name }),
    });
  }

  /** `DELETE /v1/presets/:id` with `If-Match` = the version the designer saw (412 when stale). */
  async deletePreset(id: string, version: number): Promise<void> {
    await this.request(presetPath(id), { method: 'DELETE', headers: { 'If-Match': presetEtag(version) } });
  }

  /** `POST /v1/jobs`: content images (a batch when several), style images or a preset, params → job id. */
  async createJob(job: { contents: UploadFile[]; styles: UploadFile[]; presetId?: string; params: StylizeParamsInput }, signal?: AbortSignal): Promise<string> {
    const form = new FormData();
    for (const c of job.contents) form.append('content', toBlob(c.data), c.name);
    for (const s of job.styles) form.append('style', toBlob(s.data), s.name);
    if (job.presetId) form.set('presetId', job.presetId);
    form.set('params', JSON.stringify(job.params));
    form.set('resultSize', 'original');
    // Lets a full companion answer 429 before the images are uploaded.
    const pixels = await pngPixels([...job.contents, ...job.styles]);
    const headers = pixels === undefined ? undefined : { [DECLARED_PIXELS_HEADER]: String(pixels) };
    return (await this.json(createJobResponseSchema, `${API_PREFIX}/jobs`, { method: 'POST', body: form, signal, headers })).id;
  }

  /** Streams `GET /v1/jobs/:id/events` until the terminal event (or `signal` aborts). */
  async streamEvents(jobId: string, onEvent: (ev: JobEvent) => void, signal?: AbortSignal): Promise<void> {
    const res = await this.request(`${API_PREFIX}/jobs/${encodeURIComponent(jobId)}/events`, { signal, headers: { Accept: 'text/event-stream' } });
    if (!res.body) throw new CompanionError(res.status, 'bad_response', 'the event stream has no body');
    await readSse(
      res.body,
      (m) => {
        let data: unknown;
        try {
          data = JSON.parse(m.data);
        } catch {
          return;
        }
        const ev = jobEventSchema.safeParse(data);
        if (ev.success) onEvent(ev.data);
      },
      signal,
    );
  }

  /** `GET /v1/jobs/:id/result?index=i` → PNG bytes. */
  async result(jobId: string, index: number, signal?: AbortSignal): Promise<Uint8Array> {
    const res = await this.request(`${API_PREFIX}/jobs/${encodeURIComponent(jobId)}/result?index=${index}`, { signal });
    return new Uint8Array(await res.arrayBuffer());
  }

  /** `DELETE /v1/jobs/:id`: cancels a queued or running job. */
  async cancel(jobId: string): Promise<void> {
    await this.request(`${API_PREFIX}/jobs/${encodeURIComponent(jobId)}`, { method: 'DELETE' });
  }
}

const presetPath = (id: string): string => `${API_PREFIX}/presets/${encodeURIComponent(id)}`;

async function errorFrom(res: Response): Promise<CompanionError> {
  const body: unknown = await res.json().catch(() => undefined);
  const parsed = apiErrorSchema.safeParse(body);
  if (parsed.success) return new CompanionError(res.status, parsed.data.error.code, parsed.data.error.message);
  return new CompanionError(res.status, `http_${res.status}`, `the companion answered ${res.status} ${res.statusText}`.trim());
}
