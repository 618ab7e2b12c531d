/**
 * Bounds the decoded image pixels that jobs hold while they wait and run: per server and per team.
 * Decoded inputs stay in memory with their job (3–4 bytes a pixel), so without a bound a few small
 * uploads of huge flat images (a 63 MP all-zero PNG is 187 KB) could hold gigabytes. A job reserves
 * its pixels (read from the image headers) before anything is decoded, and releases them when it
 * finishes and drops its inputs. Teams share the server's pixels fairly (fairness.ts rule 2): a team
 * already holding pixels may hold at most its fair share, and a team refused while under it claims
 * the pixels freed next.
 */
import { Claims, contenders, fairShare } from './fairness.js';
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
  private readonly claims = new Claims();

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

  /** Pixels `teamId` may hold now: its fair share among the teams holding pixels or refused. */
  shareOf(teamId: string, now = Date.now()): number {
    return fairShare(this.max, this.maxPerTeam, contenders(this.byTeam.keys(), this.claims, teamId, now), { integer: false });
  }

  /**
   * Throws JobTooLargeError when a job of `pixels` could never fit, QueueFullError
   * `queue_memory_full` (with `retryAfter` seconds) when it does not fit now: over the team's fair
   * share (a team holding nothing is never held to it), or over what the server holds — then the
   * team claims the next pixels freed. `teamOnly`: only the team's share is checked (admission
   * before the body, when the job's pixels are not known yet).
   */
  check(teamId: string, pixels: number, retryAfter: () => number, { teamOnly = false } = {}): void {
    const cap = Math.min(this.max, this.maxPerTeam);
    if (pixels > cap) throw new JobTooLargeError(pixels, cap);
    const mine = this.heldBy(teamId);
    if (mine + pixels > this.maxPerTeam || (mine > 0 && mine + pixels > this.shareOf(teamId))) {
      throw new QueueFullError(retryAfter(), 'queue_memory_full', "your team's jobs hold their share of the queue's image pixels; retry when one has finished");
    }
    if (!teamOnly && this.held + pixels > this.max) {
      const err = new QueueFullError(retryAfter(), 'queue_memory_full', 'the queue holds as many image pixels as it may; retry when a job has finished');
      this.claims.claim(teamId, err.retryAfter, Date.now());
      throw err;
    }
  }

  /** Reserves `pixels` for a job of `teamId` (see `check`); returns the release function (safe to call twice). */
  reserve(teamId: string, pixels: number, retryAfter: () => number): () => void {
    this.check(teamId, pixels, retryAfter);
    this.claims.drop(teamId);
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
