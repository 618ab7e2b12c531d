/** The selection as the UI sees it: targets (with their stylized state), skipped layers and why, and the marked style layer. */
import type { SceneNode } from '@figma/plugin-typings/plugin-api-standalone.js';
import { decodeFill, FILL_KEY, isOurFill } from '../logic/fillReplace.js';
import type { LayerInfo, SelectionSummary } from '../logic/messages.js';
import { decodeProvenance, PROVENANCE_KEY, PROVENANCE_NAMESPACE } from '../logic/provenance.js';
import { skipReason } from '../logic/selection.js';
import type { Lookup } from './lookup.js';
import { insideOf, linkOf, renderBounds } from './nodes.js';

/** What the UI shows of one layer. */
export async function layerInfo(lookup: Lookup, n: SceneNode): Promise<LayerInfo> {
  const link = linkOf(n);
  const result = link?.role === 'original' ? await lookup.partnerOf(n) : null;
  const fills = 'fills' in n && typeof n.fills !== 'symbol' ? n.fills : [];
  const filled = isOurFill(fills, decodeFill(n.getPluginData(FILL_KEY)));
  // a hidden original has no render bounds; its result layer was sized to them
  const size = result ?? (n.visible ? renderBounds(n) : n);
  return {
    id: n.id,
    name: n.name,
    type: n.type,
    width: size.width,
    height: size.height,
    hasImageFill: fills.some((p) => p.type === 'IMAGE' && p.visible !== false),
    stylized: link?.role === 'original' || filled,
    hasResultLayer: Boolean(result),
    showingOriginal: Boolean(result && !result.visible),
    provenance: result || filled ? decodeProvenance((result ?? n).getSharedPluginData(PROVENANCE_NAMESPACE, PROVENANCE_KEY)) : null,
  };
}

/** Splits `selection` into targets and skipped layers; `styleLayerId` is the layer marked as the style. */
export async function summarizeSelection(lookup: Lookup, selection: readonly SceneNode[], styleLayerId: string | null): Promise<SelectionSummary> {
  const summary: SelectionSummary = { targets: [], skipped: [], styleLayer: null };
  const seen = new Set<string>();
  for (const picked of selection) {
    if (picked.id === styleLayerId) {
      summary.styleLayer = await layerInfo(lookup, picked);
      continue;
    }
    const n = await lookup.subjectOf(picked);
    if (seen.has(n.id)) continue;
    seen.add(n.id);
    const info = await layerInfo(lookup, n);
    const reason = skipReason({ ...info, hasReadableFills: !('fills' in n) || typeof n.fills !== 'symbol', inside: insideOf(n) });
    if (reason) summary.skipped.push({ id: n.id, name: n.name, type: n.type, reason });
    else summary.targets.push(info);
  }
  return summary;
}
