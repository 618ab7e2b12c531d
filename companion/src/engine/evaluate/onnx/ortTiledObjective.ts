/**
 * The exact tiled objective on ONNX Runtime: memory follows the tile, not the image. Per evaluation
 * (tiledGraphs.ts has the maths):
 *
 * 1. pass 1 over the tiles: each crop's Σ (F − F(c))² and Σ FᵀF over the positions it owns, added up;
 * 2. the head graph turns the sums into the terms and each style layer's seed matrix S_l;
 * 3. the TV graph gives TV's term and gradient on the whole image;
 * 4. pass 2 over the tiles: each crop's share of the gradient, added into the image's gradient.
 *
 * Crop graphs are compiled once per crop shape (planTiles makes at most four), each keeping the
 * working memory of one crop: memory follows the tile, not the image. Content targets are kept on the host, as each tile's interior.
 * Between tiles, an abort is honoured.
 */
import * as tf from '@tensorflow/tfjs';
import { layerIndex } from '../../network/layers.js';
import { gramScale, usedLayers, weightedTotal } from '../../loss/description.js';
import { sizedObjective, type Objective } from '../objective.js';
import { checkpoint, throwIfAborted } from '../../cancel.js';
import { interiorAt, planTiles, poolsBefore, type Tile } from '../tiling.js';
import { buildFeaturesGraph, featuresOutput } from './gatysGraph.js';
import { addCropInto, cropPixels, interiorMask, interiorOf, levelSize, onCropGrid, type GridFeatures } from './hostTiles.js';
import { names } from './lossGraph.js';
import { floatTensor, openSession, runAndRead, scalarOf, type OrtContext, type OrtObjectiveSetup, type OrtSession, type OrtTensor } from './ortContext.js';
import { buildTileHeadGraph, buildTilePass1Graph, buildTilePass2Graph, buildTvGraph, type CropGraphSpec, type LayerSize } from './tiledGraphs.js';

const shapeKey = (t: Tile) => `${t.cy1 - t.cy0}x${t.cx1 - t.cx0}`;

/** Sessions per crop shape (planTiles makes at most four), opened on first use, released together. */
function sessionCache(ctx: OrtContext, build: (t: Tile) => Uint8Array) {
  const sessions = new Map<string, Promise<OrtSession>>();
  return {
    get(t: Tile): Promise<OrtSession> {
      const key = shapeKey(t);
      let s = sessions.get(key);
      if (!s) sessions.set(key, (s = openSession(ctx, build(t), { runs: 'repeated' })));
      return s;
    },
    async release(): Promise<void> {
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.release()));
    },
  };
}

/** Channels of a layer in this network. */
const channelsOf = (ctx: OrtContext, layer: string) => ctx.kernels(layerIndex(layer)).outChannels;

/** N_l and C_l of each layer over a whole H×W image. */
function layerSizes(ctx: OrtContext, height: number, width: number): LayerSize {
  return (layer) => {
    const p = poolsBefore(layer);
    return { positions: levelSize(height, p) * levelSize(width, p), channels: channelsOf(ctx, layer) };
  };
}

/**
 * The interior masks of tiles, as feeds, made once per distinct placement of an interior in its
 * crop (a few: edge and middle tiles) and reused by every tile, pass and evaluation.
 */
function maskFeeds(ctx: OrtContext, layers: string[]): (t: Tile) => Record<string, OrtTensor> {
  const made = new Map<string, Record<string, OrtTensor>>();
  return (t) => {
    // The masks depend only on the crop's shape and where the interior lies in it (crops start on the grid).
    const key = `${shapeKey(t)}:${t.y0 - t.cy0},${t.y1 - t.cy0},${t.x0 - t.cx0},${t.x1 - t.cx0}`;
    let feeds = made.get(key);
    if (!feeds) {
      feeds = {};
      for (const p of new Set(layers.map(poolsBefore))) {
        feeds[names.mask(p)] = floatTensor(ctx, interiorMask(t, p), [1, 1, levelSize(t.cy1 - t.cy0, p), levelSize(t.cx1 - t.cx0, p)]);
      }
      made.set(key, feeds);
    }
    return feeds;
  };
}

/** Per tile, the interior of each content layer's features of the content image (host). */
async function contentTargetsByTile(ctx: OrtContext, pixels: Float32Array, width: number, tiles: Tile[], layers: string[], pooling: 'max' | 'avg', signal?: AbortSignal): Promise<Array<Map<string, GridFeatures>>> {
  const sessions = sessionCache(ctx, (t) => buildFeaturesGraph({ height: t.cy1 - t.cy0, width: t.cx1 - t.cx0, pooling, layers, weights: ctx.kernels, layout: 'nchw' }));
  try {
    const out: Array<Map<string, GridFeatures>> = [];
    for (const t of tiles) {
      await checkpoint(signal);
      const [ch, cw] = [t.cy1 - t.cy0, t.cx1 - t.cx0];
      out.push(
        await runAndRead(await sessions.get(t), { x: floatTensor(ctx, cropPixels(pixels, width, t), [1, ch, cw, 3]) }, (res) => {
          const m = new Map<string, GridFeatures>();
          for (const l of layers) {
            const [, c, h, w] = res[featuresOutput(l)].dims;
            m.set(l, interiorOf({ data: res[featuresOutput(l)].data as Float32Array, channels: c, height: h, width: w }, interiorAt(t, poolsBefore(l))));
          }
          return m;
        }),
      );
    }
    return out;
  } finally {
    await sessions.release();
  }
}

/** A tile's content targets on its crop's grid, as feeds. */
function contentFeeds(ctx: OrtContext, t: Tile, targets: Map<string, GridFeatures>): Record<string, OrtTensor> {
  const feeds: Record<string, OrtTensor> = {};
  for (const [layer, f] of targets) {
    const p = poolsBefore(layer);
    const [h, w] = [levelSize(t.cy1 - t.cy0, p), levelSize(t.cx1 - t.cx0, p)];
    const { r0, c0 } = interiorAt(t, p);
    feeds[names.contentTarget(layer)] = floatTensor(ctx, onCropGrid(f, h, w, r0, c0), [1, f.channels, h, w]);
  }
  return feeds;
}

/**
 * Gram matrices G_l = ΣFᵀF·gramScale of an RGB 0..255 image [H,W,3] (host pixels), tile by tile:
 * the style targets of a style image larger than a tile.
 */
export async function tiledGramsOrt(ctx: OrtContext, pixels: Float32Array, height: number, width: number, layers: string[], pooling: 'max' | 'avg', tile: number): Promise<Map<string, Float32Array>> {
  const spec = (t: Tile): CropGraphSpec => ({ height: t.cy1 - t.cy0, width: t.cx1 - t.cx0, pooling, content: [], style: layers, weights: ctx.kernels });
  const sessions = sessionCache(ctx, (t) => buildTilePass1Graph(spec(t)));
  const sums = new Map(layers.map((l) => [l, new Float32Array(channelsOf(ctx, l) ** 2)]));
  const masks = maskFeeds(ctx, layers);
  try {
    for (const t of planTiles(height, width, tile, layers)) {
      const [ch, cw] = [t.cy1 - t.cy0, t.cx1 - t.cx0];
      await runAndRead(await sessions.get(t), { x: floatTensor(ctx, cropPixels(pixels, width, t), [1, ch, cw, 3]), ...masks(t) }, (out) => {
        for (const l of layers) addInto(sums.get(l)!, out[names.gramSum(l)].data as Float32Array);
      });
    }
  } finally {
    await sessions.release();
  }
  const size = layerSizes(ctx, height, width);
  for (const [l, s] of sums) {
    const k = gramScale(size(l).positions, size(l).channels);
    for (let i = 0; i < s.length; i++) s[i] *= k;
  }
  return sums;
}

function addInto(target: Float32Array, values: Float32Array): void {
  for (let i = 0; i < target.length; i++) target[i] += values[i];
}

/** The tiled objective (same contract as the untiled one). */
export async function createOrtTiledObjective(ctx: OrtContext, setup: OrtObjectiveSetup & { tile: number }): Promise<Objective> {
  const { height, width, loss, plan, signal } = setup;
  const contentLayers = loss.content.map((c) => c.layer);
  const styleLayers = loss.style.map((s) => s.layer);
  const layers = usedLayers(loss);
  const tiles = planTiles(height, width, setup.tile, layers);
  const size = layerSizes(ctx, height, width);
  const crop = (t: Tile): CropGraphSpec => ({ height: t.cy1 - t.cy0, width: t.cx1 - t.cx0, pooling: loss.pooling, content: contentLayers, style: styleLayers, weights: ctx.kernels });
  const pass1 = sessionCache(ctx, (t) => buildTilePass1Graph(crop(t)));
  const pass2 = sessionCache(ctx, (t) => buildTilePass2Graph({ ...crop(t), loss, size, maxPoolBackward: ctx.maxPoolBackward }));
  const sessions: OrtSession[] = [];
  const release = async () => {
    await Promise.all([pass1.release(), pass2.release(), ...sessions.splice(0).map((s) => s.release())]);
  };
  try {
    const targets = await contentTargetsByTile(ctx, (await setup.content.data()) as Float32Array, width, tiles, contentLayers, loss.pooling, signal);
    const styleTargets: Record<string, OrtTensor> = {};
    for (const l of styleLayers) {
      const a = setup.styleTargets.get(l)!;
      styleTargets[names.styleTarget(l)] = floatTensor(ctx, (await a.data()) as Float32Array, a.shape);
    }
    const head = await openSession(ctx, buildTileHeadGraph(loss, size), { runs: 'repeated' });
    sessions.push(head);
    const tv = await openSession(ctx, buildTvGraph(loss, height, width), { runs: 'repeated', releaseMemory: true });
    sessions.push(tv);

    const masks = maskFeeds(ctx, layers);
    const tileFeeds = (t: Tile, i: number, pixels: Float32Array): Record<string, OrtTensor> => ({
      x: floatTensor(ctx, cropPixels(pixels, width, t), [1, t.cy1 - t.cy0, t.cx1 - t.cx0, 3]),
      ...masks(t),
      ...contentFeeds(ctx, t, targets[i]),
    });

    let released = false;
    return sizedObjective({ height, width, layers: plan }, {
      async evaluate(x) {
        throwIfAborted(signal);
        const pixels = (await x.data()) as Float32Array;
        // 1. Sums over the tiles.
        const squares = new Map(contentLayers.map((l) => [l, 0]));
        const grams = new Map(styleLayers.map((l) => [l, new Float32Array(size(l).channels ** 2)]));
        for (const [i, t] of tiles.entries()) {
          await checkpoint(signal);
          await runAndRead(await pass1.get(t), tileFeeds(t, i, pixels), (out) => {
            for (const l of contentLayers) squares.set(l, squares.get(l)! + scalarOf(out[names.contentSquares(l)]));
            for (const l of styleLayers) addInto(grams.get(l)!, out[names.gramSum(l)].data as Float32Array);
          });
        }
        // 2. Terms and seed matrices.
        const headFeeds: Record<string, OrtTensor> = { ...styleTargets };
        for (const l of contentLayers) headFeeds[names.contentSquares(l)] = floatTensor(ctx, Float32Array.of(squares.get(l)!), []);
        for (const l of styleLayers) headFeeds[names.gramSum(l)] = floatTensor(ctx, grams.get(l)!, [size(l).channels, size(l).channels]);
        const seeds: Record<string, OrtTensor> = {};
        const { content, style } = await runAndRead(head, headFeeds, (out) => {
          for (const l of styleLayers) seeds[names.styleSeed(l)] = floatTensor(ctx, Float32Array.from(out[names.styleSeed(l)].data as Float32Array), [size(l).channels, size(l).channels]);
          return { content: scalarOf(out.content), style: scalarOf(out.style) };
        });
        // 3. TV on the whole image; its gradient starts the image's gradient.
        const grad = new Float32Array(height * width * 3);
        const tvTerm = await runAndRead(tv, { x: floatTensor(ctx, pixels, [1, height, width, 3]) }, (out) => {
          if (out.grad) grad.set(out.grad.data as Float32Array);
          return scalarOf(out.tv);
        });
        // 4. Each crop's share of the features' gradient.
        for (const [i, t] of tiles.entries()) {
          await checkpoint(signal);
          await runAndRead(await pass2.get(t), { ...tileFeeds(t, i, pixels), ...seeds }, (out) => addCropInto(grad, width, t, out.grad.data as Float32Array));
        }
        const terms = { content, style, tv: tvTerm };
        return {
          loss: tf.scalar(weightedTotal(loss, terms)),
          grad: tf.tensor4d(grad, [1, height, width, 3]),
          terms: { content: tf.scalar(content), style: tf.scalar(style), tv: tf.scalar(tvTerm) },
        };
      },
      dispose() {
        if (released) return;
        released = true;
        void release();
        setup.release();
      },
    });
  } catch (err) {
    await release();
    throw err;
  }
}
