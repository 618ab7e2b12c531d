/** Atelier's per-user data directory: `$ATELIER_HOME`, default `~/.atelier`, created private (0700). */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** Returns the data directory ($ATELIER_HOME or ~/.atelier), creating it with mode 0700 when missing. */
export function atelierHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.ATELIER_HOME?.trim();
  const userHome = env.HOME || env.USERPROFILE || homedir();
  const dir = path.resolve(configured ? configured : path.join(userHome, '.atelier'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Returns `<home>/weights`, creating it (0700) when missing. */
export function weightsDir(home: string = atelierHome()): string {
  const dir = path.join(home, 'weights');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
