/** The install manifest `<home>/weights/manifest.json`: what is installed, from where, which layers. */
import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WeightsFormat } from './load.js';

/** File name of the install manifest inside the weights directory. */
export const MANIFEST_FILE = 'manifest.json';
/** Installed Keras file name. */
export const H5_FILE = 'vgg19_notop.h5';
/** Installed TF.js layers-model directory name. */
export const TFJS_DIR = 'vgg19_tfjs';

/** Contents of manifest.json. */
export interface WeightsManifest {
  version: 1;
  format: WeightsFormat;
  /** Installed file or directory, relative to the weights directory. */
  file: string;
  /** Where it came from: a URL or an absolute local path. */
  source: string;
  /** md5 / sha256 of the .h5 file, or of a TF.js model's files concatenated in manifest order. */
  md5: string;
  sha256: string;
  bytes: number;
  /** Keras layer names covered, in VGG-19 order. */
  layers: string[];
  installedAt: string;
}

/** Reads the manifest of a weights directory; null when missing or unreadable. */
export function readManifest(weightsDirectory: string): WeightsManifest | null {
  const file = path.join(weightsDirectory, MANIFEST_FILE);
  if (!existsSync(file)) return null;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as WeightsManifest;
    if (m && (m.format === 'keras-h5' || m.format === 'tfjs-layers') && typeof m.file === 'string' && Array.isArray(m.layers)) return m;
  } catch {
    /* unreadable manifest: treated as not installed */
  }
  return null;
}

/** Writes the manifest atomically (temp file + rename). */
export async function writeManifest(weightsDirectory: string, m: WeightsManifest): Promise<void> {
  const file = path.join(weightsDirectory, MANIFEST_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(m, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, file);
}
