/**
 * Finding the layers a message names: by id (a removed or non-scene node is null), the partner of
 * an original ↔ result pair, and the layer the designer means (a selected result stands for its
 * original).
 */
import type { PluginAPI, SceneNode } from '@figma/plugin-typings/plugin-api-standalone.js';
import { isPartner } from '../logic/resultLayer.js';
import { facts, linkOf, siblingsOf } from './nodes.js';

export interface Lookup {
  sceneNode(id: string): Promise<SceneNode | null>;
  /** The other layer of an original ↔ result pair (by id when it points back, else a sibling of a duplicated pair). */
  partnerOf(n: SceneNode): Promise<SceneNode | null>;
  /** The layer the designer means: a selected result layer stands for its original. */
  subjectOf(n: SceneNode): Promise<SceneNode>;
}

export function createLookup(api: PluginAPI): Lookup {
  const sceneNode = async (id: string): Promise<SceneNode | null> => {
    const n = await api.getNodeByIdAsync(id);
    return n && 'visible' in n && !n.removed ? (n as SceneNode) : null;
  };
  const partnerOf = async (n: SceneNode): Promise<SceneNode | null> => {
    const link = linkOf(n);
    if (!link) return null;
    const byId = await sceneNode(link.partnerId);
    if (byId && isPartner(facts(n), facts(byId))) return byId;
    return siblingsOf(n).find((s) => isPartner(facts(n), facts(s))) ?? null;
  };
  const subjectOf = async (n: SceneNode): Promise<SceneNode> => (linkOf(n)?.role === 'result' ? ((await partnerOf(n)) ?? n) : n);
  return { sceneNode, partnerOf, subjectOf };
}

/** Runs `fn` with a hidden original shown (the canvas only renders, and measures, visible layers). */
export async function withShown<T>(n: SceneNode, fn: () => Promise<T> | T): Promise<T> {
  if (n.visible || linkOf(n)?.role !== 'original') return fn();
  n.visible = true;
  try {
    return await fn();
  } finally {
    n.visible = false;
  }
}
