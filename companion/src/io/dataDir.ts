/**
 * Atelier's per-user data directory: `$ATELIER_HOME`, default `~/.atelier`. Everything in it is
 * private to the user: folders 0700, files 0600, whichever command creates them first.
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** Mode of every folder Atelier creates in the data dir. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of every file Atelier creates in the data dir (token, database, images). */
export const PRIVATE_FILE_MODE = 0o600;

const POSIX = process.platform !== 'win32';

/** Creates `dir` (and parents) when missing and makes it 0700 (tightening an existing looser one). */
export function ensurePrivateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (POSIX) chmodSync(dir, PRIVATE_DIR_MODE);
  return dir;
}

/** Creates `file` empty when missing and makes it 0600 (before anything writes secrets into it). */
export function ensurePrivateFile(file: string): string {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  if (POSIX) chmodSync(file, PRIVATE_FILE_MODE);
  return file;
}

/** Returns the data directory ($ATELIER_HOME or ~/.atelier), creating it with mode 0700 when missing. */
export function atelierHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.ATELIER_HOME?.trim();
  const userHome = env.HOME || env.USERPROFILE || homedir();
  return ensurePrivateDir(path.resolve(configured ? configured : path.join(userHome, '.atelier')));
}

/** Returns `<home>/weights`, creating it (0700) when missing. */
export function weightsDir(home: string = atelierHome()): string {
  return ensurePrivateDir(path.join(home, 'weights'));
}
