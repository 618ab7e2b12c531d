/**
 * Style images on disk, content-addressed: `<dataDir>/style-images/<sha256>`. A file appears only
 * complete (temp file, fsync, rename, fsync of the directory) and is deleted by `collectGarbage` once
 * no preset references it. The `images` table holds each image's metadata.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../io/dataDir.js';
import { ownedName, sweepDeadWriters } from '../io/deadWriters.js';
import type { PresetsDb } from './db.js';

/** Folder of the style images inside the data dir. */
export const STYLE_IMAGES_DIR = 'style-images';

const HASH = /^[0-9a-f]{64}$/;
const TEMP_PREFIX = '.tmp-';

/** sha256 of bytes, hex. */
export function sha256Hex(data: Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** fsyncs a directory so a rename or unlink in it is durable (a no-op where the OS refuses, e.g. Windows). */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Directories cannot be opened/fsynced on some platforms; the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The content-addressed image files of one data dir. */
export class StyleImageFiles {
  /** Absolute folder holding the files. */
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = ensurePrivateDir(path.join(dataDir, STYLE_IMAGES_DIR));
  }

  /** Path of the file holding the image with this hash. */
  pathOf(sha256: string): string {
    if (!HASH.test(sha256)) throw new Error(`not a sha256 hex digest: ${sha256}`);
    return path.join(this.dir, sha256);
  }

  /** Whether a complete file for this hash exists with the expected size. */
  has(sha256: string, bytes: number): boolean {
    try {
      return fs.statSync(this.pathOf(sha256)).size === bytes;
    } catch {
      return false;
    }
  }

  /**
   * Durably writes `data` under its hash (async, for the slow path outside transactions). Always
   * writes, even when the file exists: skipping would answer faster for bytes another team already
   * stored, and that timing would tell one team what another has (the store is shared).
   */
  async write(sha256: string, data: Uint8Array): Promise<void> {
    const tmp = path.join(this.dir, ownedName(TEMP_PREFIX, crypto.randomBytes(6).toString('hex')));
    const handle = await fs.promises.open(tmp, 'wx', PRIVATE_FILE_MODE);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.promises.rename(tmp, this.pathOf(sha256));
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    fsyncDir(this.dir);
  }

  /** Synchronous `write`, used inside transactions when a concurrent GC removed a file meanwhile. */
  writeSync(sha256: string, data: Uint8Array): void {
    if (this.has(sha256, data.byteLength)) return;
    const tmp = path.join(this.dir, ownedName(TEMP_PREFIX, crypto.randomBytes(6).toString('hex')));
    const fd = fs.openSync(tmp, 'wx', PRIVATE_FILE_MODE);
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.pathOf(sha256));
    fsyncDir(this.dir);
  }

  /** Reads an image's bytes; null when the file is gone. */
  async read(sha256: string): Promise<Buffer | null> {
    try {
      return await fs.promises.readFile(this.pathOf(sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Deletes an image file if present (not durable until `fsyncDir`; GC calls it). */
  removeSync(sha256: string): void {
    fs.rmSync(this.pathOf(sha256), { force: true });
  }

  /** Hashes of the complete image files on disk. */
  listHashes(): string[] {
    return fs.readdirSync(this.dir).filter((n) => HASH.test(n));
  }

  /**
   * Deletes temp files left by writers that died: at once when their process is gone, and any
   * older than `maxAgeMs` (a writer whose pid was reused); returns how many.
   */
  sweepTemp(maxAgeMs: number): number {
    let removed = sweepDeadWriters(this.dir, TEMP_PREFIX);
    const now = Date.now();
    for (const name of fs.readdirSync(this.dir)) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const file = path.join(this.dir, name);
      try {
        // Date.now() has whole milliseconds while mtimeMs has a fraction: floor it, or a fresh file can look as if from the future.
        if (now - Math.floor(fs.statSync(file).mtimeMs) >= maxAgeMs) {
          fs.rmSync(file, { force: true });
          removed++;
        }
      } catch {
        // Renamed or removed by its writer meanwhile.
      }
    }
    return removed;
  }

  /** Makes earlier unlinks durable. */
  syncDir(): void {
    fsyncDir(this.dir);
  }
}

/** What `collectGarbage` removed. */
export interface GcReport {
  /** Image rows (and their files) no preset referenced. */
  images: number;
  /** Files on disk with no image row (left by writers that died before committing). */
  orphanFiles: number;
  /** Temp files of dead writers. */
  tempFiles: number;
}

/**
 * Deletes images no preset references: rows and files in one immediate transaction, so a concurrent
 * writer (which re-checks its files under the same lock) never ends up referencing a deleted file.
 * With `sweepDisk`, also removes files without a row and temp files older than `tempMaxAgeMs`.
 */
export function collectGarbage(
  db: PresetsDb,
  files: StyleImageFiles,
  options: { sweepDisk?: boolean; tempMaxAgeMs?: number } = {},
): GcReport {
  const report: GcReport = { images: 0, orphanFiles: 0, tempFiles: 0 };
  db.transaction(() => {
    const unused = db
      .prepare('SELECT sha256 FROM images WHERE sha256 NOT IN (SELECT sha256 FROM preset_styles)')
      .pluck()
      .all() as string[];
    const del = db.prepare('DELETE FROM images WHERE sha256 = ?');
    for (const hash of unused) {
      // Unlink before the row goes: a crash in between leaves an unreferenced row, collected next time.
      files.removeSync(hash);
      del.run(hash);
    }
    report.images = unused.length;
    if (options.sweepDisk) {
      const known = new Set(db.prepare('SELECT sha256 FROM images').pluck().all() as string[]);
      for (const hash of files.listHashes()) {
        if (!known.has(hash)) {
          files.removeSync(hash);
          report.orphanFiles++;
        }
      }
    }
  }).immediate();
  if (options.sweepDisk) report.tempFiles = files.sweepTemp(options.tempMaxAgeMs ?? 60 * 60 * 1000);
  if (report.images + report.orphanFiles + report.tempFiles > 0) files.syncDir();
  return report;
}
