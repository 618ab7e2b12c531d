/**
 * One stylization job: its inputs, state machine (queued → running → succeeded|failed|canceled),
 * progress, results, and an event emitter that the SSE route subscribes to.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { JobEvent, JobProgress, JobState, JobStatus } from '../../../shared/protocol.js';
import type { StylizeParams } from '../../../shared/params.js';
import type { DecodedImage } from '../io/images.js';

/** What a job stylizes: content images (a batch shares the style targets), styles, params (params.variations results per content). */
export interface JobInput {
  contents: DecodedImage[];
  styles: DecodedImage[];
  initImage?: DecodedImage;
  params: StylizeParams;
  /** 'original': each result at its content's size; 'requested': the engine's output size (params.size). */
  resultSize: 'original' | 'requested';
}

/** One encoded result of a job (params.variations per content image, a content's variations together). */
export interface JobResult {
  png: Buffer;
  width: number;
  height: number;
}

/** A stable error code and message, as reported to clients. */
export interface JobError {
  code: string;
  message: string;
}

const TERMINAL: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'canceled']);

/** True for succeeded, failed and canceled. */
export function isTerminal(state: JobState): boolean {
  return TERMINAL.has(state);
}

/** A job and its live state; emits `'event'` with a JobEvent on every change clients should see. */
export class Job extends EventEmitter<{ event: [JobEvent] }> {
  readonly id = randomUUID();
  readonly createdAt = new Date();
  readonly items: number;
  state: JobState = 'queued';
  startedAt: Date | null = null;
  finishedAt: Date | null = null;
  progress: JobProgress | null = null;
  /** Latest progress event sent (with its preview, if any), replayed to late subscribers. */
  lastProgressEvent: Extract<JobEvent, { type: 'progress' }> | null = null;
  error: JobError | null = null;
  results: JobResult[] = [];
  /** Inputs; dropped when the job finishes so its memory can be reclaimed. */
  input: JobInput | null;
  readonly abort = new AbortController();

  constructor(
    input: JobInput,
    /** Team that created it; only that team sees it. */
    readonly teamId: string,
    /** Called once when the job finishes and drops its inputs (releases their pixel reservation). */
    private readonly onInputDropped?: () => void,
  ) {
    super();
    this.setMaxListeners(0);
    this.input = input;
    this.items = input.contents.length * input.params.variations;
  }

  /** Bytes held by results (for retention). */
  get resultBytes(): number {
    return this.results.reduce((n, r) => n + r.png.length, 0);
  }

  /** Publishes a new queue position. */
  queuedAt(position: number): void {
    if (this.state === 'queued') this.emit('event', { type: 'queued', position });
  }

  /** queued → running. */
  start(): void {
    this.state = 'running';
    this.startedAt = new Date();
  }

  /** Records and publishes progress; `preview` is a base64 PNG. */
  report(progress: JobProgress, preview?: string): void {
    if (this.state !== 'running') return;
    this.progress = progress;
    const ev: Extract<JobEvent, { type: 'progress' }> = preview ? { type: 'progress', progress, preview } : { type: 'progress', progress };
    if (preview || !this.lastProgressEvent?.preview) this.lastProgressEvent = ev;
    else this.lastProgressEvent = { ...ev, preview: this.lastProgressEvent.preview };
    this.emit('event', ev);
  }

  /** running → succeeded. */
  succeed(results: JobResult[]): void {
    this.results = results;
    this.finish('succeeded');
  }

  /** → failed. */
  fail(error: JobError): void {
    this.error = error;
    this.finish('failed');
  }

  /** → canceled. */
  cancel(): void {
    this.finish('canceled');
  }

  private finish(state: 'succeeded' | 'failed' | 'canceled'): void {
    if (isTerminal(this.state)) return;
    this.state = state;
    this.finishedAt = new Date();
    this.input = null;
    this.onInputDropped?.();
    this.lastProgressEvent = null;
    this.emit('event', this.terminalEvent()!);
    this.removeAllListeners('event');
  }

  /** The terminal event for a finished job, or null while it is live. */
  terminalEvent(): JobEvent | null {
    switch (this.state) {
      case 'succeeded':
        return { type: 'succeeded', results: this.results.map(({ width, height }) => ({ width, height })) };
      case 'failed':
        return { type: 'failed', error: this.error ?? { code: 'internal_error', message: 'the job failed' } };
      case 'canceled':
        return { type: 'canceled' };
      default:
        return null;
    }
  }

  /** The `GET /v1/jobs/:id` view; `position` comes from the queue. */
  toStatus(position: number | null): JobStatus {
    return {
      id: this.id,
      state: this.state,
      position: this.state === 'queued' ? position : null,
      items: this.items,
      progress: this.progress,
      error: this.error,
      createdAt: this.createdAt.toISOString(),
      startedAt: this.startedAt?.toISOString() ?? null,
      finishedAt: this.finishedAt?.toISOString() ?? null,
      results: this.results.map(({ width, height }) => ({ width, height })),
    };
  }
}
