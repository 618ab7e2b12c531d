/**
 * The "replace the fill" option, figma-free: for shapes where it is safe, the stylized image
 * replaces the layer's own fill instead of going on a new layer. Safe means a shape without
 * children (nothing to hide, so no auto-layout collapses and no overflow is lost) outside any
 * main component or instance. Its export is a CLEAN copy — unrotated, without its strokes,
 * effects, opacity or blend mode — because the fill is drawn in the layer's own frame and the
 * layer still draws those on top (exporting them would double them).
 *
 * Revert restores the saved fills and the colour-style link, but only while the fill is still
 * Atelier's image: a fill the designer changed since is their edit, and it is kept.
 */
import type { Paint } from '@figma/plugin-typings/plugin-api-standalone.js';
import { decodeRecord } from './pluginData.js';

/** Private plugin-data key of the saved fill (JSON of SavedFill). */
export const FILL_KEY = 'atelier.fill';

/** Shape types whose fill can take the image. */
export const FILL_SAFE_TYPES: ReadonlySet<string> = new Set(['RECTANGLE', 'ELLIPSE', 'POLYGON', 'STAR', 'VECTOR']);

/** What Revert restores. */
export interface SavedFill {
  v: 1;
  fills: Paint[];
  /** The paint style the fills were linked to ('' for none). */
  fillStyleId: string;
  /** Hash of the image Atelier applied last. */
  imageHash: string;
}

/** Why this layer gets a new layer even though "replace the fill" is on; null when replacing is safe. */
export function replaceFillRefusal(layer: { type: string; hasChildren: boolean; inside: string | null }): string | null {
  if (!FILL_SAFE_TYPES.has(layer.type) || layer.hasChildren) return 'only shapes without children can have their fill replaced';
  if (layer.inside) return 'it is inside a component, an instance or a boolean shape';
  return null;
}

/** Serialises a saved fill for `setPluginData`. */
export function encodeFill(f: SavedFill): string {
  return JSON.stringify(f);
}

/** Parses plugin data back into a SavedFill; `null` when empty or not ours. */
export function decodeFill(text: string): SavedFill | null {
  return decodeRecord<SavedFill>(text, (v) => v.v === 1 && Array.isArray(v.fills) && typeof v.fillStyleId === 'string' && typeof v.imageHash === 'string');
}

/** True while the layer's fill is still exactly the image Atelier applied. */
export function isOurFill(fills: readonly Paint[] | symbol, saved: SavedFill | null): boolean {
  if (!saved || typeof fills === 'symbol' || fills.length !== 1) return false;
  const p = fills[0];
  return p.type === 'IMAGE' && p.imageHash === saved.imageHash;
}

/** The record to save when applying `imageHash`: the first original is kept across re-stylizations. */
export function planFillRecord(current: readonly Paint[], fillStyleId: string, saved: SavedFill | null, imageHash: string): SavedFill {
  if (saved && isOurFill(current, saved)) return { ...saved, imageHash };
  return { v: 1, fills: JSON.parse(JSON.stringify(current)) as Paint[], fillStyleId, imageHash };
}
