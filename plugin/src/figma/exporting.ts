/** Exporting layers as PNG: as the canvas draws them (for a new layer above), or clean (for their fill). */
import type { SceneNode } from '@figma/plugin-typings/plugin-api-standalone.js';
import { planExport } from '../logic/exportPlan.js';
import { replaceFillRefusal } from '../logic/fillReplace.js';
import { IDENTITY } from '../logic/geometry.js';
import type { ExportedLayer } from '../logic/messages.js';
import { withShown } from './lookup.js';
import { insideOf, renderBounds } from './nodes.js';

/** Exports `n` as drawn: default bounds = what the canvas draws, rotation, strokes, effects and overflow included. */
export const exportAsDrawn = (n: SceneNode, size: number): Promise<ExportedLayer> =>
  withShown(n, async () => {
    const b = renderBounds(n);
    const plan = planExport(b.width, b.height, size);
    const png = await n.exportAsync({ format: 'PNG', constraint: { type: 'SCALE', value: plan.scale } });
    return { nodeId: n.id, name: n.name, png, width: plan.width, height: plan.height, replaceFill: false };
  });

/** Whether the fill of `n` may be replaced (a shape without children, outside components and instances). */
export const fillReplaceable = (n: SceneNode): boolean => replaceFillRefusal({ type: n.type, hasChildren: 'children' in n && n.children.length > 0, inside: insideOf(n) }) === null;

/**
 * Exports a clean copy of `n` for its fill: unrotated, unflipped, without its strokes, effects,
 * opacity and blend mode (the layer keeps drawing those over its fill), in its own frame.
 */
export async function exportClean(n: SceneNode, size: number): Promise<ExportedLayer> {
  const plan = planExport(n.width, n.height, size);
  const copy = n.clone();
  try {
    copy.relativeTransform = IDENTITY;
    copy.visible = true;
    if ('strokes' in copy) copy.strokes = [];
    if ('effects' in copy) copy.effects = [];
    if ('opacity' in copy) copy.opacity = 1;
    if ('blendMode' in copy) copy.blendMode = 'NORMAL';
    const png = await copy.exportAsync({ format: 'PNG', constraint: { type: 'SCALE', value: plan.scale }, useAbsoluteBounds: true });
    return { nodeId: n.id, name: n.name, png, width: plan.width, height: plan.height, replaceFill: true };
  } finally {
    copy.remove();
  }
}
