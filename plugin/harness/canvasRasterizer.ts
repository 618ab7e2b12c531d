/** The browser Rasterizer for the fake Figma: draws a render plan on a canvas and encodes a real PNG. */
import type { RenderPlan } from './fakeFigma.js';

/** Encodes a canvas as PNG bytes. */
export async function canvasPng(canvas: HTMLCanvasElement): Promise<Uint8Array> {
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('canvas could not be encoded as PNG');
  return new Uint8Array(await blob.arrayBuffer());
}

/** Draws rects and images (stretched, with opacity) on a transparent canvas. */
export async function canvasRasterize(plan: RenderPlan): Promise<Uint8Array> {
  const canvas = document.createElement('canvas');
  canvas.width = plan.width;
  canvas.height = plan.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  for (const op of plan.ops) {
    if (op.kind === 'rect') {
      const { r, g, b, a } = op.color;
      ctx.fillStyle = `rgba(${Math.round(r * 255)}, ${Math.round(g * 255)}, ${Math.round(b * 255)}, ${a})`;
      ctx.fillRect(op.x, op.y, op.width, op.height);
    } else {
      const bitmap = await createImageBitmap(new Blob([op.bytes as Uint8Array<ArrayBuffer>]));
      ctx.globalAlpha = op.opacity;
      ctx.drawImage(bitmap, op.x, op.y, op.width, op.height);
      ctx.globalAlpha = 1;
      bitmap.close();
    }
  }
  return canvasPng(canvas);
}
