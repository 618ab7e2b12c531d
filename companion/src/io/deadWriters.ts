/**
 * Temporary files and folders carry the id of the process that writes them (`<prefix><pid>-…`),
 * so that what a killed process left behind (SIGKILL runs no cleanup) can be swept at the next
 * start without touching the files of writers that are still running.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Whether a process with this id exists (EPERM: it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The name of a temporary entry written by this process: `<prefix><pid>-<suffix>`. */
export function ownedName(prefix: string, suffix: string): string {
  return `${prefix}${process.pid}-${suffix}`;
}

/** Removes the entries of `dir` named `<prefix><pid>-…` whose process has exited; returns how many. */
export function sweepDeadWriters(dir: string, prefix: string): number {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)-/.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    try {
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      removed++;
    } catch {
      // Not ours to remove (another user's temp dir) or already gone.
    }
  }
  return removed;
}
