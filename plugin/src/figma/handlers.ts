/**
 * The main thread's message handlers, one named function per UI message (create-figma-plugin's
 * shape): each gets the plugin's context and the message's payload.
 */
import type { PluginAPI } from '@figma/plugin-typings/plugin-api-standalone.js';
import { decodeFill, FILL_KEY } from '../logic/fillReplace.js';
import type { ExportedLayer, LayerFailure, MainChannel, UiToMain } from '../logic/messages.js';
import { encodeProvenance } from '../logic/provenance.js';
import { LINK_KEY } from '../logic/resultLayer.js';
import { CONNECTION_KEY, CONTROLS_KEY, STYLE_KEY, sanitizeConnection, sanitizeControls, sanitizeStyle, type Settings } from '../logic/settings.js';
import { exportAsDrawn, exportClean, fillReplaceable } from './exporting.js';
import type { Lookup } from './lookup.js';
import { errorText, linkOf, plural } from './nodes.js';
import { placeResult, replaceFill, revertFill } from './results.js';
import { summarizeSelection } from './selectionSummary.js';

/** What every handler works with. */
export interface PluginContext {
  api: PluginAPI;
  channel: MainChannel;
  lookup: Lookup;
  /** The layer the designer marked as the style (it stays marked while selected). */
  styleLayerId: string | null;
  /** The companion job the UI is running (cancelled if the plugin closes). */
  runningJob: UiToMain['jobStarted'] | null;
}

type Done = { nodeId: string; name: string };

/** Sends the current selection to the UI. */
export async function sendSelection(ctx: PluginContext): Promise<void> {
  const selection = ctx.api.currentPage.selection;
  if (ctx.styleLayerId && !selection.some((n) => n.id === ctx.styleLayerId)) ctx.styleLayerId = null;
  ctx.channel.emit('selection', await summarizeSelection(ctx.lookup, selection, ctx.styleLayerId));
}

/** The settings remembered for this user. */
export async function loadSettings(api: PluginAPI): Promise<Settings> {
  return {
    connection: sanitizeConnection(await api.clientStorage.getAsync(CONNECTION_KEY)),
    controls: sanitizeControls(await api.clientStorage.getAsync(CONTROLS_KEY)),
    style: sanitizeStyle(await api.clientStorage.getAsync(STYLE_KEY)),
  };
}

export async function onReady(ctx: PluginContext): Promise<void> {
  const selection = ctx.api.currentPage.selection;
  ctx.channel.emit('init', { settings: await loadSettings(ctx.api), selection: await summarizeSelection(ctx.lookup, selection, ctx.styleLayerId) });
}

export async function onSaveSettings(ctx: PluginContext, s: UiToMain['saveSettings']): Promise<void> {
  try {
    if (s.connection) await ctx.api.clientStorage.setAsync(CONNECTION_KEY, sanitizeConnection(s.connection));
    if (s.controls) await ctx.api.clientStorage.setAsync(CONTROLS_KEY, sanitizeControls(s.controls));
    if (s.style) await ctx.api.clientStorage.setAsync(STYLE_KEY, sanitizeStyle(s.style));
  } catch (err) {
    ctx.api.notify(`Atelier could not save your settings: ${errorText(err)}`, { error: true });
  }
}

export function onMarkStyleLayer(ctx: PluginContext, { nodeId }: UiToMain['markStyleLayer']): Promise<void> {
  ctx.styleLayerId = nodeId && ctx.api.currentPage.selection.some((n) => n.id === nodeId) ? nodeId : null;
  return sendSelection(ctx);
}

export async function onExportLayers(ctx: PluginContext, { requestId, layers, style: styleRequest, replaceFill: wantsFill }: UiToMain['exportLayers']): Promise<void> {
  const { lookup, channel } = ctx;
  try {
    const contents: ExportedLayer[] = [];
    const failed: LayerFailure[] = [];
    for (const { nodeId, size } of layers) {
      const picked = await lookup.sceneNode(nodeId);
      if (!picked) {
        failed.push({ nodeId, name: 'A selected layer', reason: 'It was deleted meanwhile' });
        continue;
      }
      const n = await lookup.subjectOf(picked);
      try {
        contents.push(wantsFill && fillReplaceable(n) && linkOf(n)?.role !== 'original' ? await exportClean(n, size) : await exportAsDrawn(n, size));
      } catch (err) {
        failed.push({ nodeId: n.id, name: n.name, reason: `Figma could not export it (${errorText(err)})` });
      }
    }
    let style: ExportedLayer | null = null;
    if (styleRequest) {
      const s = await lookup.sceneNode(styleRequest.nodeId);
      if (!s) throw new Error('The style layer was deleted — mark another one');
      style = await exportAsDrawn(s, styleRequest.size);
    }
    channel.emit('exported', { requestId, contents, style, failed });
  } catch (err) {
    channel.emit('requestFailed', { requestId, message: errorText(err) });
  }
}

export async function onApply(ctx: PluginContext, { requestId, items, provenance }: UiToMain['apply']): Promise<void> {
  const { api, lookup } = ctx;
  const applied: Done[] = [];
  const failed: LayerFailure[] = [];
  const record = encodeProvenance({ ...provenance, appliedAt: new Date().toISOString() });
  for (const item of items) {
    const picked = await lookup.sceneNode(item.nodeId);
    if (!picked) {
      failed.push({ nodeId: item.nodeId, name: 'A selected layer', reason: 'It was deleted while stylizing' });
      continue;
    }
    const n = await lookup.subjectOf(picked);
    try {
      const hash = api.createImage(item.png).hash;
      if (item.replaceFill && fillReplaceable(n)) replaceFill(n, hash, record);
      else await placeResult(api, lookup, n, hash, record);
      applied.push({ nodeId: n.id, name: n.name });
    } catch (err) {
      failed.push({ nodeId: n.id, name: n.name, reason: errorText(err) });
    }
  }
  if (applied.length) {
    // one undo step per run: ⌘Z takes back exactly this stylization
    api.commitUndo();
    api.notify(`Atelier: stylized ${plural(applied.length, 'layer')}${failed.length ? ` (${failed.length} failed)` : ''}`);
  } else if (failed.length) {
    api.notify(`Atelier: nothing applied — ${failed[0].reason}`, { error: true });
  }
  ctx.channel.emit('applied', { requestId, applied, failed });
  await sendSelection(ctx);
}

export async function onRevert(ctx: PluginContext, { requestId, nodeIds }: UiToMain['revert']): Promise<void> {
  const { api, lookup } = ctx;
  const reverted: Done[] = [];
  const failed: LayerFailure[] = [];
  for (const id of nodeIds) {
    const picked = await lookup.sceneNode(id);
    const n = picked ? await lookup.subjectOf(picked) : null;
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
      (await lookup.partnerOf(n))?.remove();
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
  ctx.channel.emit('reverted', { requestId, reverted, failed });
  await sendSelection(ctx);
}

export async function onShowOriginal(ctx: PluginContext, { nodeIds, show }: UiToMain['showOriginal']): Promise<void> {
  const { lookup } = ctx;
  let changed = false;
  for (const id of nodeIds) {
    const picked = await lookup.sceneNode(id);
    const n = picked ? await lookup.subjectOf(picked) : null;
    const link = n ? linkOf(n) : null;
    const result = n && link?.role === 'original' ? await lookup.partnerOf(n) : null;
    if (!n || !link || !result) continue;
    result.visible = !show;
    if (link.hidden) n.visible = show;
    changed = true;
  }
  if (changed) ctx.api.commitUndo();
  await sendSelection(ctx);
}

/**
 * Closing the plugin destroys the UI mid-run: cancel its job so later runs do not queue behind it.
 * Real Figma may end the sandbox before this request leaves, so the UI also sends a keepalive one.
 */
export function onClose(ctx: PluginContext): void {
  if (!ctx.runningJob) return;
  const { cancelUrl, token } = ctx.runningJob;
  ctx.runningJob = null;
  fetch(cancelUrl, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } }).catch(() => undefined);
}
