/**
 * Bounds the decoded image pixels that jobs hold while they wait and run: per server and per team.
 * Decoded inputs stay in memory with their job (3–4 bytes a pixel), so without a bound a few small
 * uploads of huge flat images (a 63 MP all-zero PNG is 187 KB) could hold gigabytes. A job reserves
 * its pixels (read from the image headers) before anything is decoded, and releases them when it
 * finishes and drops its inputs.
 */
import { QueueFullError } from './queue.js';

/** Thrown when one job alone has more pixels than a team may hold (HTTP 413). */
export class JobTooLargeError extends Error {
  readonly code = 'job_too_large';
  constructor(pixels: number, maxPerTeam: number) {
    super(`the images of this job have ${mp(pixels)} megapixels; this server holds at most ${mp(maxPerTeam)} megapixels of waiting images per team`);
    this.name = 'JobTooLargeError';
  }
}

const mp = (pixels: number): string => (pixels / 1e6).toFixed(1);

/** Pixels held, for the whole server and by team. */
export class PixelBudget {
  private held = 0;
  private readonly byTeam = new Map<string, number>();

  constructor(
    /** Most pixels held by all jobs together. */
    readonly max: number,
    /** Most pixels held by one team's jobs. */
    readonly maxPerTeam: number,
  ) {}

  /** Pixels held by a team's jobs (or by all jobs). */
  heldBy(teamId?: string): number {
    return teamId === undefined ? this.held : (this.byTeam.get(teamId) ?? 0);
  }

  /**
   * Reserves `pixels` for a job of `teamId`; returns the release function (safe to call twice).
   * Throws JobTooLargeError when the job could never fit, QueueFullError `queue_memory_full`
   * (with `retryAfter` seconds) when it does not fit now.
   */
  reserve(teamId: string, pixels: number, retryAfter: () => number): () => void {
    const cap = Math.min(this.max, this.maxPerTeam);
    if (pixels > cap) throw new JobTooLargeError(pixels, cap);
    if (this.heldBy(teamId) + pixels > this.maxPerTeam || this.held + pixels > this.max) {
      throw new QueueFullError(retryAfter(), 'queue_memory_full', 'the queue holds as many image pixels as it may; retry when a job has finished');
    }
    this.add(teamId, pixels);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.add(teamId, -pixels);
    };
  }

  private add(teamId: string, pixels: number): void {
    this.held += pixels;
    const team = this.heldBy(teamId) + pixels;
    if (team > 0) this.byTeam.set(teamId, team);
    else this.byTeam.delete(teamId);
  }
}
