/**
 * The plugin's main thread (Figma sandbox): the entry that wires Figma's events and the UI's
 * messages to the named handlers in ./figma (the only modules that touch the Figma API). It reads
 * the selection, exports layers as PNG (as the canvas renders them), puts each stylized image on a
 * new layer above its original (which it hides, untouched), reverts by removing that layer, stores
 * settings in clientStorage and cancels a running job when the plugin closes. Everything that can
 * be decided without Figma lives in ./logic.
 */
import type { PluginAPI } from '@figma/plugin-typings/plugin-api-standalone.js';
import { onApply, onClose, onExportLayers, onMarkStyleLayer, onReady, onRevert, onSaveSettings, onShowOriginal, sendSelection, type PluginContext } from './figma/handlers.js';
import { createLookup } from './figma/lookup.js';
import { createChannel, type MainChannel } from './logic/messages.js';

declare const figma: PluginAPI | undefined;
declare const __html__: string;

/** Size of the plugin window. */
export const UI_SIZE = { width: 360, height: 640 } as const;

/** Starts the plugin against a Figma API object (the real `figma`, or the harness's fake). */
export function startPlugin(api: PluginAPI, html: string): MainChannel {
  const channel: MainChannel = createChannel((message) => api.ui.postMessage(message));
  const ctx: PluginContext = { api, channel, lookup: createLookup(api), styleLayerId: null, runningJob: null };

  channel.on('ready', () => void onReady(ctx));
  channel.on('saveSettings', (s) => void onSaveSettings(ctx, s));
  channel.on('markStyleLayer', (m) => void onMarkStyleLayer(ctx, m));
  channel.on('exportLayers', (m) => void onExportLayers(ctx, m));
  channel.on('apply', (m) => void onApply(ctx, m));
  channel.on('revert', (m) => void onRevert(ctx, m));
  channel.on('showOriginal', (m) => void onShowOriginal(ctx, m));
  channel.on('notify', ({ message, error }) => void api.notify(message, error ? { error: true } : undefined));
  channel.on('jobStarted', (job) => (ctx.runningJob = job));
  channel.on('jobEnded', () => (ctx.runningJob = null));

  api.on('close', () => onClose(ctx));
  api.ui.onmessage = (message: unknown) => channel.dispatch(message);
  api.on('selectionchange', () => void sendSelection(ctx));
  api.on('currentpagechange', () => void sendSelection(ctx));
  api.showUI(html, { ...UI_SIZE, themeColors: true, title: 'Atelier' });
  return channel;
}

if (typeof figma !== 'undefined' && figma) startPlugin(figma, __html__);
