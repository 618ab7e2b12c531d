/**
 * The plugin's main thread (Figma sandbox): the ONLY module that touches the Figma API. It reads
 * the selection, exports layers as PNG, replaces fills with the stylized images (saving the
 * originals for Revert), stores settings in clientStorage, and talks to the UI over the typed
 * channel. Everything that can be decided without Figma lives in ./logic.
 */
import type { PluginAPI, SceneNode, Paint } from '@figma/plugin-typings/plugin-api-standalone.js';
import { planExport } from './logic/exportPlan.js';
import { ORIGINAL_KEY, decodeOriginal, encodeOriginal, planApply, planRevert } from './logic/fills.js';
import { createChannel, type ExportedLayer, type LayerFailure, type LayerInfo, type MainChannel, type SelectionSummary } from './logic/messages.js';
import { PROVENANCE_KEY, PROVENANCE_NAMESPACE, decodeProvenance, encodeProvenance } from './logic/provenance.js';
import { skipReason } from './logic/selection.js';
import { CONNECTION_KEY, CONTROLS_KEY, sanitizeConnection, sanitizeControls, type Settings } from './logic/settings.js';

declare const figma: PluginAPI | undefined;
declare const __html__: string;

/** Size of the plugin window. */
export const UI_SIZE = { width: 360, height: 640 } as const;

type FillableNode = SceneNode & { fills: readonly Paint[] | symbol };

const hasFills = (n: SceneNode): n is FillableNode => 'fills' in n;
const childrenOf = (n: SceneNode): readonly SceneNode[] => ('children' in n ? (n.children as readonly SceneNode[]) : []);
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Starts the plugin against a Figma API object (the real `figma`, or the harness's fake). */
export function startPlugin(api: PluginAPI, html: string): MainChannel {
  let styleLayerId: string | null = null;
  const channel: MainChannel = createChannel((message) => api.ui.postMessage(message));

  const readFills = (n: SceneNode): readonly Paint[] | null => {
    if (!hasFills(n)) return null;
    return typeof n.fills === 'symbol' ? null : n.fills;
  };

  const layerInfo = (n: SceneNode): LayerInfo => {
    const fills = readFills(n) ?? [];
    return {
      id: n.id,
      name: n.name,
      type: n.type,
      width: 'width' in n ? n.width : 0,
      height: 'height' in n ? n.height : 0,
      hasImageFill: fills.some((p) => p.type === 'IMAGE' && p.visible !== false),
      stylized: decodeOriginal(n.getPluginData(ORIGINAL_KEY)) !== null,
      provenance: decodeProvenance(n.getSharedPluginData(PROVENANCE_NAMESPACE, PROVENANCE_KEY)),
    };
  };

  const summarize = (): SelectionSummary => {
    const selection = api.currentPage.selection;
    if (styleLayerId && !selection.some((n) => n.id === styleLayerId)) styleLayerId = null;
    const summary: SelectionSummary = { targets: [], skipped: [], styleLayer: null };
    for (const n of selection) {
      const info = layerInfo(n);
      if (n.id === styleLayerId) {
        summary.styleLayer = info;
        continue;
      }
      const reason = skipReason({ ...info, hasReadableFills: readFills(n) !== null });
      if (reason) summary.skipped.push({ id: n.id, name: n.name, type: n.type, reason });
      else summary.targets.push(info);
    }
    return summary;
  };

  const sceneNode = async (id: string): Promise<SceneNode | null> => {
    const n = await api.getNodeByIdAsync(id);
    return n && 'visible' in n ? (n as SceneNode) : null;
  };

  const exportLayer = async (n: SceneNode, size: number): Promise<ExportedLayer> => {
    const plan = planExport(n.width, n.height, size);
    const png = await n.exportAsync({ format: 'PNG', constraint: { type: 'SCALE', value: plan.scale }, useAbsoluteBounds: true });
    return { nodeId: n.id, name: n.name, png, width: plan.width, height: plan.height };
  };

  const loadSettings = async (): Promise<Settings> => ({
    connection: sanitizeConnection(await api.clientStorage.getAsync(CONNECTION_KEY)),
    controls: sanitizeControls(await api.clientStorage.getAsync(CONTROLS_KEY)),
  });

  const sendSelection = (): void => channel.emit('selection', summarize());

  channel.on('ready', async () => {
    channel.emit('init', { settings: await loadSettings(), selection: summarize() });
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
    sendSelection();
  });

  channel.on('exportLayers', async ({ requestId, nodeIds, styleNodeId, size }) => {
    try {
      const contents: ExportedLayer[] = [];
      const failed: LayerFailure[] = [];
      for (const id of nodeIds) {
        const n = await sceneNode(id);
        if (!n) {
          failed.push({ nodeId: id, name: id, reason: 'The layer no longer exists' });
          continue;
        }
        try {
          contents.push(await exportLayer(n, size));
        } catch (err) {
          failed.push({ nodeId: id, name: n.name, reason: `Export failed: ${errorText(err)}` });
        }
      }
      let style: ExportedLayer | null = null;
      if (styleNodeId) {
        const s = await sceneNode(styleNodeId);
        if (!s) throw new Error('The style layer no longer exists — mark another one');
        style = await exportLayer(s, size);
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
      const n = await sceneNode(item.nodeId);
      if (!n || !hasFills(n) || typeof n.fills === 'symbol') {
        failed.push({ nodeId: item.nodeId, name: n?.name ?? item.nodeId, reason: n ? 'This layer cannot hold an image fill' : 'The layer no longer exists' });
        continue;
      }
      try {
        const image = api.createImage(item.png);
        const kids = childrenOf(n);
        const plan = planApply(n.getPluginData(ORIGINAL_KEY), n.fills, kids.map((c) => ({ id: c.id, visible: c.visible })), image.hash);
        n.fills = plan.fills;
        for (const c of kids) if (plan.hide.includes(c.id)) c.visible = false;
        n.setPluginData(ORIGINAL_KEY, encodeOriginal(plan.record));
        n.setSharedPluginData(PROVENANCE_NAMESPACE, PROVENANCE_KEY, record);
        applied.push({ nodeId: n.id, name: n.name });
      } catch (err) {
        failed.push({ nodeId: n.id, name: n.name, reason: errorText(err) });
      }
    }
    if (applied.length) {
      const extra = failed.length ? ` (${failed.length} failed)` : '';
      api.notify(`Atelier: stylized ${applied.length} layer${applied.length === 1 ? '' : 's'}${extra}`);
    } else if (failed.length) {
      api.notify(`Atelier: nothing applied — ${failed[0].reason}`, { error: true });
    }
    channel.emit('applied', { requestId, applied, failed });
    sendSelection();
  });

  channel.on('revert', async ({ requestId, nodeIds }) => {
    const reverted: { nodeId: string; name: string }[] = [];
    const failed: LayerFailure[] = [];
    for (const id of nodeIds) {
      const n = await sceneNode(id);
      const plan = n ? planRevert(n.getPluginData(ORIGINAL_KEY)) : null;
      if (!n || !plan || !hasFills(n)) {
        failed.push({ nodeId: id, name: n?.name ?? id, reason: n ? 'Atelier has no saved original for this layer' : 'The layer no longer exists' });
        continue;
      }
      try {
        n.fills = plan.fills;
        for (const childId of plan.show) {
          const c = await sceneNode(childId);
          if (c) c.visible = true;
        }
        n.setPluginData(ORIGINAL_KEY, '');
        n.setSharedPluginData(PROVENANCE_NAMESPACE, PROVENANCE_KEY, '');
        reverted.push({ nodeId: n.id, name: n.name });
      } catch (err) {
        failed.push({ nodeId: n.id, name: n.name, reason: errorText(err) });
      }
    }
    if (reverted.length) api.notify(`Atelier: reverted ${reverted.length} layer${reverted.length === 1 ? '' : 's'}`);
    channel.emit('reverted', { requestId, reverted, failed });
    sendSelection();
  });

  channel.on('notify', ({ message, error }) => {
    api.notify(message, error ? { error: true } : undefined);
  });

  api.ui.onmessage = (message: unknown) => channel.dispatch(message);
  api.on('selectionchange', sendSelection);
  api.on('currentpagechange', sendSelection);
  api.showUI(html, { ...UI_SIZE, themeColors: true, title: 'Atelier' });
  return channel;
}

if (typeof figma !== 'undefined' && figma) startPlugin(figma, __html__);
