/**
 * The plugin's main thread (Figma sandbox): the ONLY module that touches the Figma API. It reads
 * the selection, exports layers as PNG (as the canvas renders them), puts each stylized image on a
 * new layer above its original (which it hides, untouched), reverts by removing that layer, stores
 * settings in clientStorage, cancels a running job when the plugin closes, and talks to the UI
 * over the typed channel. Everything that can be decided without Figma lives in ./logic.
 */
import type { BaseNode, ChildrenMixin, PluginAPI, Rect, SceneNode } from '@figma/plugin-typings/plugin-api-standalone.js';
import { planExport } from './logic/exportPlan.js';
import { IDENTITY, placeAt, type Transform } from './logic/geometry.js';
import { createChannel, type ExportRequest, type ExportedLayer, type LayerFailure, type LayerInfo, type MainChannel, type SelectionSummary } from './logic/messages.js';
import { PROVENANCE_KEY, PROVENANCE_NAMESPACE, decodeProvenance, encodeProvenance } from './logic/provenance.js';
import { LINK_KEY, decodeLink, encodeLink, isPartner, newPairId, resultName, stylizedPaint, type Link, type PairFacts } from './logic/resultLayer.js';
import { skipReason, type Inside } from './logic/selection.js';
import { FILL_KEY, decodeFill, encodeFill, isOurFill, planFillRecord, replaceFillRefusal } from './logic/fillReplace.js';
import { CONNECTION_KEY, CONTROLS_KEY, sanitizeConnection, sanitizeControls, type Settings } from './logic/settings.js';

declare const figma: PluginAPI | undefined;
declare const __html__: string;

/** Size of the plugin window. */
export const UI_SIZE = { width: 360, height: 640 } as const;

type Parent = BaseNode & ChildrenMixin;

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const linkOf = (n: SceneNode): Link | null => decodeLink(n.getPluginData(LINK_KEY));
const facts = (n: SceneNode): PairFacts => ({ id: n.id, parentId: n.parent?.id ?? null, link: linkOf(n) });
const siblingsOf = (n: SceneNode): readonly SceneNode[] => (n.parent && 'children' in n.parent ? (n.parent.children as readonly SceneNode[]) : []);
const isAutoLayout = (p: BaseNode | null): boolean => Boolean(p && 'layoutMode' in p && p.layoutMode !== 'NONE');
/** In an auto-layout flow: hiding it would move its siblings (and shrink a hug-contents parent). */
const inFlow = (n: SceneNode): boolean => isAutoLayout(n.parent) && 'layoutPositioning' in n && n.layoutPositioning === 'AUTO';
/** What the canvas draws for the node (shadows, outside strokes, overflow), in page coordinates. */
const renderBounds = (n: SceneNode): Rect => ('absoluteRenderBounds' in n && n.absoluteRenderBounds) || n.absoluteBoundingBox || { x: n.x, y: n.y, width: n.width, height: n.height };
const absoluteOf = (p: BaseNode): Transform => ('absoluteTransform' in p ? (p.absoluteTransform as Transform) : IDENTITY);

/** The nearest main component or instance around `n` (new layers there would reach other instances, or are refused). */
function insideOf(n: SceneNode): Inside | null {
  for (let p = n.parent; p && p.type !== 'PAGE' && p.type !== 'DOCUMENT'; p = p.parent) {
    if (p.type === 'COMPONENT') return 'component';
    if (p.type === 'INSTANCE') return 'instance';
  }
  return null;
}

/** Starts the plugin against a Figma API object (the real `figma`, or the harness's fake). */
export function startPlugin(api: PluginAPI, html: string): MainChannel {
  let styleLayerId: string | null = null;
  let runningJob: { cancelUrl: string; token: string } | null = null;
  const channel: MainChannel = createChannel((message) => api.ui.postMessage(message));

  const sceneNode = async (id: string): Promise<SceneNode | null> => {
    const n = await api.getNodeByIdAsync(id);
    return n && 'visible' in n && !n.removed ? (n as SceneNode) : null;
  };

  /** The other layer of an original ↔ result pair (by id when it points back, else a sibling of a duplicated pair). */
  const partnerOf = async (n: SceneNode): Promise<SceneNode | null> => {
    const link = linkOf(n);
    if (!link) return null;
    const byId = await sceneNode(link.partnerId);
    if (byId && isPartner(facts(n), facts(byId))) return byId;
    return siblingsOf(n).find((s) => isPartner(facts(n), facts(s))) ?? null;
  };

  /** The layer the designer means: a selected result layer stands for its original. */
  const subjectOf = async (n: SceneNode): Promise<SceneNode> => (linkOf(n)?.role === 'result' ? ((await partnerOf(n)) ?? n) : n);

  /** Runs `fn` with a hidden original shown (the canvas only renders, and measures, visible layers). */
  const withShown = async <T>(n: SceneNode, fn: () => Promise<T> | T): Promise<T> => {
    if (n.visible || linkOf(n)?.role !== 'original') return fn();
    n.visible = true;
    try {
      return await fn();
    } finally {
      n.visible = false;
    }
  };

  const layerInfo = async (n: SceneNode): Promise<LayerInfo> => {
    const link = linkOf(n);
    const result = link?.role === 'original' ? await partnerOf(n) : null;
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
  };

  const summarize = async (): Promise<SelectionSummary> => {
    const selection = api.currentPage.selection;
    if (styleLayerId && !selection.some((n) => n.id === styleLayerId)) styleLayerId = null;
    const summary: SelectionSummary = { targets: [], skipped: [], styleLayer: null };
    const seen = new Set<string>();
    for (const picked of selection) {
      if (picked.id === styleLayerId) {
        summary.styleLayer = await layerInfo(picked);
        continue;
      }
      const n = await subjectOf(picked);
      if (seen.has(n.id)) continue;
      seen.add(n.id);
      const info = await layerInfo(n);
      const reason = skipReason({ ...info, hasReadableFills: !('fills' in n) || typeof n.fills !== 'symbol', inside: insideOf(n) });
      if (reason) summary.skipped.push({ id: n.id, name: n.name, type: n.type, reason });
      else summary.targets.push(info);
    }
    return summary;
  };

  const exportLayer = (n: SceneNode, size: number): Promise<ExportedLayer> =>
    withShown(n, async () => {
      const b = renderBounds(n);
      const plan = planExport(b.width, b.height, size);
      // default bounds = what the canvas draws, rotation, strokes, effects and overflow included
      const png = await n.exportAsync({ format: 'PNG', constraint: { type: 'SCALE', value: plan.scale } });
      return { nodeId: n.id, name: n.name, png, width: plan.width, height: plan.height, replaceFill: false };
    });

  /** Whether the fill of `n` may be replaced (a shape without children, outside components and instances). */
  const fillReplaceable = (n: SceneNode): boolean => replaceFillRefusal({ type: n.type, hasChildren: 'children' in n && n.children.length > 0, inside: insideOf(n) }) === null;

  /**
   * Exports a clean copy of `n` for its fill: unrotated, unflipped, without its strokes, effects,
   * opacity and blend mode (the layer keeps drawing those over its fill), in its own frame.
   */
  const exportClean = async (n: SceneNode, size: number): Promise<ExportedLayer> => {
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
  };

  /** Replaces the fill of `n` with the image, saving the fills and colour style it had (once). */
  const replaceFill = (n: SceneNode, imageHash: string, provenance: string): void => {
    if (!('fills' in n) || typeof n.fills === 'symbol') throw new Error('Its fills are mixed and cannot be replaced');
    const styleId = 'fillStyleId' in n && typeof n.fillStyleId === 'string' ? n.fillStyleId : '';
    const record = planFillRecord(n.fills, styleId, decodeFill(n.getPluginData(FILL_KEY)), imageHash);
    n.fills = [stylizedPaint(imageHash)];
    n.setPluginData(FILL_KEY, encodeFill(record));
    n.setSharedPluginData(PROVENANCE_NAMESPACE, PROVENANCE_KEY, provenance);
  };

  /** Reverts a replaced fill; false when the designer changed the fill since (their edit is kept). */
  const revertFill = async (n: SceneNode): Promise<boolean> => {
    const saved = decodeFill(n.getPluginData(FILL_KEY));
    const ours = 'fills' in n && isOurFill(n.fills, saved);
    if (ours && saved && 'fills' in n) {
      n.fills = saved.fills;
      if (saved.fillStyleId && 'setFillStyleIdAsync' in n) await n.setFillStyleIdAsync(saved.fillStyleId);
    }
    n.setPluginData(FILL_KEY, '');
    n.setSharedPluginData(PROVENANCE_NAMESPACE, PROVENANCE_KEY, '');
    return ours;
  };

  /** Creates or updates the result layer of `original` with the image `imageHash`; hides the original. */
  const placeResult = async (original: SceneNode, imageHash: string, provenance: string): Promise<void> => {
    const parent = original.parent as Parent | null;
    if (!parent) throw new Error('The layer is not on a page any more');
    const inside = insideOf(original);
    if (inside || original.type === 'COMPONENT') throw new Error(skipReason({ id: original.id, name: original.name, type: original.type, width: 1, height: 1, hasReadableFills: true, inside }) ?? 'not supported');
    const link = linkOf(original);
    const bounds = await withShown(original, () => renderBounds(original));
    let result = link?.role === 'original' ? await partnerOf(original) : null;
    if (!result) {
      result = api.createRectangle();
      parent.insertChild(parent.children.indexOf(original) + 1, result);
      if (isAutoLayout(parent)) result.layoutPositioning = 'ABSOLUTE';
    }
    if (!('resize' in result) || !('fills' in result)) throw new Error('The stylized layer was replaced by another kind of layer');
    result.name = resultName(original.name);
    result.resize(Math.max(0.01, bounds.width), Math.max(0.01, bounds.height));
    // the export is axis-aligned on the canvas (rotation and flips are rendered in), so is its layer
    result.relativeTransform = placeAt(absoluteOf(parent), bounds.x, bounds.y);
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
  };

  const loadSettings = async (): Promise<Settings> => ({
    connection: sanitizeConnection(await api.clientStorage.getAsync(CONNECTION_KEY)),
    controls: sanitizeControls(await api.clientStorage.getAsync(CONTROLS_KEY)),
  });

  const sendSelection = async (): Promise<void> => channel.emit('selection', await summarize());

  channel.on('ready', async () => {
    channel.emit('init', { settings: await loadSettings(), selection: await summarize() });
  });

  channel.on('saveSettings', async (s) => {
    try {
      if (s.connection) await api.clientStorage.setAsync(CONNECTION_KEY, sanitizeConnection(s.connection));
      if (s.controls) await api.clientStorage.setAsync(CONTROLS_KEY, sanitizeControls(s.controls));
    } catch (err) {
      api.notify(`Atelier could not save your settings: ${errorText(err)}`, { error: true });
    }
  });

  channel.on('markStyleLayer', ({ nodeId }) => {
    styleLayerId = nodeId && api.currentPage.selection.some((n) => n.id === nodeId) ? nodeId : null;
    void sendSelection();
  });

  channel.on('exportLayers', async ({ requestId, layers, style: styleRequest, replaceFill: wantsFill }) => {
    try {
      const contents: ExportedLayer[] = [];
      const failed: LayerFailure[] = [];
      for (const { nodeId, size } of layers as ExportRequest[]) {
        const picked = await sceneNode(nodeId);
        if (!picked) {
          failed.push({ nodeId, name: 'A selected layer', reason: 'It was deleted meanwhile' });
          continue;
        }
        const n = await subjectOf(picked);
        try {
          contents.push(wantsFill && fillReplaceable(n) && linkOf(n)?.role !== 'original' ? await exportClean(n, size) : await exportLayer(n, size));
        } catch (err) {
          failed.push({ nodeId: n.id, name: n.name, reason: `Figma could not export it (${errorText(err)})` });
        }
      }
      let style: ExportedLayer | null = null;
      if (styleRequest) {
        const s = await sceneNode(styleRequest.nodeId);
        if (!s) throw new Error('The style layer was deleted — mark another one');
        style = await exportLayer(s, styleRequest.size);
      }
      channel.emit('exported', { requestId, contents, style, failed });
    } catch (err) {
      channel.emit('requestFailed', { requestId, message: errorText(err) });
    }
  });

  channel.on('apply', async ({ requestId, items, provenance }) => {
    const applied: { nodeId: string; name: string }[] = [];
    const failed: LayerFailure[] = [];
    const record = encodeProvenance({ ...provenance, appliedAt: new Date().toISOString() });
    for (const item of items) {
      const picked = await sceneNode(item.nodeId);
      if (!picked) {
        failed.push({ nodeId: item.nodeId, name: 'A selected layer', reason: 'It was deleted while stylizing' });
        continue;
      }
      const n = await subjectOf(picked);
      try {
        const hash = api.createImage(item.png).hash;
        if (item.replaceFill && fillReplaceable(n)) replaceFill(n, hash, record);
        else await placeResult(n, hash, record);
        applied.push({ nodeId: n.id, name: n.name });
      } catch (err) {
        failed.push({ nodeId: n.id, name: n.name, reason: errorText(err) });
      }
    }
    // one undo step per run: ⌘Z takes back exactly this stylization
    if (applied.length) api.commitUndo();
    if (applied.length) {
      const extra = failed.length ? ` (${failed.length} failed)` : '';
      api.notify(`Atelier: stylized ${plural(applied.length, 'layer')}${extra}`);
    } else if (failed.length) {
      api.notify(`Atelier: nothing applied — ${failed[0].reason}`, { error: true });
    }
    channel.emit('applied', { requestId, applied, failed });
    await sendSelection();
  });

  channel.on('revert', async ({ requestId, nodeIds }) => {
    const reverted: { nodeId: string; name: string }[] = [];
    const failed: LayerFailure[] = [];
    for (const id of nodeIds) {
      const picked = await sceneNode(id);
      const n = picked ? await subjectOf(picked) : null;
      const link = n ? linkOf(n) : null;
      if (n && link?.role !== 'original' && decodeFill(n.getPluginData(FILL_KEY))) {
        if (await revertFill(n)) reverted.push({ nodeId: n.id, name: n.name });
        else failed.push({ nodeId: n.id, name: n.name, reason: 'Its fill was changed after stylizing — your change is kept' });
        continue;
      }
      if (!n || link?.role !== 'original') {
        failed.push({ nodeId: id, name: n?.name ?? 'A selected layer', reason: n ? 'Atelier has not stylized this layer' : 'It was deleted meanwhile' });
        continue;
      }
      try {
        (await partnerOf(n))?.remove();
        if (link.hidden) n.visible = true;
        n.setPluginData(LINK_KEY, '');
        reverted.push({ nodeId: n.id, name: n.name });
      } catch (err) {
        failed.push({ nodeId: n.id, name: n.name, reason: errorText(err) });
      }
    }
    if (reverted.length) {
      api.commitUndo();
      api.notify(`Atelier: reverted ${plural(reverted.length, 'layer')}`);
    }
    channel.emit('reverted', { requestId, reverted, failed });
    await sendSelection();
  });

  channel.on('showOriginal', async ({ nodeIds, show }) => {
    let changed = false;
    for (const id of nodeIds) {
      const picked = await sceneNode(id);
      const n = picked ? await subjectOf(picked) : null;
      const link = n ? linkOf(n) : null;
      const result = n && link?.role === 'original' ? await partnerOf(n) : null;
      if (!n || !link || !result) continue;
      result.visible = !show;
      if (link.hidden) n.visible = show;
      changed = true;
    }
    if (changed) api.commitUndo();
    await sendSelection();
  });

  channel.on('notify', ({ message, error }) => {
    api.notify(message, error ? { error: true } : undefined);
  });

  channel.on('jobStarted', (job) => {
    runningJob = job;
  });
  channel.on('jobEnded', () => {
    runningJob = null;
  });

  // Closing the plugin destroys the UI mid-run: cancel its job so later runs do not queue behind it.
  api.on('close', () => {
    if (!runningJob) return;
    const { cancelUrl, token } = runningJob;
    runningJob = null;
    fetch(cancelUrl, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } }).catch(() => undefined);
  });

  api.ui.onmessage = (message: unknown) => channel.dispatch(message);
  api.on('selectionchange', () => void sendSelection());
  api.on('currentpagechange', () => void sendSelection());
  api.showUI(html, { ...UI_SIZE, themeColors: true, title: 'Atelier' });
  return channel;
}

if (typeof figma !== 'undefined' && figma) startPlugin(figma, __html__);
