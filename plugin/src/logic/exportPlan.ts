/**
 * Export sizing: each layer is exported as PNG at a SCALE constraint so that its longer side is at
 * most the chosen output size and never above Figma's 4096-px image limit.
 */

/** Figma rejects images larger than this on either side (`figma.createImage`). */
export const FIGMA_MAX_IMAGE_SIDE = 4096;

/** A planned export: the SCALE constraint and the pixel size it produces. */
export interface ExportPlan {
  scale: number;
  width: number;
  height: number;
}

/** Pixel size Figma produces for a layer exported at `scale` (rounded, at least 1 px). */
export function exportedSize(width: number, height: number, scale: number): { width: number; height: number } {
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * The SCALE that makes the layer's longer side `min(size, 4096)` px (up- or down-scaling), nudged
 * down when rounding would overshoot. Throws on a layer with no area or a non-positive size.
 */
export function planExport(width: number, height: number, size: number): ExportPlan {
  if (!(width > 0) || !(height > 0) || !Number.isFinite(width) || !Number.isFinite(height)) {
    throw new RangeError(`a layer of ${width}×${height} has no area to export`);
  }
  if (!(size >= 1) || !Number.isFinite(size)) throw new RangeError(`output size must be a positive number, got ${size}`);
  const target = Math.min(Math.floor(size), FIGMA_MAX_IMAGE_SIDE);
  let scale = target / Math.max(width, height);
  let out = exportedSize(width, height, scale);
  while (Math.max(out.width, out.height) > target) {
    scale *= 1 - 1e-6;
    out = exportedSize(width, height, scale);
  }
  return { scale, ...out };
}
