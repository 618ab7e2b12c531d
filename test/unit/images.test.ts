/** Image I/O: decoding every supported format, EXIF, alpha, error codes, tensors, PNG encoding, resizing. */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedMissing, sharedPath } from '../helpers/sharedData.js';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import {
  decodeImage,
  encodePng,
  ImageError,
  imageToTensor,
  inferAlphaSize,
  readImageFile,
  resizeDecoded,
  tensorToRgb,
  type DecodedImage,
} from '../../companion/src/io/images.js';

const dir = mkdtempSync(path.join(tmpdir(), 'atelier-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


/** A w x h RGB gradient whose pixel (x,y) is (x*40, y*40, 100). */
function gradient(w: number, h: number): Buffer {
  const b = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) b.set([x * 40, y * 40, 100], (y * w + x) * 3);
  return b;
}

/** One PNG chunk (length, type, data, CRC). */
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}

/** A tiny PNG whose IHDR claims w x h pixels (a decompression bomb's header). */
function pngHeader(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])), chunk('IEND', Buffer.alloc(0))]);
}

async function expectCode(p: Promise<unknown>, code: string): Promise<ImageError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageError);
  expect((err as ImageError).code).toBe(code);
  expect((err as Error).message).not.toContain('\n');
  return err as ImageError;
}

describe('decodeImage: formats', () => {
  const raw = gradient(4, 3);
  const input = { raw: { width: 4, height: 3, channels: 3 as const } };

  it('PNG is lossless and opaque → alpha null', async () => {
    const png = await sharp(raw, input).png().toBuffer();
    const img = await decodeImage(png);
    expect([img.width, img.height]).toEqual([4, 3]);
    expect(Buffer.from(img.rgb).equals(raw)).toBe(true);
    expect(img.alpha).toBeNull();
  });

  it('PNG with alpha keeps it as a separate plane', async () => {
    const rgba = Buffer.alloc(2 * 2 * 4);
    rgba.set([255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 10, 20, 30, 255]);
    const png = await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } }).png().toBuffer();
    const img = await decodeImage(png);
    expect(Array.from(img.alpha!)).toEqual([255, 128, 0, 255]);
    expect(Array.from(img.rgb.subarray(0, 6))).toEqual([255, 0, 0, 0, 255, 0]);
    expect(img.rgb.length).toBe(12);
  });

  it('grey PNG becomes RGB', async () => {
    const png = await sharp(Buffer.from([0, 50, 100, 200]), { raw: { width: 2, height: 2, channels: 1 } }).png().toBuffer();
    const img = await decodeImage(png);
    expect(Array.from(img.rgb)).toEqual([0, 0, 0, 50, 50, 50, 100, 100, 100, 200, 200, 200]);
  });

  it('16-bit PNG is read as 8-bit', async () => {
    const png = await sharp(raw, input).png({ compressionLevel: 0 }).toColourspace('rgb16').toBuffer();
    expect((await sharp(png).metadata()).depth).toBe('ushort');
    const img = await decodeImage(png);
    expect(Buffer.from(img.rgb).equals(raw)).toBe(true);
  });

  it('JPEG, WebP (lossless), TIFF', async () => {
    const jpeg = await decodeImage(await sharp(raw, input).jpeg({ quality: 100 }).toBuffer());
    expect([jpeg.width, jpeg.height, jpeg.rgb.length]).toEqual([4, 3, 36]);
    const webp = await decodeImage(await sharp(raw, input).webp({ lossless: true }).toBuffer());
    expect(Buffer.from(webp.rgb).equals(raw)).toBe(true);
    const tiff = await decodeImage(await sharp(raw, input).tiff({ compression: 'lzw' }).toBuffer());
    expect(Buffer.from(tiff.rgb).equals(raw)).toBe(true);
  });

  it('GIF: first frame only', async () => {
    const red = await sharp({ create: { width: 3, height: 2, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const blue = await sharp({ create: { width: 3, height: 2, channels: 3, background: '#0000ff' } }).png().toBuffer();
    const gif = await sharp([red, blue], { join: { animated: true } }).gif().toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    const img = await decodeImage(gif);
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(Array.from(img.rgb.subarray(0, 3))).toEqual([255, 0, 0]);
    expect(img.alpha).toBeNull();
  });

  it('applies EXIF orientation (6 = rotate 90° clockwise)', async () => {
    const jpeg = await sharp(raw, input).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(jpeg);
    expect([img.width, img.height]).toEqual([3, 4]);
  });

  it('reads a real photo from ../shared when present', async (ctx) => {
    const missing = sharedMissing('images/tubingen.jpg');
    if (missing) return ctx.skip(missing);
    const img = await readImageFile(sharedPath('images/tubingen.jpg'));
    expect(img.width * img.height * 3).toBe(img.rgb.length);
    expect(img.alpha).toBeNull();
  });
});

describe('decodeImage / readImageFile: errors', () => {
  it('empty_image for zero bytes', async () => {
    await expectCode(decodeImage(Buffer.alloc(0)), 'empty_image');
    const f = path.join(dir, 'empty.png');
    writeFileSync(f, '');
    await expectCode(readImageFile(f), 'empty_image');
  });

  it('unsupported_image for a text file named .png', async () => {
    const f = path.join(dir, 'notes.png');
    writeFileSync(f, 'these are not the pixels you are looking for\n');
    await expectCode(readImageFile(f), 'unsupported_image');
  });

  it('unsupported_image for a format sharp reads but Atelier does not (SVG)', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>');
    await expectCode(decodeImage(svg), 'unsupported_image');
  });

  it('corrupt_image for a truncated PNG', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
      .png()
      .toBuffer();
    await expectCode(decodeImage(png.subarray(0, Math.floor(png.length / 2))), 'corrupt_image');
    const jpeg = await sharp(png).jpeg().toBuffer();
    await expectCode(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length * 0.8))), 'corrupt_image');
  });

  it('image_too_large from the header of a 30000x30000 PNG bomb, before decoding', async () => {
    const bomb = pngHeader(30000, 30000);
    expect(bomb.length).toBeLessThan(100);
    const err = await expectCode(decodeImage(bomb), 'image_too_large');
    expect(err.message).toContain('30000x30000');
  });

  it('image_too_large honours maxPixels', async () => {
    const png = await sharp(gradient(4, 3), { raw: { width: 4, height: 3, channels: 3 } }).png().toBuffer();
    await expectCode(decodeImage(png, { maxPixels: 11 }), 'image_too_large');
    expect((await decodeImage(png, { maxPixels: 12 })).width).toBe(4);
  });

  it('not_found for a missing file', async () => {
    await expectCode(readImageFile(path.join(dir, 'nope.jpg')), 'not_found');
  });
});

describe('tensors', () => {
  it('imageToTensor / tensorToRgb round-trip, clipping and rounding, no leaks', async () => {
    const base = tf.memory().numTensors;
    const img: DecodedImage = { width: 2, height: 1, rgb: new Uint8Array([0, 127, 255, 1, 2, 3]), alpha: null };
    const t = imageToTensor(img);
    expect(t.shape).toEqual([1, 2, 3]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(await t.data())).toEqual([0, 127, 255, 1, 2, 3]);
    const back = await tensorToRgb(t);
    expect(Array.from(back.rgb)).toEqual([0, 127, 255, 1, 2, 3]);
    t.dispose();
    const odd = tf.tensor3d([-5, 300, 1.5, 2.4, NaN, 254.6], [1, 2, 3]);
    const rgb = await tensorToRgb(odd);
    odd.dispose();
    expect(Array.from(rgb.rgb)).toEqual([0, 255, 2, 2, 0, 255]);
    expect([rgb.width, rgb.height]).toEqual([2, 1]);
    expect(tf.memory().numTensors).toBe(base);
  });
});

describe('encodePng / resizeDecoded', () => {
  it('encodes RGB and RGB+alpha losslessly', async () => {
    const img: DecodedImage = { width: 2, height: 1, rgb: new Uint8Array([1, 2, 3, 4, 5, 6]), alpha: new Uint8Array([255, 7]) };
    const back = await decodeImage(await encodePng(img));
    expect(Array.from(back.rgb)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(back.alpha!)).toEqual([255, 7]);
    const opaque = await decodeImage(await encodePng({ ...img, alpha: null }));
    expect(opaque.alpha).toBeNull();
  });

  it('resizes an alpha plane of another size to the image', async () => {
    // Alpha from a 4x2 original (left half transparent), RGB already at 2x1.
    const alpha = new Uint8Array([0, 0, 255, 255, 0, 0, 255, 255]);
    const img: DecodedImage = { width: 2, height: 1, rgb: new Uint8Array(6).fill(9), alpha };
    const back = await decodeImage(await encodePng(img));
    expect([back.width, back.height]).toEqual([2, 1]);
    expect(back.alpha![0]).toBeLessThan(60);
    expect(back.alpha![1]).toBeGreaterThan(200);
    const explicit = await decodeImage(await encodePng(img, { alphaSize: { width: 4, height: 2 } }));
    expect(Array.from(explicit.alpha!)).toEqual(Array.from(back.alpha!));
  });

  it('inferAlphaSize picks the factorisation matching the aspect ratio', () => {
    expect(inferAlphaSize(1000 * 800, { width: 512, height: 410 })).toEqual({ width: 1000, height: 800 });
    expect(inferAlphaSize(333 * 500, { width: 341, height: 512 })).toEqual({ width: 333, height: 500 });
    expect(inferAlphaSize(12, { width: 4, height: 3 })).toEqual({ width: 4, height: 3 });
  });

  it('resizeDecoded resizes RGB and alpha to the exact size', async () => {
    const img: DecodedImage = { width: 4, height: 3, rgb: new Uint8Array(gradient(4, 3)), alpha: new Uint8Array(12).fill(200) };
    const small = await resizeDecoded(img, { width: 2, height: 2 });
    expect([small.width, small.height, small.rgb.length, small.alpha!.length]).toEqual([2, 2, 12, 4]);
    expect(Array.from(small.alpha!)).toEqual([200, 200, 200, 200]);
    const big = await resizeDecoded({ ...img, alpha: null }, { width: 8, height: 6 });
    expect([big.width, big.height, big.rgb.length, big.alpha]).toEqual([8, 6, 8 * 6 * 3, null]);
    await expect(resizeDecoded(img, { width: 0, height: 2 })).rejects.toThrow(RangeError);
  });
});
