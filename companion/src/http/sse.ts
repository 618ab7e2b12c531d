/**
 * Server-Sent Events for one job: a late subscriber first gets the current state (queued position,
 * latest progress with its preview, or the terminal event), then live events, heartbeats comments,
 * and the stream closes after the terminal event — or as soon as a periodic re-check finds that
 * the subscriber's token was revoked or rotated.
 */
import type { Request, Response } from 'express';
import type { JobEvent } from '../../../shared/protocol.js';
import type { Job } from '../jobs/job.js';

/** Open streams, so the app can end them at shutdown. */
export type StreamSet = Set<() => void>;

const TERMINAL_TYPES = new Set(['succeeded', 'failed', 'canceled']);

/** Formats one SSE message. */
export function formatSse(ev: JobEvent, id: number): string {
  return `id: ${id}\nevent: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`;
}

/** Streams a job's events on `res` until it ends, the client leaves, or the app closes. */
export function streamJobEvents(
  req: Request,
  res: Response,
  job: Job,
  position: () => number | null,
  opts: {
    heartbeatMs: number;
    streams: StreamSet;
    /** Re-checks the subscriber's token every `reauthMs`; the stream ends when it no longer holds. */
    stillValid: () => Promise<boolean>;
    reauthMs: number;
  },
): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write('retry: 3000\n\n');
  let seq = 0;
  let open = true;
  const send = (ev: JobEvent): void => {
    if (open) res.write(formatSse(ev, ++seq));
  };
  const close = (): void => {
    if (!open) return;
    open = false;
    clearInterval(heartbeat);
    clearInterval(reauth);
    job.off('event', onEvent);
    opts.streams.delete(close);
    res.end();
  };
  const onEvent = (ev: JobEvent): void => {
    send(ev);
    if (TERMINAL_TYPES.has(ev.type)) close();
  };
  const heartbeat = setInterval(() => {
    if (open) res.write(': ping\n\n');
  }, opts.heartbeatMs);
  heartbeat.unref();
  const reauth = setInterval(() => {
    opts.stillValid().then(
      (ok) => (ok ? undefined : close()),
      () => close(),
    );
  }, opts.reauthMs);
  reauth.unref();
  opts.streams.add(close);
  req.on('close', close);

  const terminal = job.terminalEvent();
  if (terminal) {
    send(terminal);
    close();
    return;
  }
  if (job.state === 'queued') send({ type: 'queued', position: position() ?? 0 });
  else if (job.lastProgressEvent) send(job.lastProgressEvent);
  job.on('event', onEvent);
}
