/**
 * How teams share a job server: the one rule every queue implementation follows (the embedded
 * JobQueue here; a Redis queue keeps the same state in Redis and applies the same rule). Pure: no
 * clock (callers pass `now`), no I/O.
 *
 * 1. Start order — round-robin between teams with waiting jobs. The teams form a ring in the
 *    order they got a waiting job. When a worker takes its next job it takes the oldest waiting job
 *    of the team at the head of the ring; that team goes to the back of the ring if it still has
 *    waiting jobs, and leaves the ring otherwise. So with N teams waiting every team gets one start
 *    in every N (never fewer than 1/N of the starts, within one job), and a lone team gets them all.
 *    Within a team, jobs start in submission order.
 *
 * 2. Admission — a fair share of a bounded resource (waiting jobs, decoded pixels): a team may hold
 *    at most `min(perTeamCap, floor(total / contenders))`, where contenders are the teams holding
 *    some of it plus the teams refused recently (a refused team holds a claim for as long as it
 *    was told to wait, plus a grace). A freed place therefore goes to the team that was refused, not
 *    to whichever team that already holds its share asks first; a lone team may hold up to its cap.
 *
 * 3. Retry-After — the backlog ahead of that team under rule 1 (see `jobsAheadOfTeam`).
 */

/** Grace added to a refused team's claim: the time a client may take to come back after its Retry-After. */
export const CLAIM_GRACE_MS = 30_000;

/** Waiting jobs of every team, started round-robin (rule 1). */
export class RoundRobin<J> {
  /** Teams with waiting jobs, in the order they will be served. */
  private readonly ring: string[] = [];
  private readonly byTeam = new Map<string, J[]>();

  /** Jobs waiting, all teams together. */
  get size(): number {
    let n = 0;
    for (const jobs of this.byTeam.values()) n += jobs.length;
    return n;
  }

  /** Jobs of `teamId` waiting. */
  count(teamId: string): number {
    return this.byTeam.get(teamId)?.length ?? 0;
  }

  /** Teams with waiting jobs. */
  teams(): string[] {
    return [...this.ring];
  }

  /** Adds a job behind the team's other waiting jobs; a team new to the ring joins at its back. */
  push(teamId: string, job: J): void {
    const jobs = this.byTeam.get(teamId);
    if (jobs) jobs.push(job);
    else {
      this.byTeam.set(teamId, [job]);
      this.ring.push(teamId);
    }
  }

  /** Takes the next job to start: the oldest of the team at the head of the ring, which then moves to the back. */
  take(): J | undefined {
    const teamId = this.ring.shift();
    if (teamId === undefined) return undefined;
    const jobs = this.byTeam.get(teamId)!;
    const job = jobs.shift()!;
    if (jobs.length) this.ring.push(teamId);
    else this.byTeam.delete(teamId);
    return job;
  }

  /** Removes a waiting job (canceled); false when it is not waiting. */
  remove(teamId: string, job: J): boolean {
    const jobs = this.byTeam.get(teamId);
    const i = jobs?.indexOf(job) ?? -1;
    if (!jobs || i < 0) return false;
    jobs.splice(i, 1);
    if (!jobs.length) {
      this.byTeam.delete(teamId);
      this.ring.splice(this.ring.indexOf(teamId), 1);
    }
    return true;
  }

  /** Removes and returns every waiting job of a team. */
  removeTeam(teamId: string): J[] {
    const jobs = this.byTeam.get(teamId) ?? [];
    if (jobs.length) {
      this.byTeam.delete(teamId);
      this.ring.splice(this.ring.indexOf(teamId), 1);
    }
    return jobs;
  }

  /** Removes and returns every waiting job. */
  clear(): J[] {
    const all = this.order();
    this.byTeam.clear();
    this.ring.length = 0;
    return all;
  }

  /**
   * The order the waiting jobs will start in if nothing else arrives: round k holds the k-th job of
   * every team that has one, teams in ring order. A job's index here is its queue position.
   */
  order(): J[] {
    const out: J[] = [];
    const lists = this.ring.map((t) => this.byTeam.get(t)!);
    for (let k = 0; out.length < this.size; k++) for (const jobs of lists) if (k < jobs.length) out.push(jobs[k]);
    return out;
  }

  /**
   * The jobs that start before a new job of `teamId` would, were it submitted now (or, with
   * `first`, before that team's oldest waiting job): the backlog Retry-After is estimated from.
   */
  jobsAheadOfTeam(teamId: string, { first = false } = {}): J[] {
    const order = this.order();
    if (first) {
      const head = this.byTeam.get(teamId)?.[0];
      const i = head === undefined ? -1 : order.indexOf(head);
      return i < 0 ? order : order.slice(0, i);
    }
    // A new job is the team's (count+1)-th: it starts after `count` rounds, and in that round after
    // the teams ahead of it in the ring (a team not in the ring joins at its back).
    const mine = this.count(teamId);
    const at = this.ring.indexOf(teamId);
    const pos = at < 0 ? this.ring.length : at;
    return this.ring.flatMap((t, r) => (this.byTeam.get(t) ?? []).slice(0, mine + (r < pos ? 1 : 0)));
  }
}

/** A team's fair share of `total` (rule 2): at most its cap, and an equal part when `contenders` teams want some. */
export function fairShare(total: number, perTeamCap: number, contenders: number, { integer = true } = {}): number {
  const part = total / Math.max(1, contenders);
  return Math.min(perTeamCap, integer ? Math.max(1, Math.floor(part)) : part);
}

/** Teams refused recently, each until its claim expires (rule 2). */
export class Claims {
  private readonly until = new Map<string, number>();

  /** Records that `teamId` was refused and told to wait `retryAfterSeconds`. */
  claim(teamId: string, retryAfterSeconds: number, now: number): void {
    const end = now + retryAfterSeconds * 1000 + CLAIM_GRACE_MS;
    this.until.set(teamId, Math.max(end, this.until.get(teamId) ?? 0));
  }

  /** Drops a team's claim (it got in, or it was revoked). */
  drop(teamId: string): void {
    this.until.delete(teamId);
  }

  /** Teams whose claim has not expired at `now`. */
  active(now: number): string[] {
    const out: string[] = [];
    for (const [teamId, end] of this.until) {
      if (end > now) out.push(teamId);
      else this.until.delete(teamId);
    }
    return out;
  }
}

/** Contenders for a resource: the teams holding some, the teams with a live claim, and the asking team. */
export function contenders(holders: Iterable<string>, claims: Claims, asking: string, now: number): number {
  return new Set([...holders, ...claims.active(now), asking]).size;
}
