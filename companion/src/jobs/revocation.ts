/**
 * Revoking a team cancels its jobs. A revoke may come from another process (`atelier teams revoke`
 * writes the shared store while `atelier serve` runs), so the server polls the store for revoked
 * teams and cancels their waiting and running jobs (they end as `canceled`); `cancelTeam` is a
 * no-op for a team with no live job, so polling costs one small query.
 */
import type { Logger } from 'pino';

/** What the watcher needs: the revoked teams' ids, and a queue that cancels a team's jobs. */
export interface RevocationWatchOptions {
  revokedTeams: () => string[] | Promise<string[]>;
  cancelTeam: (teamId: string) => number | Promise<number>;
  /** How often the store is read (default 1 s: a revoked team's work stops within about a second). */
  everyMs?: number;
  logger?: Logger;
}

/** Polls for revoked teams on an unref'd timer; `check()` runs one poll now, `stop()` ends polling. */
export function watchRevokedTeams(opts: RevocationWatchOptions): { check(): Promise<void>; stop(): void } {
  let busy = false;
  const check = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      for (const teamId of await opts.revokedTeams()) {
        const n = await opts.cancelTeam(teamId);
        if (n) opts.logger?.info({ team: teamId, jobs: n }, "team revoked: its jobs are canceled");
      }
    } catch (err) {
      opts.logger?.warn({ err }, 'could not read the revoked teams');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void check(), opts.everyMs ?? 1000);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
