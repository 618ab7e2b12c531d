/**
 * Admission of a job upload from its headers, before its body is read: the team's share of the
 * queue, its share of decoded pixels (from the declared-pixels header, shared/protocol.ts
 * DECLARED_PIXELS_HEADER), and a cap on the team's uploads read at the same time. A refused
 * request gets its 429 (with Retry-After) at once, before the multipart parser sees a byte of its
 * body: Node discards what the client still sends without holding it (closing the connection
 * instead would make fetch clients report a reset connection, not the 429). Mounted ahead of the
 * multipart parser; the queue behind it is anything that implements `AdmissionControl` (the
 * embedded JobQueue + PixelBudget, or a Redis queue).
 */
import type { RequestHandler, Response } from 'express';
import { DECLARED_PIXELS_HEADER } from '../../../shared/protocol.js';
import { QueueFullError } from '../jobs/queue.js';
import { teamOf } from './auth.js';
import { HttpError } from './errors.js';

/** What admission asks of a queue; each throws the error the client should get (QueueFullError → 429). */
export interface AdmissionControl {
  /** Throws unless a job of this team could be queued now (its share of the queue). */
  checkRoom(teamId: string): void | Promise<void>;
  /**
   * Throws unless this team's jobs could hold `pixels` more decoded pixels now (its share of them,
   * and what the server holds); with `pixels` undefined (not declared), unless the team has any room
   * left in its share.
   */
  checkPixels(teamId: string, pixels: number | undefined): void | Promise<void>;
}

/** One upload being read. */
interface Upload {
  startedAt: number;
  /** The socket's bytesRead when it started, and the body's declared length (0 when chunked). */
  bytesAtStart: number;
  length: number;
  socket: { bytesRead: number };
}

/** Uploads being read, per team, capped (a body is held in memory while it arrives). */
export class UploadSlots {
  private readonly byTeam = new Map<string, Set<Upload>>();

  constructor(readonly maxPerTeam: number) {}

  /** Uploads of `teamId` being read now. */
  inFlight(teamId: string): number {
    return this.byTeam.get(teamId)?.size ?? 0;
  }

  /** Takes a slot for this upload; throws QueueFullError `too_many_uploads` when the team has none free. Returns the release function. */
  take(teamId: string, socket: { bytesRead: number }, length: number, now = Date.now()): () => void {
    const mine = this.byTeam.get(teamId) ?? new Set<Upload>();
    if (mine.size >= this.maxPerTeam) {
      throw new QueueFullError(this.retryAfterSeconds(mine, now), 'too_many_uploads', `your team is already uploading ${mine.size} jobs; retry when one has arrived`);
    }
    const upload: Upload = { startedAt: now, bytesAtStart: socket.bytesRead, length, socket };
    mine.add(upload);
    this.byTeam.set(teamId, mine);
    return () => {
      mine.delete(upload);
      if (!mine.size && this.byTeam.get(teamId) === mine) this.byTeam.delete(teamId);
    };
  }

  /** Seconds until the team's first upload should have arrived, at the rate each has arrived so far (1..60). */
  private retryAfterSeconds(uploads: Set<Upload>, now: number): number {
    let best = 60;
    for (const u of uploads) {
      const received = u.socket.bytesRead - u.bytesAtStart;
      const elapsed = (now - u.startedAt) / 1000;
      if (u.length > 0 && received > 0 && elapsed > 0) best = Math.min(best, (u.length - received) / (received / elapsed));
    }
    return Math.min(60, Math.max(1, Math.ceil(best)));
  }
}

/** The declared pixels of a request (parsed by `admission`), or undefined when it sent none. */
export function declaredPixels(res: Response): number | undefined {
  return res.locals.declaredPixels as number | undefined;
}

/** 400 `pixels_mismatch` when the uploaded images hold more pixels than the request declared. */
export function checkDeclaredPixels(res: Response, uploadedPixels: number): void {
  const declared = declaredPixels(res);
  if (declared !== undefined && uploadedPixels > declared) {
    throw new HttpError(400, 'pixels_mismatch', `the uploaded images have ${uploadedPixels} pixels, more than the ${declared} declared in ${DECLARED_PIXELS_HEADER}`);
  }
}

/** Parses the declared-pixels header → 400 `bad_header` when it is not a whole number. */
function parseDeclared(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value.trim())) {
    throw new HttpError(400, 'bad_header', `${DECLARED_PIXELS_HEADER} must be a whole number of pixels`);
  }
  return Number(value.trim());
}

/**
 * Middleware admitting a job upload from its headers: queue share, pixel share (of the declared
 * pixels; without the header, a team with no room left in its share is refused at once), then an
 * upload slot held until the answer is sent.
 */
export function admission(control: AdmissionControl, slots: UploadSlots): RequestHandler {
  return (req, res, next) => {
    void (async () => {
      const teamId = teamOf(req);
      const declared = parseDeclared(req.headers[DECLARED_PIXELS_HEADER.toLowerCase()]);
      await control.checkRoom(teamId);
      await control.checkPixels(teamId, declared);
      const release = slots.take(teamId, req.socket, Number(req.headers['content-length'] ?? 0));
      res.once('close', release);
      if (declared !== undefined) res.locals.declaredPixels = declared;
    })().then(() => next(), next);
  };
}
