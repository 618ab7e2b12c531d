/**
 * The pairing token: a random secret generated on first start, stored in the data dir with mode
 * 0600, printed by `atelier serve`, pasted once into the plugin, rotated by `atelier token rotate`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from './io/dataDir.js';

/** File name of the pairing token inside the data dir. */
export const TOKEN_FILE = 'token';

/** The team id requests authenticated with the pairing token act as. */
export const LOCAL_TEAM_ID = 'local';

/** Path of the token file in a data dir. */
export function tokenPath(dataDir: string): string {
  return path.join(dataDir, TOKEN_FILE);
}

/** A fresh token (the pairing token and team tokens alike): `atl_` + 32 random bytes, base64url. */
export function generateToken(): string {
  return `atl_${randomBytes(32).toString('base64url')}`;
}

async function writeTokenFile(file: string, token: string): Promise<void> {
  ensurePrivateDir(path.dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${token}\n`, { mode: PRIVATE_FILE_MODE });
  await chmod(tmp, PRIVATE_FILE_MODE);
  await rename(tmp, file);
}

/** Reads the token, creating it (0600) on first use; tightens looser permissions of an existing file. */
export async function loadOrCreateToken(dataDir: string): Promise<{ token: string; path: string; created: boolean }> {
  const file = tokenPath(dataDir);
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token.length >= 16) {
      const st = await stat(file);
      if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) await chmod(file, PRIVATE_FILE_MODE);
      return { token, path: file, created: false };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = generateToken();
  await writeTokenFile(file, token);
  return { token, path: file, created: true };
}

/** Replaces the token with a new one (atomically, 0600) and returns it; the old one stops working. */
export async function rotateToken(dataDir: string): Promise<string> {
  const token = generateToken();
  await writeTokenFile(tokenPath(dataDir), token);
  return token;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Constant-time comparison of two secrets. */
export function tokensEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * An `authenticate` function for `createApp` backed by the token file: re-reads it when it changes
 * (so `atelier token rotate` takes effect on a running server) and maps the token to LOCAL_TEAM_ID.
 */
export function fileTokenAuthenticator(dataDir: string, initial: string): (token: string) => Promise<{ teamId: string } | null> {
  const file = tokenPath(dataDir);
  let current = initial;
  let mtimeMs = -1;
  return async (token) => {
    try {
      const st = await stat(file);
      if (st.mtimeMs !== mtimeMs) {
        const text = (await readFile(file, 'utf8')).trim();
        if (text.length >= 16) current = text;
        mtimeMs = st.mtimeMs;
      }
    } catch {
      // keep the token in memory when the file disappeared
    }
    return tokensEqual(token, current) ? { teamId: LOCAL_TEAM_ID } : null;
  };
}
