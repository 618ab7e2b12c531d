/**
 * Atelier's per-user data directory: where it is (`--data-dir`, else `$ATELIER_HOME`, else
 * `~/.atelier`: resolveDataDir, for every command) and how it is kept private to the user: folders
 * 0700, files 0600, whichever command creates them first.
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

/** How the data directory is chosen, for help texts and messages. */
export const DATA_DIR_DEFAULT = '$ATELIER_HOME or ~/.atelier';

/**
 * The data directory, the one resolver every command uses: the `--data-dir` flag when given, else
 * `$ATELIER_HOME` (surrounding blanks ignored), else `.atelier` in the user's home folder. Always
 * absolute, so that every command prints and uses the same path whatever the working directory
 * (a relative `$ATELIER_HOME` used to be printed relative by some commands and absolute by
 * others). Creates nothing.
 */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const configured = flag || env.ATELIER_HOME?.trim();
  const userHome = env.HOME || env.USERPROFILE || homedir();
  return path.resolve(configured ? configured : path.join(userHome, '.atelier'));
}

/** The data directory as resolveDataDir says, created with mode 0700 when missing. */
export function ensureDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return ensurePrivateDir(resolveDataDir(flag, env));
}

/** Returns `<home>/weights`, creating it (0700) when missing. */
export function weightsDir(home: string = ensureDataDir()): string {
  return ensurePrivateDir(path.join(home, 'weights'));
}
