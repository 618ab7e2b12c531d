/**
 * Tile planning for exact tiled gradients (tiledObjective.ts), and the memory estimate that decides
 * when to tile.
 *
 * Geometry. A layer after p poolings sees the image on a 2^p grid. Tile origins and sizes are
 * multiples of the deepest used layer's grid g = 2^P, so every tile's interior maps to whole
 * feature positions at every used layer, and every crop starts on the pooling grid (the crop's
 * poolings pair the same pixels as the full image's).
 *
 * Halo. A feature at position i of a layer reached through convolutions at levels p_1..p_k
 * depends on input pixels [i·2^p − r, (i+1)·2^p − 1 + r] with r = Σ_j 2^{p_j} (each 3x3 conv at
 * level p widens by 2^p on each side; a 2x2/stride-2 pooling keeps the cone aligned and adds
 * nothing). conv5_1: r = 2·1 + 2·2 + 4·4 + 4·8 + 1·16 = 70, a receptive field of 2·70 + 16 = 156
 * px. With a halo ≥ r (rounded up to g) every interior feature, and every activation in its cone,
 * equals the full image's; so do the gradients flowing back through that cone. At the image's
 * borders the crop stops at the real border, so SAME padding is the same as untiled.
 */
import type { StylizeParams } from '../../../../shared/params.js';
import { EngineError } from '../errors.js';
import { VGG19_LAYERS, layerIndex } from '../network/layers.js';

/** Grid and halo for a set of layers. */
export interface TileGeometry {
  /** Pooling grid of the deepest layer, 2^(poolings before it), in px. */
  grid: number;
  /** Receptive-field radius of the deepest layer, in px. */
  radius: number;
  /** Halo added on each side of a tile: the radius rounded up to the grid. */
  halo: number;
}

/** One tile: its interior [y0,y1)×[x0,x1) and the crop [cy0,cy1)×[cx0,cx1) (interior + halo, clipped to the image). */
export interface Tile {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
  cy0: number;
  cy1: number;
  cx0: number;
  cx1: number;
}

function indexOf(layer: string): number {
  const i = layerIndex(layer);
  if (i < 0) throw new EngineError('unknown_layer', `unknown VGG-19 layer ${layer}`);
  return i;
}

/** Number of 2x2 poolings before a Keras layer (its features are on a 2^p grid). */
export function poolsBefore(layer: string): number {
  return VGG19_LAYERS.slice(0, indexOf(layer)).filter((l) => l.lastInBlock).length;
}

/** Receptive-field radius in px of a Keras layer: Σ over its convolutions of 2^(level of the conv). */
export function receptiveRadius(layer: string): number {
  let r = 0;
  let level = 0;
  for (const l of VGG19_LAYERS.slice(0, indexOf(layer) + 1)) {
    r += 2 ** level;
    if (l.lastInBlock) level++;
  }
  return r;
}

/** Grid, radius and halo for the given Keras layers (the deepest one decides). */
export function tileGeometry(layers: readonly string[]): TileGeometry {
  if (layers.length === 0) throw new EngineError('bad_input', 'tiling needs at least one layer');
  const grid = 2 ** Math.max(...layers.map(poolsBefore));
  const radius = Math.max(...layers.map(receptiveRadius));
  return { grid, radius, halo: Math.ceil(radius / grid) * grid };
}

/** The tile size actually used for a requested one: a multiple of the grid (rounded down, at least one grid step). */
export function alignTile(tile: number, grid: number): number {
  if (!Number.isFinite(tile) || tile <= 0) throw new EngineError('bad_input', `tile size must be positive, got ${tile}`);
  return Math.max(grid, Math.floor(tile / grid) * grid);
}

function splitAxis(length: number, tile: number, grid: number): Array<[number, number]> {
  const count = Math.ceil(length / tile);
  // Balanced: equal grid-aligned steps (≤ tile), the last tile takes the rest.
  const step = Math.ceil(Math.ceil(length / count) / grid) * grid;
  const out: Array<[number, number]> = [];
  for (let a = 0; a < length; a += step) out.push([a, Math.min(a + step, length)]);
  return out;
}

/**
 * Each interior's crop on one axis: interior ± halo clipped to [0, length), then widened inside the
 * image to the axis's longest crop, or, where that would pass the end, to the common crop that ends
 * there (starting on the grid). A larger crop is still exact (it only adds context), never exceeds
 * the longest natural crop, and crops of one shape share a compiled graph: at most two shapes per axis.
 */
function cropsOnAxis(interiors: Array<[number, number]>, length: number, halo: number, grid: number): Array<[number, number]> {
  const natural = interiors.map(([a, b]): [number, number] => [Math.max(0, a - halo), Math.min(length, b + halo)]);
  const longest = Math.max(...natural.map(([a, b]) => b - a));
  // Every natural crop that ends at `length` starts at or after this (its start is on the grid and its length ≤ longest).
  const endStart = Math.ceil((length - longest) / grid) * grid;
  return natural.map(([a]): [number, number] => (a + longest <= length ? [a, a + longest] : [endStart, length]));
}

/**
 * Tiles covering an h×w image, row by row: interiors of at most `tile` px (aligned down to the
 * grid) that partition the image, each with its crop (interior + halo inside the image, widened to
 * a common shape where possible: cropsOnAxis).
 */
export function planTiles(h: number, w: number, tile: number, layers: readonly string[]): Tile[] {
  if (!(Number.isInteger(h) && Number.isInteger(w) && h > 0 && w > 0)) throw new EngineError('bad_input', `bad image size ${w}x${h}`);
  const { grid, halo } = tileGeometry(layers);
  const t = alignTile(tile, grid);
  const rows = splitAxis(h, t, grid);
  const cols = splitAxis(w, t, grid);
  const rowCrops = cropsOnAxis(rows, h, halo, grid);
  const colCrops = cropsOnAxis(cols, w, halo, grid);
  const tiles: Tile[] = [];
  rows.forEach(([y0, y1], r) => {
    cols.forEach(([x0, x1], c) => {
      tiles.push({ y0, y1, x0, x1, cy0: rowCrops[r][0], cy1: rowCrops[r][1], cx0: colCrops[c][0], cx1: colCrops[c][1] });
    });
  });
  return tiles;
}

/** The interior of `tile` on the grid of a layer after `pools` poolings, relative to the crop: rows [r0,r1) × columns [c0,c1). */
export function interiorAt(tile: Tile, pools: number): { r0: number; r1: number; c0: number; c1: number } {
  const s = 2 ** pools;
  const cy = tile.cy0 / s;
  const cx = tile.cx0 / s;
  return { r0: tile.y0 / s - cy, r1: Math.floor(tile.y1 / s) - cy, c0: tile.x0 / s - cx, c1: Math.floor(tile.x1 / s) - cx };
}

const DEFAULT_CHANNELS: readonly number[] = VGG19_LAYERS.map((l) => l.outChannels);

/**
 * Estimated peak bytes of live tensors during one untiled loss+gradient evaluation of an h×w
 * image through VGG-19 up to the deepest of `layers`: every activation kept for the backward pass
 * (convolution and pooling outputs), the Gram/content temporaries at the loss layers, a few
 * layer-sized gradient temporaries, image-sized tensors and the Gram matrices' temporaries, times a
 * factor measured with tf.profile on the cpu backend. `channels[i]` is the width of VGG19_LAYERS[i]
 * (default: the real VGG-19). Excludes the weights.
 */
export function estimateObjectiveBytes(h: number, w: number, layers: readonly string[], channels: readonly number[] = DEFAULT_CHANNELS): number {
  const deepest = Math.max(...layers.map(indexOf));
  const used = new Set(layers);
  let floats = 12 * h * w * 3; // the image, its preprocessing, gradients and TV temporaries
  let level = 0;
  let largest = 0;
  for (let i = 0; i <= deepest; i++) {
    const n = Math.floor(h / 2 ** level) * Math.floor(w / 2 ** level) * channels[i];
    floats += n; // conv+ReLU output, kept for the backward pass
    if (used.has(VGG19_LAYERS[i].name)) floats += 2 * n; // Gram transpose / content difference
    largest = Math.max(largest, n);
    if (VGG19_LAYERS[i].lastInBlock && i < deepest) {
      level++;
      floats += Math.floor(h / 2 ** level) * Math.floor(w / 2 ** level) * channels[i];
    }
  }
  let constant = 0;
  for (const l of used) {
    const c = channels[indexOf(l)];
    constant += 6 * c * c; // Gram matrices, their differences and gradients
  }
  // ×2: measured (tf.profile, cpu backend, real widths, 64²..128²) ≈ 1760 floats/px against ≈ 870 counted.
  return 4 * (2 * (floats + 4 * largest) + constant);
}

/**
 * Peak of a tiled evaluation over the untiled estimate for its crop: the interior slices of the
 * features and their padded gradients (measured on wasm: 3049 MiB at 1024² in 592² crops, ×1.15).
 */
export const TILED_OVERHEAD = 1.2;

/** Options of chooseTile. */
export interface ChooseTileOptions {
  /** Widths of VGG19_LAYERS (default: the real VGG-19). */
  channels?: readonly number[];
  /** Bytes that do not depend on the tile (the full-size image, gradient, optimiser state). */
  reservedBytes?: number;
  /** Smallest tile considered (default 4 grid steps). */
  minTile?: number;
}

/**
 * The largest grid-aligned tile whose crop (tile + 2·halo) evaluation, times TILED_OVERHEAD, fits
 * in budgetMiB after reservedBytes; never below minTile, never above the image's longer side rounded up to the grid.
 */
export function chooseTile(h: number, w: number, budgetMiB: number, layers: readonly string[], opts: ChooseTileOptions = {}): number {
  const { grid, halo } = tileGeometry(layers);
  const budget = budgetMiB * 2 ** 20 - (opts.reservedBytes ?? 0);
  const minTile = alignTile(opts.minTile ?? 4 * grid, grid);
  const maxTile = Math.max(minTile, Math.ceil(Math.max(h, w) / grid) * grid);
  let best = minTile;
  for (let t = minTile; t <= maxTile; t += grid) {
    const ch = Math.min(h, t + 2 * halo);
    const cw = Math.min(w, t + 2 * halo);
    if (TILED_OVERHEAD * estimateObjectiveBytes(ch, cw, layers, opts.channels) > budget) break;
    best = t;
  }
  return best;
}

/** Full-size RGB float tensors alive besides the objective's own: image, gradient, content, optimiser state. */
export function fullSizeCopies(params: Pick<StylizeParams, 'optimizer' | 'historySize'>): number {
  return params.optimizer === 'adam' ? 8 : 8 + 2 * params.historySize;
}

/** wasm's default budget (MiB): it keeps every tensor in one WebAssembly heap capped at 4 GiB (weights, code and fragmentation take the rest). */
export const WASM_BUDGET_MIB = 3072;
/** ONNX Runtime's default budget: this share of the machine's memory (it works in host memory). */
export const ORT_MEMORY_SHARE = 0.5;
/** The defaults above, for the CLI's help. */
export const DEFAULT_BUDGETS = `${WASM_BUDGET_MIB} on wasm, ${ORT_MEMORY_SHARE * 100}% of the machine's memory on the onnx backends, else off`;

/**
 * The memory budget (MiB) applied when the run gives none, per TF.js backend (the onnx backends'
 * runtime carries its own limit): other TF.js backends do not report their device memory, so they
 * only tile when asked (0).
 */
export function defaultMemoryBudgetMiB(tfBackend: string): number {
  return tfBackend === 'wasm' ? WASM_BUDGET_MIB : 0;
}

/** Options of tileFor. */
export interface TileForOptions {
  /** Widths of VGG19_LAYERS (default: the real VGG-19). */
  channels?: readonly number[];
  /** Budget (MiB) when params give none: the backend's own limit (defaultMemoryBudgetMiB). */
  fallbackBudgetMiB?: number;
  /**
   * Where ONNX Runtime evaluates untiled images in host memory: an image whose untiled estimate
   * fits this many bytes stays untiled when params give neither a tile nor a budget.
   */
  untiledLimitBytes?: number;
}

/**
 * The tile size to use for an h×w scale (0 = untiled): params.tile when the image is larger than
 * one tile; untiled when ONNX Runtime's limit holds it; otherwise, with a memory budget
 * (params.memoryBudget, else the fallback), a tile chosen from the budget when the untiled
 * estimate (plus full-size state) exceeds it. When the full-size state alone (image, gradient,
 * optimiser history), which tiling cannot shrink, exceeds the budget, an EngineError `too_large`
 * says what to change.
 */
export function tileFor(
  h: number,
  w: number,
  params: Pick<StylizeParams, 'tile' | 'memoryBudget' | 'optimizer' | 'historySize'>,
  layers: readonly string[],
  { channels, fallbackBudgetMiB = 0, untiledLimitBytes }: TileForOptions = {},
): number {
  if (params.tile > 0) {
    const t = alignTile(params.tile, tileGeometry(layers).grid);
    return h > t || w > t ? t : 0;
  }
  if (params.memoryBudget === 0 && untiledLimitBytes !== undefined && estimateObjectiveBytes(h, w, layers, channels) <= untiledLimitBytes) return 0;
  const budgetMiB = params.memoryBudget > 0 ? params.memoryBudget : fallbackBudgetMiB;
  if (budgetMiB <= 0) return 0;
  const reservedBytes = fullSizeCopies(params) * h * w * 3 * 4;
  if (estimateObjectiveBytes(h, w, layers, channels) + reservedBytes <= budgetMiB * 2 ** 20) return 0;
  if (reservedBytes >= budgetMiB * 2 ** 20) {
    const size = (b: number) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(1)} GiB` : `${Math.ceil(b / 2 ** 20)} MiB`);
    const hint = params.optimizer === 'lbfgs' ? 'use --optimizer adam (less state), ' : '';
    throw new EngineError(
      'too_large',
      `a ${w}x${h} image needs ${size(reservedBytes)} for its full-size image and optimiser state alone, over the ${size(budgetMiB * 2 ** 20)} memory budget: ${hint}a smaller size, or a GPU backend with a larger --memory-budget`,
    );
  }
  const t = chooseTile(h, w, budgetMiB, layers, { channels, reservedBytes });
  return h > t || w > t ? t : 0;
}
