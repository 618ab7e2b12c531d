/** A Rasterizer for the fake Figma in Node tests: draws the render plan with sharp into a real PNG. */
import sharp from 'sharp';
import type { RenderPlan } from '../../plugin/harness/fakeFigma.js';

/** Renders rects and images (stretched) onto a transparent canvas; returns PNG bytes. */
export async function sharpRasterize(plan: RenderPlan): Promise<Uint8Array> {
  const layers: Array<{ input: Buffer; left: number; top: number }> = [];
  for (const op of plan.ops) {
    const left = Math.round(op.x);
    const top = Math.round(op.y);
    const width = Math.max(1, Math.round(op.width));
    const height = Math.max(1, Math.round(op.height));
    // clip to the canvas
    const x0 = Math.max(0, left);
    const y0 = Math.max(0, top);
    const x1 = Math.min(plan.width, left + width);
    const y1 = Math.min(plan.height, top + height);
    if (x1 <= x0 || y1 <= y0) continue;
    let img: ReturnType<typeof sharp>;
    if (op.kind === 'rect') {
      const c = op.color;
      img = sharp({ create: { width, height, channels: 4, background: { r: c.r * 255, g: c.g * 255, b: c.b * 255, alpha: c.a } } });
    } else {
      img = sharp(op.bytes).resize(width, height, { fit: 'fill' }).ensureAlpha();
    }
    const buf = await img.extract({ left: x0 - left, top: y0 - top, width: x1 - x0, height: y1 - y0 }).png().toBuffer();
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
