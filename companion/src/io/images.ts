/**
 * Image I/O for the companion: decode JPEG/PNG/WebP/TIFF/GIF with sharp (EXIF orientation applied,
 * alpha split off), convert to and from TF.js tensors, resize, and encode PNG.
 * Every failure is an `ImageError` with a stable code; decompression bombs are rejected from the header.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { Size } from '../../../shared/size.js';
import { DEFAULT_MAX_PIXELS } from './pixelLimit.js';

/** A decoded 8-bit image: RGB plus an optional separate alpha plane. */
export interface DecodedImage {
  width: number;
  height: number;
  /** RGB 8-bit row-major, length w*h*3 */
  rgb: Uint8Array;
  /** alpha 8-bit (w*h) or null when the image is opaque */
  alpha: Uint8Array | null;
}

/** Stable codes of `ImageError`. */
export type ImageErrorCode = 'empty_image' | 'unsupported_image' | 'corrupt_image' | 'image_too_large' | 'not_found';

/** An image that cannot be read: empty, not an image, damaged, too large, or missing. */
export class ImageError extends Error {
  constructor(
    /** Stable machine-readable code. */
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ImageError';
  }
}

export { DEFAULT_MAX_PIXELS };

/** Options of `decodeImage` / `readImageFile`. */
export interface DecodeOptions {
  /** Largest accepted width*height, checked from the header before decoding (default 64e6). */
  maxPixels?: number;
}

const SUPPORTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'tiff', 'gif']);

function tooLarge(width: number, height: number, maxPixels: number): ImageError {
  return new ImageError(
    'image_too_large',
    `image is ${width}x${height} (${Math.round((width * height) / 1e6)} megapixels); the limit is ${Math.round(maxPixels / 1e6)} megapixels`,
  );
}

/** Maps a sharp/libvips error message to an ImageError. */
function fromSharpError(err: unknown, maxPixels: number): ImageError {
  const msg = err instanceof Error ? err.message : String(err);
  if (/unsupported image format/i.test(msg)) return new ImageError('unsupported_image', 'not a supported image (JPEG, PNG, WebP, TIFF or GIF)');
  if (/pixel limit/i.test(msg)) return new ImageError('image_too_large', `image exceeds the limit of ${Math.round(maxPixels / 1e6)} megapixels`);
  const detail = msg.split('\n').find((l) => l.trim().length > 0) ?? msg;
  return new ImageError('corrupt_image', `the image data is damaged or truncated (${detail.trim()})`);
}

/** What an image's header says, before anything is decoded. */
export interface ImageHeader {
  format: string;
  /** Pixels of the (first) frame, as stored (EXIF orientation not applied). */
  width: number;
  height: number;
}

const sharpOptions = (maxPixels: number) => ({ limitInputPixels: Math.max(1, Math.floor(maxPixels)), failOn: 'error' as const, pages: 1 });

/** Reads format and dimensions from the header only; ImageError when empty, unsupported, or over maxPixels (default 64e6). */
export async function readImageHeader(input: Buffer, opts: DecodeOptions = {}): Promise<ImageHeader> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (input.length === 0) throw new ImageError('empty_image', 'the image is empty (0 bytes)');
  let meta: Metadata;
  try {
    meta = await sharp(input, { ...sharpOptions(maxPixels), limitInputPixels: false }).metadata();
  } catch (err) {
    throw fromSharpError(err, maxPixels);
  }
  if (!meta.format || !SUPPORTED_FORMATS.has(meta.format)) {
    throw new ImageError('unsupported_image', `unsupported image format ${meta.format ?? 'unknown'} (use JPEG, PNG, WebP, TIFF or GIF)`);
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width <= 0 || height <= 0) throw new ImageError('corrupt_image', 'the image header has no valid dimensions');
  if (width * height > maxPixels) throw tooLarge(width, height, maxPixels);
  return { format: meta.format, width, height };
}

/** Decodes JPEG/PNG/WebP/TIFF/GIF(first frame) with sharp, EXIF orientation applied; rejects > maxPixels (default 64e6) BEFORE decoding (from the header). */
export async function decodeImage(input: Buffer, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  await readImageHeader(input, { maxPixels });
  const sharpOpts = sharpOptions(maxPixels);

  let data: Buffer;
  let info: OutputInfo;
  try {
    ({ data, info } = await sharp(input, sharpOpts)
      .rotate()
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true }));
  } catch (err) {
    throw fromSharpError(err, maxPixels);
  }
  if (info.channels !== 4) throw new ImageError('corrupt_image', `unexpected channel count ${info.channels} after decoding`);
  const { width, height } = info;
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  const alpha = new Uint8Array(n);
  let opaque = true;
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    rgb[i * 3] = data[j];
    rgb[i * 3 + 1] = data[j + 1];
    rgb[i * 3 + 2] = data[j + 2];
    const a = data[j + 3];
    alpha[i] = a;
    if (a !== 255) opaque = false;
  }
  return { width, height, rgb, alpha: opaque ? null : alpha };
}

/** Reads a file and decodes it (ImageError code 'not_found' for a missing file). */
export async function readImageFile(path: string, opts: DecodeOptions = {}): Promise<DecodedImage> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ImageError('not_found', 'file not found');
    if (code === 'EISDIR') throw new ImageError('unsupported_image', 'is a directory, not an image');
    throw new ImageError('not_found', `cannot read the file (${code ?? (err as Error).message})`);
  }
  return decodeImage(buf, opts);
}

/** [H,W,3] float32 0..255 tensor (caller disposes). */
export function imageToTensor(img: DecodedImage): tf.Tensor3D {
  const { width, height, rgb } = img;
  if (rgb.length !== width * height * 3) throw new ImageError('corrupt_image', `RGB buffer has ${rgb.length} bytes, expected ${width * height * 3}`);
  return tf.tensor3d(Float32Array.from(rgb), [height, width, 3], 'float32');
}

/** Reads back an [H,W,3] 0..255 tensor (clipped, rounded) to RGB bytes. */
export async function tensorToRgb(t: tf.Tensor3D): Promise<DecodedImage> {
  const [height, width, channels] = t.shape;
  if (channels !== 3) throw new Error(`tensorToRgb expects [H,W,3], got [${t.shape.join(',')}]`);
  const values = (await t.data()) as Float32Array | Int32Array;
  const rgb = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // NaN → 0; clip to 0..255; round half up.
    rgb[i] = v > 0 ? (v >= 255 ? 255 : Math.round(v)) : 0;
  }
  return { width, height, rgb, alpha: null };
}

/** Finds the alpha plane's size: the factorisation of its length closest to the aspect ratio of `image`. */
export function inferAlphaSize(length: number, image: Size): Size {
  const { width, height } = image;
  if (length === width * height) return { width, height };
  const aspect = width / height;
  let best: Size = { width: length, height: 1 };
  let bestErr = Infinity;
  for (let h = 1; h * h <= length; h++) {
    if (length % h !== 0) continue;
    for (const [aw, ah] of [
      [length / h, h],
      [h, length / h],
    ]) {
      const err = Math.abs(Math.log(aw / ah / aspect));
      if (err < bestErr) {
        bestErr = err;
        best = { width: aw, height: ah };
      }
    }
  }
  return best;
}

/** Options of `encodePng`: the alpha plane's own size when it differs from the RGB's (inferred otherwise). */
export interface EncodePngOptions {
  alphaSize?: Size;
}

/** PNG-encodes RGB (+ optional alpha, which is resized to the image's size if its own differs). */
export async function encodePng(img: DecodedImage, opts: EncodePngOptions = {}): Promise<Buffer> {
  const { width, height, rgb } = img;
  if (rgb.length !== width * height * 3) throw new ImageError('corrupt_image', `RGB buffer has ${rgb.length} bytes, expected ${width * height * 3}`);
  let alpha = img.alpha;
  if (alpha && alpha.length !== width * height) {
    const size = opts.alphaSize ?? inferAlphaSize(alpha.length, img);
    if (size.width * size.height !== alpha.length) throw new ImageError('corrupt_image', `alpha plane of ${alpha.length} bytes is not ${size.width}x${size.height}`);
    const resized = await sharp(Buffer.from(alpha.buffer, alpha.byteOffset, alpha.byteLength), {
      raw: { width: size.width, height: size.height, channels: 1 },
    })
      .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
      .extractChannel(0)
      .raw()
      .toBuffer();
    alpha = new Uint8Array(resized.buffer, resized.byteOffset, resized.byteLength);
  }
  if (!alpha) {
    return sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } }).png().toBuffer();
  }
  const n = width * height;
  const rgba = Buffer.allocUnsafe(n * 4);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    rgba[j] = rgb[i * 3];
    rgba[j + 1] = rgb[i * 3 + 1];
    rgba[j + 2] = rgb[i * 3 + 2];
    rgba[j + 3] = alpha[i];
  }
  return sharp(rgba, { raw: { width, height, channels: 4 } }).png().toBuffer();
}

/** Resizes a single-plane or RGB raw buffer of size `from` to exactly `to` with sharp (lanczos3). */
async function resizeRaw(data: Uint8Array, from: Size, channels: 1 | 3, to: Size): Promise<Uint8Array> {
  const resized = sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width: from.width, height: from.height, channels } })
    .resize(to.width, to.height, { fit: 'fill', kernel: 'lanczos3' });
  const out = await (channels === 1 ? resized.extractChannel(0) : resized).raw().toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Resizes a decoded image's RGB (and alpha) bytes to exactly `size` with sharp (lanczos3). */
export async function resizeDecoded(img: DecodedImage, size: Size): Promise<DecodedImage> {
  const { width, height } = size;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`resizeDecoded: bad target size ${width}x${height}`);
  }
  if (width === img.width && height === img.height) return { ...img };
  const rgb = await resizeRaw(img.rgb, img, 3, size);
  const alpha = img.alpha ? await resizeRaw(img.alpha, img, 1, size) : null;
  return { width, height, rgb, alpha };
}
