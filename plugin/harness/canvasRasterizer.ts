/** The browser Rasterizer for the fake Figma: draws a render plan on a canvas and encodes a real PNG. */
import type { RenderPlan } from './rendering.js';

/** Encodes a canvas as PNG bytes. */
export async function canvasPng(canvas: HTMLCanvasElement): Promise<Uint8Array> {
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('canvas could not be encoded as PNG');
  return new Uint8Array(await blob.arrayBuffer());
}

const rgba = (c: { r: number; g: number; b: number; a: number }): string => `rgba(${Math.round(c.r * 255)}, ${Math.round(c.g * 255)}, ${Math.round(c.b * 255)}, ${c.a})`;

/** Draws boxes, outlines and images (each through its transform, clipped) on a transparent canvas. */
export async function canvasRasterize(plan: RenderPlan): Promise<Uint8Array> {
  const canvas = document.createElement('canvas');
  canvas.width = plan.width;
  canvas.height = plan.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  for (const op of plan.ops) {
    ctx.save();
    if (op.clip) {
      ctx.beginPath();
      ctx.rect(op.clip.x, op.clip.y, op.clip.width, op.clip.height);
      ctx.clip();
    }
    ctx.setTransform(...op.matrix);
    if (op.kind === 'rect') {
      ctx.fillStyle = rgba(op.color);
      ctx.fillRect(0, 0, op.width, op.height);
    } else if (op.kind === 'stroke') {
      ctx.strokeStyle = rgba(op.color);
      ctx.lineWidth = op.lineWidth;
      ctx.strokeRect(0, 0, op.width, op.height);
    } else {
      const bitmap = await createImageBitmap(new Blob([op.bytes as Uint8Array<ArrayBuffer>]));
      ctx.globalAlpha = op.opacity;
      ctx.drawImage(bitmap, 0, 0, op.width, op.height);
      bitmap.close();
    }
    ctx.restore();
  }
  return canvasPng(canvas);
}
