/**
 * Putting results on the canvas and taking them back: a new layer above the original (which is
 * hidden, untouched), or the replaced fill of a shape; and reverting either.
 */
import type { PluginAPI, SceneNode } from '@figma/plugin-typings/plugin-api-standalone.js';
import { decodeFill, encodeFill, FILL_KEY, isOurFill, planFillRecord } from '../logic/fillReplace.js';
import { placeAt } from '../logic/geometry.js';
import { PROVENANCE_KEY, PROVENANCE_NAMESPACE } from '../logic/provenance.js';
import { encodeLink, LINK_KEY, newPairId, resultName, stylizedPaint } from '../logic/resultLayer.js';
import { skipReason } from '../logic/selection.js';
import { withShown, type Lookup } from './lookup.js';
import { childSpaceTransform, inFlow, insideOf, isAutoLayout, linkOf, renderBounds, type Parent } from './nodes.js';

/** Replaces the fill of `n` with the image, saving the fills and colour style it had (once). */
export function replaceFill(n: SceneNode, imageHash: string, provenance: string): void {
  if (!('fills' in n) || typeof n.fills === 'symbol') throw new Error('Its fills are mixed and cannot be replaced');
  const styleId = 'fillStyleId' in n && typeof n.fillStyleId === 'string' ? n.fillStyleId : '';
  const record = planFillRecord(n.fills, styleId, decodeFill(n.getPluginData(FILL_KEY)), imageHash);
  n.fills = [stylizedPaint(imageHash)];
  n.setPluginData(FILL_KEY, encodeFill(record));
  n.setSharedPluginData(PROVENANCE_NAMESPACE, PROVENANCE_KEY, provenance);
}

/** Reverts a replaced fill; false when the designer changed the fill since (their edit is kept). */
export async function revertFill(n: SceneNode): Promise<boolean> {
  const saved = decodeFill(n.getPluginData(FILL_KEY));
  const ours = 'fills' in n && isOurFill(n.fills, saved);
  if (ours && saved && 'fills' in n) {
    n.fills = saved.fills;
    if (saved.fillStyleId && 'setFillStyleIdAsync' in n) await n.setFillStyleIdAsync(saved.fillStyleId);
  }
  n.setPluginData(FILL_KEY, '');
  n.setSharedPluginData(PROVENANCE_NAMESPACE, PROVENANCE_KEY, '');
  return ours;
}

/** Creates or updates the result layer of `original` with the image `imageHash`; hides the original. */
export async function placeResult(api: PluginAPI, lookup: Lookup, original: SceneNode, imageHash: string, provenance: string): Promise<void> {
  const parent = original.parent as Parent | null;
  if (!parent) throw new Error('The layer is not on a page any more');
  const inside = insideOf(original);
  if (inside || original.type === 'COMPONENT') throw new Error(skipReason({ id: original.id, name: original.name, type: original.type, width: 1, height: 1, hasReadableFills: true, inside }) ?? 'not supported');
  const link = linkOf(original);
  const bounds = await withShown(original, () => renderBounds(original));
  let result = link?.role === 'original' ? await lookup.partnerOf(original) : null;
  if (!result) {
    result = api.createRectangle();
    parent.insertChild(parent.children.indexOf(original) + 1, result);
    if (isAutoLayout(parent)) result.layoutPositioning = 'ABSOLUTE';
  }
  if (!('resize' in result) || !('fills' in result)) throw new Error('The stylized layer was replaced by another kind of layer');
  result.name = resultName(original.name);
  result.resize(Math.max(0.01, bounds.width), Math.max(0.01, bounds.height));
  // the export is axis-aligned on the canvas (rotation and flips are rendered in), so is its layer;
  // in a group it is placed in the enclosing frame's (or page's) coordinates, as Figma places group children
  result.relativeTransform = placeAt(childSpaceTransform(parent), bounds.x, bounds.y);
  result.fills = [stylizedPaint(imageHash)];
  if ('strokes' in result) result.strokes = [];
  if ('effects' in result) result.effects = [];
  // opacity is baked into the exported pixels; blending with what lies below is not
  if ('opacity' in result) result.opacity = 1;
  if ('blendMode' in result && 'blendMode' in original) result.blendMode = original.blendMode === 'PASS_THROUGH' ? 'NORMAL' : original.blendMode;
  const hidden = link?.role === 'original' ? Boolean(link.hidden) : !inFlow(original);
  if (hidden) original.visible = false;
  const pair = link?.pair ?? newPairId();
  original.setPluginData(LINK_KEY, encodeLink({ v: 2, role: 'original', pair, partnerId: result.id, hidden }));
  result.setPluginData(LINK_KEY, encodeLink({ v: 2, role: 'result', pair, partnerId: original.id }));
  result.setSharedPluginData(PROVENANCE_NAMESPACE, PROVENANCE_KEY, provenance);
}
