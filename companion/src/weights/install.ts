/**
 * `weights install`: downloads the official Keras VGG-19 notop file (md5-verified, resumable) or copies a
 * local .h5 file / TF.js layers-model directory, validates it, and moves it atomically into `<home>/weights`.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ensureDataDir, weightsDir } from '../io/dataDir.js';
import { downloadWithResume, hashFiles } from './download.js';
import { WeightsError } from './errors.js';
import { inspectWeights, type InspectedWeights, type WeightsFormat } from './load.js';
import { H5_FILE, TFJS_DIR, writeManifest, type WeightsManifest } from './manifest.js';
import { createProgressPrinter, type DownloadProgress, type ProgressOutput } from './progress.js';
import { weightsStatus } from './status.js';
import { describeLayers } from './validate.js';

/** The official Keras location of the VGG-19 notop weights. */
export const OFFICIAL_WEIGHTS_URL =
  'https://storage.googleapis.com/tensorflow/keras-applications/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5';
/** md5 of the official file. */
export const OFFICIAL_WEIGHTS_MD5 = '253f8cb515780f3b799900260a226db6';

/** Options of `installWeights`. */
export interface InstallOptions {
  /** A local .h5 file, a TF.js layers-model directory (or its model.json), or an http(s) URL; default: the official URL. */
  from?: string;
  /** Replace weights that are already installed. */
  force?: boolean;
  /** Data directory (default: resolveDataDir's). */
  home?: string;
  /** Expected md5 of the file: default the official md5 for the official URL, unchecked for other sources; null disables. */
  expectedMd5?: string | null;
  /** One-line messages. */
  log?: (line: string) => void;
  /** Where the download progress goes (default process.stderr: a bar on a TTY, lines otherwise). */
  progress?: ProgressOutput | null;
  /** Also told each progress report (e.g. for the plugin, while `serve` downloads). */
  onProgress?: (p: DownloadProgress) => void;
  retries?: number;
  retryDelayMs?: number;
  signal?: AbortSignal;
}

/** What `installWeights` did. */
export interface InstallResult {
  path: string;
  format: WeightsFormat;
  layers: string[];
  source: string;
  md5: string | null;
  /** True when nothing was done because weights were already installed. */
  alreadyInstalled: boolean;
}

/** True for http(s) URLs. */
export function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

/** The `.part` file a download of `url` resumes from. */
export function partPathFor(weightsDirectory: string, url: string): string {
  return path.join(weightsDirectory, `download-${createHash('sha1').update(url).digest('hex').slice(0, 12)}.part`);
}

/** Installs VGG-19 weights into `<home>/weights` and writes its manifest; validates before anything replaces the current install. */
export async function installWeights(opts: InstallOptions = {}): Promise<InstallResult> {
  const log = opts.log ?? (() => {});
  const home = opts.home ?? ensureDataDir();
  const dir = weightsDir(home);
  const current = weightsStatus({ home });
  if (current.installed && !opts.force) {
    log(`VGG-19 weights already installed: ${current.path} (${describeLayers(current.layers)}); use --force to replace them`);
    return { path: current.path!, format: current.format!, layers: current.layers, source: current.source!, md5: current.md5, alreadyInstalled: true };
  }
  const from = opts.from ?? OFFICIAL_WEIGHTS_URL;
  const installed = isUrl(from) ? await installFromUrl(from, dir, opts, log) : await installFromPath(from, dir, opts, log);
  // Remove the other format's leftovers from an earlier install.
  const other = path.join(dir, installed.format === 'keras-h5' ? TFJS_DIR : H5_FILE);
  await rm(other, { recursive: true, force: true });
  log(`installed VGG-19 weights: ${describeLayers(installed.layers)} → ${installed.path}`);
  return { ...installed, alreadyInstalled: false };
}

async function recordManifest(dir: string, file: string, inspected: InspectedWeights, source: string, hashes: { md5: string; sha256: string; bytes: number }) {
  const m: WeightsManifest = {
    version: 1,
    format: inspected.format,
    file,
    source,
    md5: hashes.md5,
    sha256: hashes.sha256,
    bytes: hashes.bytes,
    layers: inspected.layers.map((l) => l.name),
    installedAt: new Date().toISOString(),
  };
  await writeManifest(dir, m);
  return { path: path.join(dir, file), format: m.format, layers: m.layers, source, md5: m.md5 };
}

async function installFromUrl(url: string, dir: string, opts: InstallOptions, log: (l: string) => void) {
  const expectedMd5 = opts.expectedMd5 !== undefined ? opts.expectedMd5 : url === OFFICIAL_WEIGHTS_URL ? OFFICIAL_WEIGHTS_MD5 : null;
  const part = partPathFor(dir, url);
  log(`downloading ${url}`);
  const printer = opts.progress === null ? null : createProgressPrinter(opts.progress ?? process.stderr);
  let hashes;
  try {
    hashes = await downloadWithResume({
      url,
      dest: part,
      expectedMd5,
      log: (l) => {
        printer?.done();
        log(l);
      },
      onProgress: (p) => {
        printer?.update(p);
        opts.onProgress?.(p);
      },
      retries: opts.retries,
      retryDelayMs: opts.retryDelayMs,
      signal: opts.signal,
    });
  } finally {
    printer?.done();
  }
  if (expectedMd5) log(`checksum ok (md5 ${hashes.md5})`);
  let inspected: InspectedWeights;
  try {
    inspected = await inspectWeights(part);
  } catch (err) {
    await unlink(part).catch(() => {});
    const msg = err instanceof Error ? err.message.replace(part, url) : String(err);
    throw new WeightsError('bad_weights', `the download is not usable Keras VGG-19 weights and was deleted (${msg})`);
  }
  await rename(part, path.join(dir, H5_FILE));
  return recordManifest(dir, H5_FILE, inspected, url, hashes);
}

async function installFromPath(from: string, dir: string, opts: InstallOptions, log: (l: string) => void) {
  const src = path.resolve(from);
  const inspected = await inspectWeights(src); // validates: readable, VGG-shaped, layers listed
  log(`validated ${src}: ${inspected.format}, ${describeLayers(inspected.layers.map((l) => l.name))}`);
  const tmp = path.join(dir, `.install-${process.pid}-${Date.now()}`);
  try {
    if (inspected.format === 'keras-h5') {
      await copyFile(src, tmp);
      const hashes = await hashFiles([tmp]);
      checkMd5(hashes.md5, opts.expectedMd5, src);
      await rename(tmp, path.join(dir, H5_FILE));
      return recordManifest(dir, H5_FILE, inspected, src, hashes);
    }
    const srcJson = (await stat(src)).isDirectory() ? path.join(src, 'model.json') : src;
    const manifest = JSON.parse(await readFile(srcJson, 'utf8')) as { weightsManifest: Array<{ paths: string[] }> };
    const files = ['model.json', ...manifest.weightsManifest.flatMap((g) => g.paths)];
    await mkdir(tmp, { mode: 0o700 });
    for (const f of files) await copyFile(f === 'model.json' ? srcJson : path.join(path.dirname(srcJson), f), path.join(tmp, f));
    const hashes = await hashFiles(files.map((f) => path.join(tmp, f)));
    const target = path.join(dir, TFJS_DIR);
    await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
    return recordManifest(dir, TFJS_DIR, inspected, src, hashes);
  } finally {
    if (existsSync(tmp)) await rm(tmp, { recursive: true, force: true });
  }
}

function checkMd5(actual: string, expected: string | null | undefined, src: string): void {
  if (!expected || actual === expected.toLowerCase()) return;
  throw new WeightsError('checksum_mismatch', `checksum mismatch for ${src}: md5 ${actual}, expected ${expected.toLowerCase()}`);
}
