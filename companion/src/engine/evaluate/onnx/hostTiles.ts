/**
 * Host-side tile plumbing for the ONNX Runtime tiled evaluation: crops of an NHWC image, the 0/1
 * masks of a tile's interior at each pooling level, and the content targets moved between a
 * tile's interior and its crop's full grid. Plain Float32Array work, no runtime.
 */
import { interiorAt, type Tile } from '../tiling.js';

/** The crop of an NHWC RGB image [H,W,3] (`width` = W) as [1,ch,cw,3]. */
export function cropPixels(image: Float32Array, width: number, t: Tile): Float32Array {
  const cw = t.cx1 - t.cx0;
  const out = new Float32Array((t.cy1 - t.cy0) * cw * 3);
  for (let r = t.cy0; r < t.cy1; r++) out.set(image.subarray((r * width + t.cx0) * 3, (r * width + t.cx1) * 3), (r - t.cy0) * cw * 3);
  return out;
}

/** Adds a crop's NHWC gradient [ch,cw,3] into the whole image's gradient [H,W,3] at the crop's place. */
export function addCropInto(target: Float32Array, width: number, t: Tile, crop: Float32Array): void {
  const cw = t.cx1 - t.cx0;
  for (let r = t.cy0; r < t.cy1; r++) {
    const to = (r * width + t.cx0) * 3;
    const from = (r - t.cy0) * cw * 3;
    for (let k = 0; k < cw * 3; k++) target[to + k] += crop[from + k];
  }
}

/** The grid size of a crop after `pools` 2x2 poolings (floor at each). */
export function levelSize(length: number, pools: number): number {
  let n = length;
  for (let p = 0; p < pools; p++) n = Math.floor(n / 2);
  return n;
}

/** 1 on the tile's interior at `pools` poolings, 0 on its halo: [h_p · w_p] over the crop's grid at that level. */
export function interiorMask(t: Tile, pools: number): Float32Array {
  const h = levelSize(t.cy1 - t.cy0, pools);
  const w = levelSize(t.cx1 - t.cx0, pools);
  const { r0, r1, c0, c1 } = interiorAt(t, pools);
  const mask = new Float32Array(h * w);
  for (let r = r0; r < Math.min(r1, h); r++) mask.fill(1, r * w + c0, r * w + Math.min(c1, w));
  return mask;
}

/** Features on a crop's grid, NCHW [C,h,w]. */
export interface GridFeatures {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

/** The interior rows/columns [r0,r1)×[c0,c1) of NCHW features, as NCHW [C, r1−r0, c1−c0]. */
export function interiorOf(f: GridFeatures, { r0, r1, c0, c1 }: { r0: number; r1: number; c0: number; c1: number }): GridFeatures {
  const ih = Math.max(0, r1 - r0);
  const iw = Math.max(0, c1 - c0);
  const out = new Float32Array(f.channels * ih * iw);
  for (let c = 0; c < f.channels; c++) {
    for (let r = 0; r < ih; r++) {
      const from = (c * f.height + r0 + r) * f.width + c0;
      out.set(f.data.subarray(from, from + iw), (c * ih + r) * iw);
    }
  }
  return { data: out, channels: f.channels, height: ih, width: iw };
}

/** Interior features placed back on the crop's grid [C,h,w] at rows r0.., columns c0.., zero elsewhere (the mask hides the rest). */
export function onCropGrid(interior: GridFeatures, height: number, width: number, r0: number, c0: number): Float32Array {
  const out = new Float32Array(interior.channels * height * width);
  for (let c = 0; c < interior.channels; c++) {
    for (let r = 0; r < interior.height; r++) {
      const from = (c * interior.height + r) * interior.width;
      out.set(interior.data.subarray(from, from + interior.width), (c * height + r0 + r) * width + c0);
    }
  }
  return out;
}
