/**
 * Facts about Figma scene nodes that every part of the main thread reads: the Atelier link of a
 * layer, where it sits (auto-layout flow, components, instances, groups, boolean operations), what
 * the canvas draws for it, and the coordinate space its `relativeTransform` is in. Figma-typed, but
 * without the `figma` object: the handlers pass nodes in.
 */
import type { BaseNode, ChildrenMixin, Rect, SceneNode } from '@figma/plugin-typings/plugin-api-standalone.js';
import { IDENTITY, type Transform } from '../logic/geometry.js';
import { LINK_KEY, decodeLink, type Link, type PairFacts } from '../logic/resultLayer.js';
import type { Inside } from '../logic/selection.js';

/** A node that holds children. */
export type Parent = BaseNode & ChildrenMixin;

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
export const linkOf = (n: SceneNode): Link | null => decodeLink(n.getPluginData(LINK_KEY));
export const facts = (n: SceneNode): PairFacts => ({ id: n.id, parentId: n.parent?.id ?? null, link: linkOf(n) });
export const siblingsOf = (n: SceneNode): readonly SceneNode[] => (n.parent && 'children' in n.parent ? (n.parent.children as readonly SceneNode[]) : []);
export const isAutoLayout = (p: BaseNode | null): boolean => Boolean(p && 'layoutMode' in p && p.layoutMode !== 'NONE');
/** In an auto-layout flow: hiding it would move its siblings (and shrink a hug-contents parent). */
export const inFlow = (n: SceneNode): boolean => isAutoLayout(n.parent) && 'layoutPositioning' in n && n.layoutPositioning === 'AUTO';
/** What the canvas draws for the node (shadows, outside strokes, overflow), in page coordinates. */
export const renderBounds = (n: SceneNode): Rect => ('absoluteRenderBounds' in n && n.absoluteRenderBounds) || n.absoluteBoundingBox || { x: n.x, y: n.y, width: n.width, height: n.height };

/** Groups and boolean operations: no coordinate space of their own, they take their children's bounds. */
const GROUPING = new Set(['GROUP', 'BOOLEAN_OPERATION']);

/**
 * The node whose coordinates a child of `parent` is placed in: Figma puts the children of groups
 * and boolean operations in the enclosing frame's (or page's) coordinates, not the group's.
 */
export function coordinateSpaceOf(parent: BaseNode): BaseNode {
  let p: BaseNode = parent;
  while (GROUPING.has(p.type) && p.parent) p = p.parent;
  return p;
}

/** The absolute transform of the space `relativeTransform` is in for children of `parent`. */
export const childSpaceTransform = (parent: BaseNode): Transform => {
  const space = coordinateSpaceOf(parent);
  return 'absoluteTransform' in space ? (space.absoluteTransform as Transform) : IDENTITY;
};

/**
 * The nearest main component, instance or boolean operation around `n`: a new layer there would
 * reach every instance, is refused, or would change the boolean's shape.
 */
export function insideOf(n: SceneNode): Inside | null {
  for (let p = n.parent; p && p.type !== 'PAGE' && p.type !== 'DOCUMENT'; p = p.parent) {
    if (p.type === 'COMPONENT') return 'component';
    if (p.type === 'INSTANCE') return 'instance';
    if (p.type === 'BOOLEAN_OPERATION') return 'boolean';
  }
  return null;
}
