/**
 * The plugin UI (iframe, origin `null`): connection, selection, style source, controls, run with
 * live progress, revert and "save as preset". Talks to the main thread over the typed channel and
 * to the companion over HTTP; never touches the Figma API.
 */
import type { Info, JobProgress } from '../../../shared/protocol.js';
import { createChannel, type MainToUi, type SelectionSummary, type UiChannel, type UiToMain } from '../logic/messages.js';
import { batchFractions, formatEta } from '../logic/progress.js';
import { describeStyle } from '../logic/provenance.js';
import { controlsToParams, DEFAULT_CONTROLS, planRunSizes, QUALITY_PRESETS, SCREEN_DENSITY, type Controls, type Quality } from '../logic/quality.js';
import { changedParams, controlsForPreset } from '../logic/presetSettings.js';
import { refusedOriginReason } from '../logic/networkAccess.js';
import { DEFAULT_CONNECTION, normalizeCompanionUrl, type Connection } from '../logic/settings.js';
import { checkParams, fallbackLabel } from './checkParams.js';
import { CompanionClient, CompanionError, type ConnectionState } from './companionClient.js';
import { byId, h, replaceChildren, withCode } from './dom.js';
import { COMPANION_INSTALL_COMMAND } from '../../../shared/defaults.js';
import { PresetsPane } from './presetsPane.js';
import { runStylize, type RunStyle } from './runJob.js';

type StyleMode = 'preset' | 'layer' | 'file';

/** The built manifest's allowedDomains (injected by scripts/build.mjs; empty when not built by it). */
declare const __ATELIER_ALLOWED_DOMAINS__: string[] | undefined;
const ALLOWED_DOMAINS: readonly string[] | null = typeof __ATELIER_ALLOWED_DOMAINS__ === 'undefined' ? null : __ATELIER_ALLOWED_DOMAINS__;

interface State {
  connection: Connection;
  controls: Controls;
  conn: ConnectionState | { kind: 'checking' };
  selection: SelectionSummary;
  styleMode: StyleMode;
  styleFile: { name: string; blob: Blob; url: string } | null;
  /** While a team preset is the style: its settings as shown (runs send only what differs from them). */
  presetShown: { presetId: string; version: number; name: string; controls: Controls } | null;
  /** The designer's own controls, put back when they leave the preset. */
  ownControls: Controls | null;
  running: {
    abort: AbortController;
    layers: { nodeId: string; name: string }[];
    progress: JobProgress | null;
    /** The companion job, once created (cancelled with a keepalive DELETE if the plugin window goes away). */
    job?: { cancelUrl: string; token: string } | null;
  } | null;
}

const state: State = {
  connection: { ...DEFAULT_CONNECTION },
  controls: structuredClone(DEFAULT_CONTROLS),
  conn: { kind: 'checking' },
  selection: { targets: [], skipped: [], styleLayer: null },
  styleMode: 'file',
  styleFile: null,
  presetShown: null,
  ownControls: null,
  running: null,
};

// ---- channel to the main thread -------------------------------------------------------------

const channel: UiChannel = createChannel<UiToMain, MainToUi>((m) => parent.postMessage({ pluginMessage: m, pluginId: '*' }, '*'));
window.addEventListener('message', (e: MessageEvent) => channel.dispatch((e.data as { pluginMessage?: unknown } | null)?.pluginMessage));

let requestSeq = 0;
/** Sends a request to main and waits for the reply carrying the same requestId. */
function callMain<Req extends 'exportLayers' | 'apply' | 'revert', Rep extends 'exported' | 'applied' | 'reverted'>(
  type: Req,
  payload: Omit<UiToMain[Req], 'requestId'>,
  reply: Rep,
): Promise<MainToUi[Rep]> {
  const requestId = `r${++requestSeq}`;
  return new Promise((resolve, reject) => {
    const offs: Array<() => void> = [];
    const done = (): void => offs.forEach((off) => off());
    offs.push(
      channel.on(reply, (p) => {
        if ((p as { requestId: string }).requestId !== requestId) return;
        done();
        resolve(p as MainToUi[Rep]);
      }),
      channel.on('requestFailed', (p) => {
        if (p.requestId !== requestId) return;
        done();
        reject(new CompanionError(0, 'figma_error', p.message));
      }),
    );
    channel.emit(type, { ...payload, requestId } as UiToMain[Req]);
  });
}

// ---- elements ------------------------------------------------------------------------------

const el = {
  pill: byId<HTMLButtonElement>('conn-pill'),
  pillLabel: byId('conn-label'),
  connPanel: byId('conn-panel'),
  connMessage: byId('conn-message'),
  connHint: byId('conn-hint'),
  connUrl: byId<HTMLInputElement>('conn-url'),
  connToken: byId<HTMLInputElement>('conn-token'),
  connRetry: byId<HTMLButtonElement>('conn-retry'),
  connSave: byId<HTMLButtonElement>('conn-save'),
  layerCount: byId('layer-count'),
  layerList: byId('layer-list'),
  skippedList: byId('skipped-list'),
  styleTabs: byId('style-tabs'),
  stylePreset: byId('style-preset'),
  styleLayer: byId('style-layer'),
  styleFilePane: byId('style-file'),
  dropzone: byId('dropzone'),
  styleInput: byId<HTMLInputElement>('style-input'),
  fileThumb: byId<HTMLImageElement>('file-thumb'),
  fileLabel: byId('file-label'),
  strength: byId<HTMLInputElement>('strength'),
  strengthValue: byId('strength-value'),
  quality: byId('quality'),
  qualityHint: byId('quality-hint'),
  preserve: byId<HTMLInputElement>('preserve'),
  replaceFill: byId<HTMLInputElement>('replace-fill'),
  advancedToggle: byId<HTMLButtonElement>('advanced-toggle'),
  advanced: byId('advanced'),
  presetSave: byId('preset-save'),
  presetName: byId<HTMLInputElement>('preset-name'),
  presetSaveBtn: byId<HTMLButtonElement>('preset-save-btn'),
  presetSaveStatus: byId('preset-save-status'),
  run: byId('run'),
  runTitle: byId('run-title'),
  runEta: byId('run-eta'),
  runPreview: byId<HTMLImageElement>('run-preview'),
  runItems: byId('run-items'),
  message: byId('message'),
  stylize: byId<HTMLButtonElement>('stylize'),
  cancel: byId<HTMLButtonElement>('cancel'),
  revert: byId<HTMLButtonElement>('revert'),
  compare: byId<HTMLButtonElement>('compare'),
  more: byId<HTMLButtonElement>('more'),
  announcer: byId('announcer'),
};

const presetsPane = new PresetsPane({
  root: el.stylePreset,
  client: () => client(),
  connected: () => state.conn.kind === 'connected',
  onChange: () => {
    syncPresetControls();
    renderFooter();
  },
});

// ---- messages ------------------------------------------------------------------------------

let sayTimer: ReturnType<typeof setTimeout> | undefined;
/** Shows a message in the footer (errors stay until replaced; others fade after a while). */
function say(text: string, kind: 'error' | 'success' | 'info' = 'info'): void {
  clearTimeout(sayTimer);
  if (text) announce(text);
  if (text && kind !== 'error') sayTimer = setTimeout(() => (el.message.hidden = true), 8000);
  el.message.hidden = !text;
  el.message.className = `message ${kind}`;
  el.message.dataset.kind = kind;
  replaceChildren(el.message, withCode(text));
}

/** Tells screen readers (a polite live region) what just happened. */
function announce(text: string): void {
  el.announcer.textContent = '';
  // a fresh text node is announced even when the words repeat
  setTimeout(() => (el.announcer.textContent = text), 50);
}

/** Clears a message that no longer applies (an error about a selection or connection that changed). */
function clearStaleError(): void {
  if (!el.message.hidden && el.message.dataset.kind === 'error') say('');
}

// ---- connection ------------------------------------------------------------------------------

let checkSeq = 0;
const client = (): CompanionClient => new CompanionClient(state.connection.url, state.connection.token);

async function checkConnection(): Promise<void> {
  const seq = ++checkSeq;
  state.conn = { kind: 'checking' };
  renderConnection();
  const refused = ALLOWED_DOMAINS && refusedOriginReason(state.connection.url, ALLOWED_DOMAINS);
  const result: ConnectionState = refused ? { kind: 'blocked', message: refused } : await client().checkConnection();
  if (seq !== checkSeq) return;
  state.conn = result;
  renderConnection();
  renderFooter();
  if (result.kind === 'connected') {
    clearStaleError();
    void presetsPane.load();
  }
  else presetsPane.render();
}

function renderConnection(): void {
  const c = state.conn;
  el.pill.className = `pill pill-${c.kind}`;
  el.pill.dataset.state = c.kind;
  el.connPanel.dataset.state = c.kind;
  const label: Record<string, string> = { checking: 'Checking…', offline: 'Offline', unauthorized: 'Token needed', error: 'Not reachable', blocked: 'Blocked by Figma', busy: 'Not answering' };
  el.pillLabel.textContent = c.kind === 'connected' ? `Connected · ${c.info.backend}` : label[c.kind];
  el.pill.title = c.kind === 'connected' ? `${state.connection.url} — ${c.info.device}, Atelier ${c.info.version}` : state.connection.url;
  if (c.kind === 'checking') return;
  el.connPanel.className = `card conn state-${c.kind}`;
  if (c.kind === 'connected') {
    if (!connPanelPinned) el.connPanel.hidden = true;
    replaceChildren(el.connMessage, `Connected to ${state.connection.url}`);
    replaceChildren(el.connHint, `${c.info.backend} · ${c.info.device} · Atelier ${c.info.version}`);
    return;
  }
  el.connPanel.hidden = false;
  replaceChildren(el.connMessage, withCode(c.message));
  if (c.kind === 'offline') replaceChildren(el.connHint, ...offlineHint());
  else {
    replaceChildren(
      el.connHint,
      withCode(
        c.kind === 'unauthorized'
          ? 'The token is printed by `atelier serve` when it starts (`atelier token` shows it again).'
          : c.kind === 'blocked'
            ? 'Change the companion URL below.'
            : c.kind === 'busy'
              ? `${state.connection.url} answers too slowly. Atelier keeps trying.`
              : 'Check the companion URL.',
      ),
    );
  }
  if (c.kind === 'offline' || c.kind === 'busy') watchForCompanion();
  if (c.kind === 'unauthorized') el.connToken.focus();
}

/** How to start the companion: the exact command with a copy button, and the browser's permission prompt. */
function offlineHint(): Array<Node | string> {
  const copy = h('button', { class: 'btn secondary small', type: 'button', 'data-testid': 'copy-install' }, 'Copy');
  copy.addEventListener('click', () => {
    copyText(COMPANION_INSTALL_COMMAND);
    copy.textContent = 'Copied';
    announce('Command copied');
  });
  const local = /^http:\/\/localhost[:/]/.test(`${state.connection.url}/`);
  return [
    h('div', {}, `Nothing answers at ${state.connection.url}. Install and start it in a terminal:`),
    h('div', { class: 'command' }, h('code', { 'data-testid': 'install-command' }, COMPANION_INSTALL_COMMAND), copy),
    h('div', {}, 'Atelier connects by itself as soon as it starts.'),
    local ? h('div', { 'data-testid': 'local-network-hint' }, 'Using Figma in a browser? Allow it to reach apps on this device when the browser asks about the local network.') : '',
  ];
}

/** Copies text; Figma's plugin iframe may refuse the Clipboard API, so a selected textarea is the fallback. */
function copyText(text: string): void {
  const fallback = (): void => {
    const area = h('textarea', { class: 'offscreen', 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  };
  if (navigator.clipboard?.writeText) navigator.clipboard.writeText(text).catch(fallback);
  else fallback();
}

let watchTimer: ReturnType<typeof setTimeout> | undefined;
/** While the companion is down or busy, asks its health quietly every 2 s and connects once it answers. */
function watchForCompanion(): void {
  clearTimeout(watchTimer);
  const seq = checkSeq;
  watchTimer = setTimeout(async () => {
    if (seq !== checkSeq || (state.conn.kind !== 'offline' && state.conn.kind !== 'busy')) return;
    const up = await client()
      .health(AbortSignal.timeout(1500))
      .then(() => true, () => false);
    if (seq !== checkSeq) return;
    if (up) void checkConnection();
    else watchForCompanion();
  }, 2000);
}

let connPanelPinned = false;
el.pill.addEventListener('click', () => {
  connPanelPinned = el.connPanel.hidden;
  el.connPanel.hidden = !el.connPanel.hidden;
});
el.connRetry.addEventListener('click', () => void checkConnection());
el.connSave.addEventListener('click', () => {
  const url = normalizeCompanionUrl(el.connUrl.value);
  if (!url) {
    say(`The companion URL must look like ${DEFAULT_CONNECTION.url}`, 'error');
    return;
  }
  state.connection = { url, token: el.connToken.value.trim() };
  channel.emit('saveSettings', { connection: state.connection });
  connPanelPinned = false;
  say('');
  presetsPane.reset();
  void checkConnection();
});
el.connToken.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') el.connSave.click();
});

// ---- selection & style ----------------------------------------------------------------------

function renderSelection(): void {
  const s = state.selection;
  el.layerCount.textContent = s.targets.length ? String(s.targets.length) : '';
  const items = s.targets.map((t) =>
    h(
      'li',
      { 'data-node-id': t.id, 'data-testid': 'layer' },
      h('span', { class: `layer-icon t-${t.type}` }),
      h('span', { class: 'layer-name', title: t.name }, t.name),
      t.stylized ? h('span', { class: 'badge', title: t.provenance ? `Stylized with ${describeStyle(t.provenance.style)}` : 'Stylized' }, 'Stylized') : null,
      h('span', { class: 'layer-meta' }, `${Math.round(t.width)}×${Math.round(t.height)}`),
      t.hasImageFill && !t.stylized ? markButton(t.id, 'Use as style') : null,
    ),
  );
  if (s.styleLayer) {
    items.push(
      h(
        'li',
        { 'data-node-id': s.styleLayer.id, 'data-testid': 'style-layer-row' },
        h('span', { class: 'layer-icon t-IMAGE' }),
        h('span', { class: 'layer-name' }, s.styleLayer.name),
        h('span', { class: 'badge style' }, 'Style'),
        markButton(null, 'Unmark'),
      ),
    );
  }
  if (!items.length) items.push(h('li', { class: 'empty', 'data-testid': 'layers-empty' }, 'Select frames, shapes or components to stylize'));
  replaceChildren(el.layerList, ...items);
  replaceChildren(
    el.skippedList,
    ...s.skipped.map((k) => h('li', { 'data-testid': 'skipped', title: k.type }, h('b', {}, k.name), ` — ${k.reason}`)),
  );
  if (s.styleLayer && state.styleMode !== 'layer') state.styleMode = 'layer';
  renderStyle();
  renderFooter();
}

function markButton(nodeId: string | null, label: string): HTMLButtonElement {
  const b = h('button', { class: 'btn secondary small', type: 'button', 'data-testid': nodeId ? 'mark-style' : 'unmark-style' }, label);
  b.addEventListener('click', () => channel.emit('markStyleLayer', { nodeId }));
  return b;
}

/** Shows the picked preset's settings in the panel (or puts the designer's own back when it is no longer the style). */
function syncPresetControls(): void {
  const p = state.styleMode === 'preset' ? presetsPane.selected() : undefined;
  const shown = state.presetShown;
  if (p) {
    if (shown?.presetId === p.id && shown.version === p.version) return;
    state.ownControls ??= state.controls;
    const controls = controlsForPreset(state.ownControls, p.params);
    state.presetShown = { presetId: p.id, version: p.version, name: p.name, controls: structuredClone(controls) };
    state.controls = controls;
  } else if (state.ownControls) {
    state.controls = state.ownControls;
    state.ownControls = null;
    state.presetShown = null;
  } else return;
  renderControls();
}

function renderStyle(): void {
  syncPresetControls();
  for (const b of el.styleTabs.querySelectorAll<HTMLButtonElement>('button')) b.setAttribute('aria-selected', String(b.dataset.mode === state.styleMode));
  el.stylePreset.hidden = state.styleMode !== 'preset';
  el.styleLayer.hidden = state.styleMode !== 'layer';
  el.styleFilePane.hidden = state.styleMode !== 'file';

  const sl = state.selection.styleLayer;
  const thumb = sl && styleLayerThumb?.id === sl.id ? styleLayerThumb.url : null;
  replaceChildren(
    el.styleLayer,
    sl
      ? h(
          'div',
          { class: 'style-layer' },
          thumb ? h('img', { class: 'thumb', src: thumb, alt: '', 'data-testid': 'style-layer-thumb' }) : h('span', { class: 'badge style' }, 'Style'),
          h('span', { class: 'layer-name' }, `“${sl.name}” (${Math.round(sl.width)}×${Math.round(sl.height)})`),
        )
      : h('div', { class: 'empty' }, 'Select an image layer along with your layers and press “Use as style”'),
  );
  if (sl && styleLayerThumb?.id !== sl.id) void loadStyleLayerThumb(sl.id);

  el.fileThumb.hidden = !state.styleFile;
  if (state.styleFile) el.fileThumb.src = state.styleFile.url;
  el.fileLabel.textContent = state.styleFile ? `${state.styleFile.name} — click or drop to replace` : 'Drop a style image here, or click to choose';
}

let styleLayerThumb: { id: string; url: string } | null = null;
/** Exports the marked style layer small, for its thumbnail. */
async function loadStyleLayerThumb(id: string): Promise<void> {
  if (styleLayerThumb) URL.revokeObjectURL(styleLayerThumb.url);
  styleLayerThumb = { id, url: '' };
  try {
    const r = await callMain('exportLayers', { layers: [], style: { nodeId: id, size: 96 } }, 'exported');
    if (!r.style || styleLayerThumb?.id !== id) return;
    styleLayerThumb = { id, url: URL.createObjectURL(new Blob([r.style.png as Uint8Array<ArrayBuffer>], { type: 'image/png' })) };
    renderStyle();
  } catch {
    // no thumbnail; the name is still shown
  }
}

el.styleTabs.addEventListener('click', (e) => {
  const mode = (e.target as HTMLElement).closest('button')?.dataset.mode as StyleMode | undefined;
  if (!mode) return;
  const reopened = mode === 'preset' && state.styleMode !== 'preset';
  state.styleMode = mode;
  renderStyle();
  renderFooter();
  // opening the team presets shows the latest list (teammates may have changed it)
  if (reopened && state.conn.kind === 'connected') void presetsPane.load();
});

function pickFile(file: File | undefined): void {
  if (!file) return;
  if (!/^image\/(png|jpeg|webp|gif)$/.test(file.type)) {
    say(`“${file.name}” is not a PNG, JPEG, WebP or GIF image`, 'error');
    return;
  }
  if (state.styleFile) URL.revokeObjectURL(state.styleFile.url);
  state.styleFile = { name: file.name, blob: file, url: URL.createObjectURL(file) };
  state.styleMode = 'file';
  say('');
  renderStyle();
  renderFooter();
}
el.styleInput.addEventListener('change', () => pickFile(el.styleInput.files?.[0]));
el.dropzone.addEventListener('dragover', (e) => {
  e.preventDefault();
  el.dropzone.classList.add('over');
});
el.dropzone.addEventListener('dragleave', () => el.dropzone.classList.remove('over'));
el.dropzone.addEventListener('drop', (e) => {
  e.preventDefault();
  el.dropzone.classList.remove('over');
  pickFile(e.dataTransfer?.files?.[0]);
});

/** The style the run will use, or why there is none. */
function currentStyle(): RunStyle | string {
  if (state.styleMode === 'file') {
    return state.styleFile ? { kind: 'file', file: { name: state.styleFile.name, data: state.styleFile.blob }, ref: { kind: 'file', name: state.styleFile.name } } : 'Choose a style image';
  }
  if (state.styleMode === 'layer') {
    const sl = state.selection.styleLayer;
    return sl ? { kind: 'layer', nodeId: sl.id, ref: { kind: 'layer', nodeId: sl.id, name: sl.name } } : 'Mark an image layer as the style';
  }
  const p = presetsPane.selected();
  return p ? { kind: 'preset', presetId: p.id, ref: { kind: 'preset', id: p.id, name: p.name } } : 'Choose a team preset';
}

// ---- controls --------------------------------------------------------------------------------

let saveTimer: ReturnType<typeof setTimeout> | undefined;
function saveControls(): void {
  clearTimeout(saveTimer);
  // a preset's settings are not the designer's own defaults: those are saved when they leave the preset
  const own = state.ownControls ?? state.controls;
  saveTimer = setTimeout(() => channel.emit('saveSettings', { controls: own }), 250);
}

function renderControls(): void {
  const c = state.controls;
  el.strength.value = String(c.strength);
  el.strengthValue.textContent = `${Math.round(c.strength)}%`;
  for (const b of el.quality.querySelectorAll<HTMLButtonElement>('button')) b.setAttribute('aria-selected', String(b.dataset.quality === c.quality));
  const q = QUALITY_PRESETS[c.quality];
  const size = c.advanced.size ?? q.size;
  const iterations = c.advanced.iterations ?? q.iterations;
  const overridden = c.advanced.size !== null || c.advanced.iterations !== null;
  const sizeText = c.advanced.size !== null ? `${size} px` : `up to ${size} px (layer size ×${SCREEN_DENSITY})`;
  const from = state.presetShown ? ` — settings of “${state.presetShown.name}”` : overridden ? ' (advanced)' : '';
  el.qualityHint.textContent = `${sizeText} · ${iterations} iterations${q.scales > 1 ? ` · ${q.scales} scales` : ''}${from}`;
  el.preserve.checked = c.preserveColors;
  el.replaceFill.checked = c.replaceFill;
  el.advanced.hidden = !c.advancedOpen;
  el.advancedToggle.setAttribute('aria-expanded', String(c.advancedOpen));
  for (const input of el.advanced.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-adv]')) {
    const v = c.advanced[input.dataset.adv as keyof Controls['advanced']];
    input.value = v === null ? '' : String(v);
  }
}

el.strength.addEventListener('input', () => {
  state.controls.strength = Number(el.strength.value);
  el.strengthValue.textContent = `${Math.round(state.controls.strength)}%`;
  saveControls();
});
el.quality.addEventListener('click', (e) => {
  const q = (e.target as HTMLElement).closest('button')?.dataset.quality as Quality | undefined;
  if (!q) return;
  state.controls.quality = q;
  renderControls();
  saveControls();
});
el.preserve.addEventListener('change', () => {
  state.controls.preserveColors = el.preserve.checked;
  saveControls();
});
el.replaceFill.addEventListener('change', () => {
  state.controls.replaceFill = el.replaceFill.checked;
  saveControls();
});
el.advancedToggle.addEventListener('click', () => {
  state.controls.advancedOpen = !state.controls.advancedOpen;
  renderControls();
  saveControls();
});
el.advanced.addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement | HTMLSelectElement;
  const key = input.dataset.adv as keyof Controls['advanced'] | undefined;
  if (!key) return;
  const a = state.controls.advanced as unknown as Record<string, unknown>;
  if (key === 'styleLayers' || key === 'contentLayers' || key === 'pooling' || key === 'optimizer') a[key] = input.value;
  else if (key === 'seed') a[key] = Math.max(0, Math.floor(Number(input.value) || 0));
  else a[key] = input.value.trim() === '' ? null : Number(input.value);
  renderControls();
  saveControls();
});

/** The advanced field's label as the panel shows it (for validation messages). */
function fieldLabel(key: string): string {
  return el.advanced.querySelector(`[data-adv="${key}"]`)?.closest('label')?.querySelector('span')?.textContent ?? fallbackLabel(key);
}

// ---- run --------------------------------------------------------------------------------------

function renderFooter(): void {
  const running = state.running !== null;
  const n = state.selection.targets.length;
  el.stylize.hidden = running;
  el.cancel.hidden = !running;
  el.stylize.textContent = n > 1 ? `Stylize ${n} layers` : 'Stylize';
  const style = currentStyle();
  const why = state.conn.kind !== 'connected' ? 'Connect to the companion first' : !n ? 'Select at least one layer' : typeof style === 'string' ? style : '';
  el.stylize.disabled = Boolean(why);
  el.stylize.title = why;
  const stylized = state.selection.targets.filter((t) => t.stylized);
  el.revert.hidden = running || !stylized.length;
  el.revert.textContent = stylized.length > 1 ? `Revert ${stylized.length}` : 'Revert';
  // before/after: only result layers can be toggled (a replaced fill has no separate original)
  const layered = stylized.filter((t) => t.hasResultLayer);
  const showingOriginal = layered.some((t) => t.showingOriginal);
  el.compare.hidden = running || !layered.length;
  el.compare.textContent = showingOriginal ? 'Show result' : 'Show original';
  el.compare.setAttribute('aria-pressed', String(showingOriginal));
  el.more.disabled = running;
}

function renderRun(): void {
  const r = state.running;
  el.run.hidden = !r;
  if (!r) return;
  const fractions = batchFractions(r.layers.length, r.progress);
  replaceChildren(
    el.runItems,
    ...r.layers.map((l, i) => {
      const pct = Math.round(fractions[i] * 100);
      const bar = h('i', {});
      bar.style.width = `${pct}%`;
      return h('li', { class: pct >= 100 ? 'done' : '', 'data-testid': 'run-item', 'data-progress': String(pct) }, h('span', { class: 'layer-name' }, l.name), h('span', { class: 'muted' }, `${pct}%`), h('div', { class: 'bar' }, bar));
    }),
  );
  el.runEta.textContent = r.progress ? formatEta(r.progress.eta) : '';
}

el.stylize.addEventListener('click', () => void stylize());
// Closing the plugin window ends this page mid-run: a keepalive request outlives it (main cancels too).
window.addEventListener('pagehide', () => {
  const job = state.running?.job;
  if (job) void fetch(job.cancelUrl, { method: 'DELETE', keepalive: true, headers: { Authorization: `Bearer ${job.token}` } }).catch(() => undefined);
});
el.cancel.addEventListener('click', () => {
  if (!state.running) return;
  el.runTitle.textContent = 'Canceling…';
  state.running.abort.abort();
});

async function stylize(): Promise<void> {
  const style = currentStyle();
  if (typeof style === 'string' || state.conn.kind !== 'connected') return;
  const checked = checkParams(controlsToParams(state.controls), fieldLabel);
  if (!checked.ok) {
    say(`Check the advanced settings: ${checked.message}`, 'error');
    return;
  }
  const targets = state.selection.targets;
  const cap = state.controls.advanced.size ?? QUALITY_PRESETS[state.controls.quality].size;
  const sizes = planRunSizes(targets, cap, state.controls.advanced.size !== null);
  const shown = style.kind === 'preset' ? state.presetShown : null;
  // with a preset, send only what the designer changed: the companion takes the rest from the preset
  const params = { ...(shown ? changedParams(checked.params, controlsToParams(shown.controls)) : checked.params), size: sizes.size };
  const info: Info = state.conn.info;
  const abort = new AbortController();
  state.running = { abort, layers: targets.map((t) => ({ nodeId: t.id, name: t.name })), progress: null };
  el.runPreview.hidden = true;
  el.runTitle.textContent = 'Starting…';
  say('');
  renderRun();
  renderFooter();
  el.cancel.focus(); // Stylize is hidden while running: keep keyboard focus on the control that replaces it
  const c = client();
  try {
    const outcome = await runStylize(
      c,
      {
        exportLayers: (layers, styleLayer, replaceFill) => callMain('exportLayers', { layers, style: styleLayer, replaceFill }, 'exported'),
        apply: (items, provenance) => callMain('apply', { items, provenance }, 'applied'),
        jobStarted: (jobId) => {
          const job = { cancelUrl: c.jobUrl(jobId), token: c.token };
          if (state.running) state.running.job = job;
          channel.emit('jobStarted', job);
        },
        jobEnded: () => {
          if (state.running) state.running.job = null;
          channel.emit('jobEnded', {});
        },
      },
      { layers: sizes.layers, style, styleSize: params.size, params, companionVersion: info.version, replaceFill: state.controls.replaceFill },
      {
        phase: (text) => {
          el.runTitle.textContent = text;
          announce(text);
        },
        started: (_jobId, layers) => {
          if (state.running) state.running.layers = layers;
          renderRun();
        },
        queued: (position) => (el.runTitle.textContent = position > 0 ? `Queued — ${position} job${position === 1 ? '' : 's'} ahead` : 'Starting…'),
        progress: (p, preview) => {
          if (!state.running) return;
          state.running.progress = p;
          el.runTitle.textContent = p.items > 1 ? `Stylizing ${p.item} of ${p.items}…` : 'Stylizing…';
          if (preview) {
            el.runPreview.src = `data:image/png;base64,${preview}`;
            el.runPreview.hidden = false;
          }
          renderRun();
        },
      },
      abort.signal,
    );
    const n = outcome.applied.length;
    const failed = outcome.failed.map((f) => `${f.name}: ${f.reason}`).join('; ');
    if (n) say(`Applied to ${n} layer${n === 1 ? '' : 's'}${failed ? ` — not applied: ${failed}` : ''}`, failed ? 'error' : 'success');
    else say(`Nothing was applied — ${failed || 'no results'}`, 'error');
  } catch (err) {
    const e = err as CompanionError;
    if (e.code === 'canceled') say(e.message, 'info');
    else {
      say(e.message || String(err), 'error');
      if (e.code === 'offline' || e.status === 401) void checkConnection();
    }
  } finally {
    state.running = null;
    renderRun();
    renderFooter();
    // the Cancel button that had focus is gone: give it back to the main action
    (el.stylize.disabled ? el.revert : el.stylize).focus();
  }
}

el.compare.addEventListener('click', () => {
  const ids = state.selection.targets.filter((t) => t.stylized).map((t) => t.id);
  channel.emit('showOriginal', { nodeIds: ids, show: el.compare.getAttribute('aria-pressed') !== 'true' });
});

el.revert.addEventListener('click', async () => {
  const ids = state.selection.targets.filter((t) => t.stylized).map((t) => t.id);
  try {
    const r = await callMain('revert', { nodeIds: ids }, 'reverted');
    if (r.failed.length) say(`Reverted ${r.reverted.length}; not reverted: ${r.failed.map((f) => `${f.name}: ${f.reason}`).join('; ')}`, 'error');
    else say(`Reverted ${r.reverted.length} layer${r.reverted.length === 1 ? '' : 's'} to the original`, 'success');
  } catch (err) {
    say((err as Error).message, 'error');
  }
});

// ---- save as preset ------------------------------------------------------------------------------

el.more.addEventListener('click', () => {
  el.presetSave.hidden = !el.presetSave.hidden;
  if (!el.presetSave.hidden) {
    el.presetSaveStatus.textContent = '';
    el.presetName.focus();
    el.presetSave.scrollIntoView({ block: 'nearest' });
  }
});

el.presetSaveBtn.addEventListener('click', async () => {
  const status = (text: string, kind: 'error' | 'success' | 'info'): void => {
    el.presetSaveStatus.textContent = text;
    el.presetSaveStatus.dataset.kind = kind;
    el.presetSaveStatus.style.color = kind === 'error' ? 'var(--danger-text)' : kind === 'success' ? 'var(--success)' : '';
  };
  const name = el.presetName.value.trim();
  if (!name) return status('Give the preset a name', 'error');
  if (state.conn.kind !== 'connected') return status('Connect to the companion first', 'error');
  const style = currentStyle();
  if (typeof style === 'string') return status(style, 'error');
  if (style.kind === 'preset') return status('This style already is a team preset — pick a file or a layer', 'error');
  const checked = checkParams(controlsToParams(state.controls), fieldLabel);
  if (!checked.ok) return status(checked.message, 'error');
  const { previewEvery: _previewEvery, ...params } = checked.params;
  el.presetSaveBtn.disabled = true;
  status('Saving…', 'info');
  try {
    let data: Blob | Uint8Array;
    let fileName = 'style.png';
    if (style.kind === 'file') {
      data = style.file.data;
      fileName = style.file.name;
    } else {
      const exported = await callMain('exportLayers', { layers: [], style: { nodeId: style.nodeId, size: Math.max(512, params.size ?? 512) } }, 'exported');
      if (!exported.style) throw new Error('The style layer could not be exported');
      data = exported.style.png;
    }
    const preset = await client().savePreset(name, params, [{ name: fileName, data }]);
    status(`Saved “${preset.name}” for your team`, 'success');
    el.presetName.value = '';
    void presetsPane.load();
  } catch (err) {
    status((err as Error).message, 'error');
  } finally {
    el.presetSaveBtn.disabled = false;
  }
});

// ---- startup -----------------------------------------------------------------------------------

channel.on('init', ({ settings, selection }) => {
  state.connection = settings.connection;
  state.controls = settings.controls;
  state.selection = selection;
  el.connUrl.value = settings.connection.url;
  el.connToken.value = settings.connection.token;
  renderControls();
  renderSelection();
  void checkConnection();
});
channel.on('selection', (selection) => {
  const key = (x: SelectionSummary): string => x.targets.map((t) => t.id).join();
  if (key(selection) !== key(state.selection)) clearStaleError();
  state.selection = selection;
  renderSelection();
});

renderControls();
renderStyle();
renderFooter();
channel.emit('ready', {});
