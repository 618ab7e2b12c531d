/**
 * HTTP(S) download into a `.part` file with resume (HTTP Range), a clean restart when the server ignores
 * Range, retries on network/5xx errors, and md5 verification (a mismatching file is deleted).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { WeightsError } from './errors.js';
import type { DownloadProgress } from './progress.js';

/** md5 and sha256 (hex) plus size of one or more files read in order. */
export interface FileHashes {
  md5: string;
  sha256: string;
  bytes: number;
}

/** Hashes files as one byte stream (md5 + sha256). */
export async function hashFiles(files: string[]): Promise<FileHashes> {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  let bytes = 0;
  for (const f of files) {
    for await (const chunk of createReadStream(f)) {
      md5.update(chunk as Buffer);
      sha.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  }
  return { md5: md5.digest('hex'), sha256: sha.digest('hex'), bytes };
}

/** Options of `downloadWithResume`. */
export interface DownloadOptions {
  url: string;
  /** The `.part` file written (and resumed when it exists). */
  dest: string;
  /** Expected md5 (hex); null/undefined: not checked. */
  expectedMd5?: string | null;
  onProgress?: (p: DownloadProgress) => void;
  log?: (line: string) => void;
  /** Attempts after the first on network errors, 5xx or incomplete bodies (default 3). */
  retries?: number;
  /** Base delay between attempts, doubled each time (default 1000 ms). */
  retryDelayMs?: number;
  signal?: AbortSignal;
}

/** Result of a finished, verified download. */
export interface DownloadResult extends FileHashes {
  /** True when the transfer continued an existing .part file. */
  resumed: boolean;
}

/** Parses `Content-Range: bytes a-b/total` → {start, total}. */
export function parseContentRange(header: string | null): { start: number; total: number | null } | null {
  const m = /^bytes\s+(\d+)-\d+\/(\d+|\*)$/i.exec(header?.trim() ?? '');
  if (!m) return null;
  return { start: Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) };
}

const sizeOf = (f: string): number => (existsSync(f) ? statSync(f).size : 0);

/** Downloads `url` to `dest` (resuming a partial file), verifies the md5, and returns the hashes. */
export async function downloadWithResume(opts: DownloadOptions): Promise<DownloadResult> {
  const { url, dest, signal } = opts;
  const log = opts.log ?? (() => {});
  const retries = opts.retries ?? 3;
  const baseDelay = opts.retryDelayMs ?? 1000;
  const expected = opts.expectedMd5?.toLowerCase() ?? null;
  let lastError = 'unknown error';
  let cleanRetryDone = false;
  let attempt = 0;
  const retryLater = async (why: string): Promise<void> => {
    lastError = why;
    attempt++;
    if (attempt <= retries) {
      log(`${why}; retrying (${attempt}/${retries})`);
      await sleep(baseDelay * 2 ** (attempt - 1), undefined, { signal });
    }
  };

  while (attempt <= retries) {
    const start = sizeOf(dest);
    let res: Response;
    try {
      res = await fetch(url, { headers: start > 0 ? { Range: `bytes=${start}-` } : {}, signal, redirect: 'follow' });
    } catch (err) {
      if (signal?.aborted) throw err;
      await retryLater(`network error: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
      continue;
    }
    if (res.status === 416 && start > 0) {
      // Nothing left to fetch: the .part may already be complete (checked below) or bigger than the file.
      await res.body?.cancel();
      const done = await finish(start > 0);
      if (done) return done;
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      const why = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} from ${url}`;
      if (res.status >= 500 || res.status === 429) {
        await retryLater(why);
        continue;
      }
      throw new WeightsError('download_failed', `download failed: ${why}`);
    }
    let append = false;
    let total = Number(res.headers.get('content-length')) || null;
    if (start > 0) {
      const range = res.status === 206 ? parseContentRange(res.headers.get('content-range')) : null;
      if (range && range.start === start) {
        append = true;
        total = range.total;
        log(`resuming download at ${(start / 1024 / 1024).toFixed(1)} MB`);
      } else {
        log('the server does not support resuming; downloading from the start');
      }
    } else if (res.status === 206) {
      total = parseContentRange(res.headers.get('content-range'))?.total ?? null;
    }
    if (!res.body) {
      await retryLater('empty response body');
      continue;
    }
    const resumedFrom = append ? start : 0;
    const t0 = Date.now();
    const fh = await open(dest, append ? 'a' : 'w', 0o600);
    let received = resumedFrom;
    try {
      for await (const chunk of Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>)) {
        await fh.write(chunk as Buffer);
        received += (chunk as Buffer).length;
        const secs = Math.max(1e-3, (Date.now() - t0) / 1000);
        opts.onProgress?.({ received, total, resumedFrom, bytesPerSecond: (received - resumedFrom) / secs });
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      await fh.close();
      await retryLater(`connection lost after ${received} bytes (${(err as Error).message})`);
      continue;
    }
    await fh.close();
    if (total !== null && received !== total) {
      await retryLater(`incomplete download (${received} of ${total} bytes)`);
      continue;
    }
    const done = await finish(append);
    if (done) return done;
  }
  const hint = sizeOf(dest) > 0 ? 'run the command again to resume' : 'check the connection and run the command again';
  throw new WeightsError('download_failed', `download failed: ${lastError}; ${hint}`);

  /** Verifies the finished file; returns the result, or null to start over once after a bad resumed file. */
  async function finish(resumed: boolean): Promise<DownloadResult | null> {
    const h = await hashFiles([dest]);
    if (!expected || h.md5 === expected) return { ...h, resumed };
    await unlink(dest).catch(() => {});
    if (resumed && !cleanRetryDone) {
      cleanRetryDone = true;
      log(`checksum mismatch after resuming (md5 ${h.md5}); deleted the partial file, downloading again from the start`);
      return null;
    }
    throw new WeightsError(
      'checksum_mismatch',
      `checksum mismatch for ${url}: md5 ${h.md5}, expected ${expected}; the downloaded file was deleted`,
    );
  }
}
