/**
 * Fill replacement and revert bookkeeping, figma-free: what to save before replacing a layer's
 * fills with the stylized image, what to hide, and how to restore exactly.
 *
 * The original is saved once (in private plugin data) and kept across repeated stylizations, so
 * Revert always returns to the layer as it was before Atelier first touched it.
 */
import type { ImagePaint, Paint } from '@figma/plugin-typings/plugin-api-standalone.js';

/** Private plugin-data key holding the saved original (JSON of SavedOriginal). */
export const ORIGINAL_KEY = 'atelier.original';

/** What Revert needs: the original fills and the children Atelier hid. */
export interface SavedOriginal {
  v: 1;
  fills: Paint[];
  /** Children that were visible and were hidden so the frame shows its image. */
  hiddenChildIds: string[];
  /** Hash of the image Atelier applied last. */
  appliedImageHash: string;
}

/** A child as seen for hiding decisions. */
export interface ChildFacts {
  id: string;
  visible: boolean;
}

/** The IMAGE paint that replaces the fills: scaleMode FILL, fully opaque. */
export function stylizedPaint(imageHash: string): ImagePaint {
  return { type: 'IMAGE', scaleMode: 'FILL', imageHash, visible: true, opacity: 1, blendMode: 'NORMAL' };
}

/** Deep copy of paints through JSON (paints are plain data), so nothing aliases Figma's arrays. */
export function clonePaints(fills: readonly Paint[]): Paint[] {
  return JSON.parse(JSON.stringify(fills)) as Paint[];
}

/** Serialises a saved original for `setPluginData`. */
export function encodeOriginal(o: SavedOriginal): string {
  return JSON.stringify(o);
}

/** Parses plugin data back into a SavedOriginal; `null` when empty or not ours. */
export function decodeOriginal(text: string): SavedOriginal | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<SavedOriginal>;
    if (v?.v !== 1 || !Array.isArray(v.fills) || !Array.isArray(v.hiddenChildIds) || typeof v.appliedImageHash !== 'string') return null;
    if (!v.hiddenChildIds.every((x) => typeof x === 'string')) return null;
    return v as SavedOriginal;
  } catch {
    return null;
  }
}

/** What applying the image to one layer does. */
export interface ApplyPlan {
  /** The fills to set. */
  fills: Paint[];
  /** Child ids to hide now. */
  hide: string[];
  /** The record to save (the first original is kept across re-stylizations). */
  record: SavedOriginal;
}

/**
 * Plans replacing a layer's fills with `imageHash`: saves the current fills (unless an earlier
 * original is already saved) and hides the currently visible children (frames show their fill
 * only behind children).
 */
export function planApply(savedText: string, currentFills: readonly Paint[], children: readonly ChildFacts[], imageHash: string): ApplyPlan {
  const previous = decodeOriginal(savedText);
  const hide = children.filter((c) => c.visible).map((c) => c.id);
  const record: SavedOriginal = previous
    ? { ...previous, hiddenChildIds: [...new Set([...previous.hiddenChildIds, ...hide])], appliedImageHash: imageHash }
    : { v: 1, fills: clonePaints(currentFills), hiddenChildIds: hide, appliedImageHash: imageHash };
  return { fills: [stylizedPaint(imageHash)], hide, record };
}

/** What reverting one layer does: restore these fills, show these children, clear the record. */
export function planRevert(savedText: string): { fills: Paint[]; show: string[] } | null {
  const saved = decodeOriginal(savedText);
  return saved ? { fills: clonePaints(saved.fills), show: [...saved.hiddenChildIds] } : null;
}
