/**
 * The project's shared data (`../shared` beside the repository: real weights, photos, the PyTorch
 * references), which a plain clone does not have. Every test that reads it goes through here and
 * skips with the reason below when it is absent (test/unit/sharedAbsent.test.ts checks that the
 * suite passes without it).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** `../shared` beside the repository root. */
export const SHARED_DIR = path.resolve(import.meta.dirname, '../../../shared');

/** A path inside ../shared (which may not exist). */
export const sharedPath = (relative: string): string => path.join(SHARED_DIR, relative);

/** Why a test that needs these ../shared files cannot run, or undefined when they are all there. */
export function sharedMissing(...relatives: string[]): string | undefined {
  const absent = relatives.map(sharedPath).filter((p) => !existsSync(p));
  return absent.length ? `shared data absent: ${absent.join(', ')}` : undefined;
}
