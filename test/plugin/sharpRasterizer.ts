/**
 * A Rasterizer for the fake Figma in Node tests: draws the render plan with sharp into a real PNG.
 * It handles axis-aligned ops (translations, scales and flips); rotated nodes are drawn by the
 * browser harness's canvas rasterizer, and this one refuses them rather than drawing them wrong.
 */
import sharp from 'sharp';
import type { RenderPlan } from '../../plugin/harness/rendering.js';

/** Renders boxes, outlines and images (stretched, flipped) onto a transparent canvas; returns PNG bytes. */
export async function sharpRasterize(plan: RenderPlan): Promise<Uint8Array> {
  const layers: Array<{ input: Buffer; left: number; top: number }> = [];
  for (const op of plan.ops) {
    const [a, b, c, d, e, f] = op.matrix;
    if (Math.abs(b) > 1e-9 || Math.abs(c) > 1e-9) throw new Error('sharpRasterize draws axis-aligned nodes only (use the browser harness for rotations)');
    const w = a * op.width;
    const hgt = d * op.height;
    const left = Math.round(Math.min(e, e + w));
    const top = Math.round(Math.min(f, f + hgt));
    const width = Math.max(1, Math.round(Math.abs(w)));
    const height = Math.max(1, Math.round(Math.abs(hgt)));
    const clip = op.clip ?? { x: 0, y: 0, width: plan.width, height: plan.height };
    const x0 = Math.max(0, left, Math.round(clip.x));
    const y0 = Math.max(0, top, Math.round(clip.y));
    const x1 = Math.min(plan.width, left + width, Math.round(clip.x + clip.width));
    const y1 = Math.min(plan.height, top + height, Math.round(clip.y + clip.height));
    if (x1 <= x0 || y1 <= y0) continue;
    let img: ReturnType<typeof sharp>;
    if (op.kind === 'image') {
      img = sharp(op.bytes).resize(width, height, { fit: 'fill' }).ensureAlpha(op.opacity);
      if (a < 0) img = sharp(await img.flop().png().toBuffer());
      if (d < 0) img = sharp(await img.flip().png().toBuffer());
    } else {
      const col = op.color;
      const fill = { r: col.r * 255, g: col.g * 255, b: col.b * 255, alpha: col.a };
      if (op.kind === 'rect') img = sharp({ create: { width, height, channels: 4, background: fill } });
      else {
        const lw = Math.max(1, Math.round(op.lineWidth * Math.abs(a)));
        const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect x="${lw / 2}" y="${lw / 2}" width="${Math.max(0, width - lw)}" height="${Math.max(0, height - lw)}" fill="none" stroke="rgba(${fill.r},${fill.g},${fill.b},${fill.alpha})" stroke-width="${lw}"/></svg>`;
        img = sharp(Buffer.from(svg));
      }
    }
    const buf = await sharp(await img.png().toBuffer()).extract({ left: x0 - left, top: y0 - top, width: x1 - x0, height: y1 - y0 }).png().toBuffer();
    layers.push({ input: buf, left: x0, top: y0 });
  }
  const out = await sharp({ create: { width: plan.width, height: plan.height, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .composite(layers)
    .png()
    .toBuffer();
  return new Uint8Array(out);
}

/** A solid-colour PNG of the given size (real bytes for fake image layers). */
export async function solidPng(width: number, height: number, rgb: [number, number, number]): Promise<Uint8Array> {
  const buf = await sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toBuffer();
  return new Uint8Array(buf);
}
