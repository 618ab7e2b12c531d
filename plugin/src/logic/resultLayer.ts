/**
 * The non-destructive result, figma-free: the stylized image goes on a NEW layer above the
 * original (same parent, the original's rendered bounds), the original is kept untouched and
 * hidden, and the two are linked through private plugin data. Revert removes the result layer
 * and shows the original, so nothing of the original (fills, fill style, children, auto-layout,
 * component links) is ever rewritten, and edits made to it later survive.
 *
 * Each pair shares a random `pair` id. A duplicate (⌘D) copies plugin data, so a copied layer
 * names a partner that is not its own: the partner is accepted only when it points back (or, for a
 * duplicated pair, when it is a sibling with the same pair id).
 */
import type { ImagePaint } from '@figma/plugin-typings/plugin-api-standalone.js';
import { decodeRecord } from './pluginData.js';

/** Private plugin-data key of the link (JSON of Link). */
export const LINK_KEY = 'atelier.link';

/** One side of an original ↔ result pair. */
export interface Link {
  v: 2;
  role: 'original' | 'result';
  /** Shared by both layers of the pair. */
  pair: string;
  /** Node id of the other layer when the link was written. */
  partnerId: string;
  /** Original only: Atelier hid it (it is not in an auto-layout flow), so Revert shows it again. */
  hidden?: boolean;
}

/** The IMAGE paint of the result layer: scaleMode FILL, fully opaque. */
export function stylizedPaint(imageHash: string): ImagePaint {
  return { type: 'IMAGE', scaleMode: 'FILL', imageHash, visible: true, opacity: 1, blendMode: 'NORMAL' };
}

/** The result layer's name: the original's, marked. */
export function resultName(originalName: string): string {
  return `${originalName} · stylized`;
}

/** A fresh pair id (random enough to tell pairs apart within a file). */
export function newPairId(random: () => number = Math.random): string {
  return Array.from({ length: 12 }, () => Math.floor(random() * 36).toString(36)).join('');
}

/** Serialises a link for `setPluginData`. */
export function encodeLink(link: Link): string {
  return JSON.stringify(link);
}

/** Parses plugin data back into a Link; `null` when empty or not ours. */
export function decodeLink(text: string): Link | null {
  return decodeRecord<Link>(text, (v) => v.v === 2 && (v.role === 'original' || v.role === 'result') && typeof v.pair === 'string' && typeof v.partnerId === 'string');
}

/** A layer as seen for pairing: its id, parent id and link. */
export interface PairFacts {
  id: string;
  parentId: string | null;
  link: Link | null;
}

/**
 * Whether `candidate` is `self`'s partner: opposite role, same pair, and either it points back
 * at `self` or (a duplicated pair, whose links name the originals' ids) it is a sibling.
 */
export function isPartner(self: PairFacts, candidate: PairFacts): boolean {
  const a = self.link;
  const b = candidate.link;
  if (!a || !b || a.role === b.role || a.pair !== b.pair || self.id === candidate.id) return false;
  return b.partnerId === self.id || self.parentId === candidate.parentId;
}
