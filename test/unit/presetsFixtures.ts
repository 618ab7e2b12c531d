/** Fixtures of the preset tests: temp data dirs and tiny, distinct PNG/JPEG style images. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { vi } from 'vitest';
import { main } from '../../companion/src/cli.js';

/** A fresh temp data dir (removed by `removeDir`). */
export function tempDataDir(prefix = 'atelier-presets-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Deletes a temp dir. */
export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A w×h PNG of seeded random pixels: different seeds give different bytes. */
export async function pngImage(seed: number, w = 8, h = 6): Promise<Buffer> {
  const raw = Buffer.alloc(w * h * 3);
  let x = crypto.createHash('sha256').update(`seed${seed}`).digest();
  for (let i = 0; i < raw.length; i++) {
    if (i % 32 === 0) x = crypto.createHash('sha256').update(x).digest();
    raw[i] = x[i % 32];
  }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}

/** A small JPEG. */
export async function jpegImage(seed: number): Promise<Buffer> {
  return sharp(await pngImage(seed, 10, 10)).jpeg({ quality: 80 }).toBuffer();
}

/** Runs the CLI; returns exit code, stdout and stderr. */
export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}

