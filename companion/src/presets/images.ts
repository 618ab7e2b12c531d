/**
 * Style images on disk, content-addressed per team: `<dataDir>/style-images/<team id>/<sha256>`. A
 * file appears only complete (temp file, fsync, rename, fsync of the directory) and is deleted by
 * `collectGarbage` once no preset of its team references it. The `images` table holds one row per
 * team and image. Nothing is shared between teams: what a team's write or delete does never depends
 * on whether another team holds the same bytes (so its timing cannot tell).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../io/dataDir.js';
import { ownedName, sweepDeadWriters } from '../io/deadWriters.js';
import type { PresetsDb } from './db.js';
import { sha256Hex } from './hash.js';

export { sha256Hex } from './hash.js';

/** Folder of the style images inside the data dir. */
export const STYLE_IMAGES_DIR = 'style-images';

const HASH = /^[0-9a-f]{64}$/;
/** Team ids are `local` or `team_<base64url>` (teams.ts): safe as folder names. */
const TEAM_DIR = /^[A-Za-z0-9_-]{1,64}$/;
const TEMP_PREFIX = '.tmp-';

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

/** The content-addressed image files of one data dir, one folder per team. */
export class StyleImageFiles {
  /** Absolute folder holding the teams' folders. */
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = ensurePrivateDir(path.join(dataDir, STYLE_IMAGES_DIR));
  }

  /** The team's folder (created on first use). */
  teamDir(teamId: string): string {
    if (!TEAM_DIR.test(teamId)) throw new Error(`not a team id: ${teamId}`);
    return path.join(this.dir, teamId);
  }

  /** Path of the file holding the team's image with this hash. */
  pathOf(teamId: string, sha256: string): string {
    if (!HASH.test(sha256)) throw new Error(`not a sha256 hex digest: ${sha256}`);
    return path.join(this.teamDir(teamId), sha256);
  }

  /** Whether a complete file for this hash exists with the expected size. */
  has(teamId: string, sha256: string, bytes: number): boolean {
    try {
      return fs.statSync(this.pathOf(teamId, sha256)).size === bytes;
    } catch {
      return false;
    }
  }

  /**
   * Durably writes `data` under its hash (async, for the slow path outside transactions). Always
   * writes, even when the file exists: skipping would answer faster for bytes the team stored before.
   */
  async write(teamId: string, sha256: string, data: Uint8Array): Promise<void> {
    const dir = ensurePrivateDir(this.teamDir(teamId));
    const tmp = path.join(dir, ownedName(TEMP_PREFIX, crypto.randomBytes(6).toString('hex')));
    const handle = await fs.promises.open(tmp, 'wx', PRIVATE_FILE_MODE);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.promises.rename(tmp, this.pathOf(teamId, sha256));
    } catch (err) {
      await fs.promises.rm(tmp, { force: true });
      throw err;
    }
    fsyncDir(dir);
  }

  /** Synchronous `write`, used inside transactions when a concurrent GC removed a file meanwhile. */
  writeSync(teamId: string, sha256: string, data: Uint8Array): void {
    if (this.has(teamId, sha256, data.byteLength)) return;
    const dir = ensurePrivateDir(this.teamDir(teamId));
    const tmp = path.join(dir, ownedName(TEMP_PREFIX, crypto.randomBytes(6).toString('hex')));
    const fd = fs.openSync(tmp, 'wx', PRIVATE_FILE_MODE);
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.pathOf(teamId, sha256));
    fsyncDir(dir);
  }

  /** Reads an image's bytes; null when the file is gone. */
  async read(teamId: string, sha256: string): Promise<Buffer | null> {
    try {
      return await fs.promises.readFile(this.pathOf(teamId, sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Deletes an image file if present (not durable until `syncDir`; GC calls it). */
  removeSync(teamId: string, sha256: string): void {
    fs.rmSync(this.pathOf(teamId, sha256), { force: true });
  }

  /** The team folders on disk. */
  teams(): string[] {
    return fs
      .readdirSync(this.dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && TEAM_DIR.test(e.name))
      .map((e) => e.name);
  }

  /** Hashes of the team's complete image files on disk. */
  listHashes(teamId: string): string[] {
    try {
      return fs.readdirSync(this.teamDir(teamId)).filter((n) => HASH.test(n));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** Files of the schema-1 layout (`style-images/<sha256>`, shared by all teams) still on disk. */
  legacyHashes(): string[] {
    return fs.readdirSync(this.dir).filter((n) => HASH.test(n));
  }

  /** Durably copies a schema-1 file into the team's folder (the legacy file stays until the sweep). */
  adoptLegacySync(teamId: string, sha256: string): boolean {
    if (!HASH.test(sha256)) return false;
    let data: Buffer;
    try {
      data = fs.readFileSync(path.join(this.dir, sha256));
    } catch {
      return false;
    }
    if (sha256Hex(data) !== sha256) return false;
    this.writeSync(teamId, sha256, data);
    return true;
  }

  /** Removes a schema-1 file. */
  removeLegacySync(sha256: string): void {
    if (HASH.test(sha256)) fs.rmSync(path.join(this.dir, sha256), { force: true });
  }

  /**
   * Deletes temp files left by writers that died: at once when their process is gone, and any
   * older than `maxAgeMs` (a writer whose pid was reused); returns how many.
   */
  sweepTemp(maxAgeMs: number): number {
    let removed = 0;
    for (const dir of [this.dir, ...this.teams().map((t) => this.teamDir(t))]) {
      removed += sweepDeadWriters(dir, TEMP_PREFIX);
      const now = Date.now();
      for (const name of fs.readdirSync(dir)) {
        if (!name.startsWith(TEMP_PREFIX)) continue;
        const file = path.join(dir, name);
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
    }
    return removed;
  }

  /** Makes earlier unlinks in the team's folder (or, without a team, in every folder) durable. */
  syncDir(teamId?: string): void {
    if (teamId) return fsyncDir(this.teamDir(teamId));
    for (const t of this.teams()) fsyncDir(this.teamDir(t));
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
 * Deletes a team's images none of its presets references (or, without `teamId`, every team's): rows
 * and files in one immediate transaction, so a concurrent writer (which re-checks its files under the
 * same lock) never ends up referencing a deleted file. With `sweepDisk`, also removes files without
 * a row, temp files older than `tempMaxAgeMs`, and moves schema-1 files into their teams' folders.
 */
export function collectGarbage(
  db: PresetsDb,
  files: StyleImageFiles,
  options: { teamId?: string; sweepDisk?: boolean; tempMaxAgeMs?: number } = {},
): GcReport {
  const report: GcReport = { images: 0, orphanFiles: 0, tempFiles: 0 };
  const team = options.teamId;
  db.transaction(() => {
    // Only the team's own rows: the work is the same whatever other teams hold.
    const unused = db
      .prepare(
        `SELECT i.team_id, i.sha256 FROM images i WHERE ${team === undefined ? '' : 'i.team_id = @team AND '}NOT EXISTS (
           SELECT 1 FROM preset_styles s JOIN presets p ON p.id = s.preset_id WHERE p.team_id = i.team_id AND s.sha256 = i.sha256)`,
      )
      .all(team === undefined ? {} : { team }) as Array<{ team_id: string; sha256: string }>;
    const del = db.prepare('DELETE FROM images WHERE team_id = ? AND sha256 = ?');
    for (const { team_id, sha256 } of unused) {
      // Unlink before the row goes: a crash in between leaves an unreferenced row, collected next time.
      files.removeSync(team_id, sha256);
      del.run(team_id, sha256);
    }
    report.images = unused.length;
    if (options.sweepDisk) report.orphanFiles = sweepDisk(db, files);
  }).immediate();
  if (options.sweepDisk) report.tempFiles = files.sweepTemp(options.tempMaxAgeMs ?? 60 * 60 * 1000);
  if (report.images + report.orphanFiles + report.tempFiles > 0) files.syncDir(team);
  return report;
}

/** Inside GC's transaction: adopts schema-1 files, then removes files without a row; returns how many went. */
function sweepDisk(db: PresetsDb, files: StyleImageFiles): number {
  const rows = db.prepare('SELECT team_id, sha256, bytes FROM images').all() as Array<{ team_id: string; sha256: string; bytes: number }>;
  const legacy = files.legacyHashes();
  if (legacy.length > 0) {
    for (const r of rows) if (!files.has(r.team_id, r.sha256, r.bytes)) files.adoptLegacySync(r.team_id, r.sha256);
  }
  let removed = 0;
  for (const hash of legacy) {
    files.removeLegacySync(hash);
    removed++;
  }
  const known = new Set(rows.map((r) => `${r.team_id}/${r.sha256}`));
  for (const team of files.teams()) {
    for (const hash of files.listHashes(team)) {
      if (!known.has(`${team}/${hash}`)) {
        files.removeSync(team, hash);
        removed++;
      }
    }
  }
  return removed;
}
