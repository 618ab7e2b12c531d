/**
 * The harness page: runs the BUILT plugin (dist/main.js) against the fake Figma API in this page,
 * hosts the BUILT UI (dist/ui.html) in a sandboxed iframe (origin `null`, like Figma's) under the
 * built manifest's `networkAccess` as its CSP `connect-src` (as Figma does), with Figma's theme
 * colours (`?theme=dark`), bridges postMessage as Figma does, and draws the fake document so a
 * person (or Playwright) can select layers and watch results appear. `window.harness` exposes the
 * fake for tests.
 */
import type { Paint } from '@figma/plugin-typings/plugin-api-standalone.js';
import { DEFAULT_COMPANION_URL } from '../../shared/defaults.js';
import { avatarPng, landscapePng, swirlsPng } from './artwork.js';
import { canvasRasterize } from './canvasRasterizer.js';
import { FakeFigma, type FakeNode } from './fakeFigma.js';
import { figmaThemeCss } from './theme.js';

const STORAGE_KEY = 'atelier-harness-clientStorage';

/** What tests read through `window.harness`. */
export interface HarnessHandle {
  fake: FakeFigma;
  nodes: Record<string, FakeNode>;
  select(...names: string[]): void;
  fills(name: string): Paint[];
  pluginData(name: string, key: string): string;
  sharedPluginData(name: string, namespace: string, key: string): string;
  imageSize(hash: string): { width: number; height: number } | null;
  visible(name: string): boolean;
  /** The node by name. */
  node(name: string): FakeNode;
  /** Top-level layers of the page, in order (result layers included). */
  layerNames(): string[];
  /**
   * Closes the plugin as the designer would (figma.on('close') fires, the UI iframe goes away).
   * `sandboxGone`: as real Figma may do, the main thread's sandbox ends before a request it starts
   * on close can leave, so only the UI's keepalive request cancels the job.
   */
  closePlugin(sandboxGone?: boolean): void;
  ready: boolean;
}

declare global {
  interface Window {
    harness: HarnessHandle;
    figma: unknown;
    __html__: string;
  }
}

function initialStorage(): Record<string, unknown> {
  const params = new URLSearchParams(location.search);
  let stored: Record<string, unknown> = {};
  if (params.get('fresh') === null) {
    try {
      stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Record<string, unknown>;
    } catch {
      stored = {};
    }
  }
  const url = params.get('url');
  const token = params.get('token');
  if (url !== null || token !== null) {
    const prev = (stored['atelier.connection'] ?? {}) as { url?: string; token?: string };
    stored['atelier.connection'] = { url: url ?? prev.url ?? DEFAULT_COMPANION_URL, token: token ?? prev.token ?? '' };
  }
  return stored;
}

async function main(): Promise<void> {
  const fake = new FakeFigma({
    rasterize: canvasRasterize,
    storage: initialStorage(),
    onStorageChange: (s) => localStorage.setItem(STORAGE_KEY, JSON.stringify(s)),
  });
  const [landscape, swirls, avatar] = await Promise.all([landscapePng(), swirlsPng(), avatarPng()]);
  const nodes: Record<string, FakeNode> = {};
  const add = (n: FakeNode): FakeNode => {
    nodes[n.name] = n;
    for (const c of n.children ?? []) add(c);
    return n;
  };
  /** Nodes by name, including the ones the plugin creates later (result layers). */
  const findByName = (name: string, list: readonly FakeNode[] = fake.page.children): FakeNode | undefined => {
    for (const n of list) {
      if (n.name === name && !n.removed) return n;
      const inner = n.children && findByName(name, n.children);
      if (inner) return inner;
    }
    return undefined;
  };
  add(fake.addNode({ type: 'RECTANGLE', name: 'Hero photo', width: 240, height: 160, fills: [{ type: 'IMAGE', bytes: landscape, scaleMode: 'FILL' }] }));
  add(
    fake.addNode({
      type: 'FRAME',
      name: 'Profile card',
      width: 200,
      height: 140,
      fills: [{ type: 'SOLID', color: { r: 0.96, g: 0.93, b: 0.88 } }],
      children: [
        { type: 'ELLIPSE', name: 'Avatar', x: 16, y: 16, width: 56, height: 56, fills: [{ type: 'IMAGE', bytes: avatar }] },
        { type: 'RECTANGLE', name: 'Name bar', x: 84, y: 28, width: 96, height: 12, fills: [{ type: 'SOLID', color: { r: 0.2, g: 0.2, b: 0.25 } }] },
        { type: 'RECTANGLE', name: 'Role bar', x: 84, y: 48, width: 64, height: 8, fills: [{ type: 'SOLID', color: { r: 0.55, g: 0.55, b: 0.6 } }] },
        { type: 'RECTANGLE', name: 'Button', x: 16, y: 96, width: 168, height: 28, fills: [{ type: 'SOLID', color: { r: 0.05, g: 0.6, b: 1 } }] },
      ],
    }),
  );
  add(fake.addNode({ type: 'ELLIPSE', name: 'Sun badge', width: 96, height: 96, fills: [{ type: 'SOLID', color: { r: 1, g: 0.75, b: 0.2 } }] }));
  add(fake.addNode({ type: 'RECTANGLE', name: 'Starry swirls', width: 128, height: 128, fills: [{ type: 'IMAGE', bytes: swirls }] }));
  add(fake.addNode({ type: 'TEXT', name: 'Headline', width: 180, height: 32, fills: [{ type: 'SOLID', color: { r: 0.1, g: 0.1, b: 0.1 } }] }));
  add(fake.addNode({ type: 'GROUP', name: 'Icons', width: 64, height: 24 }));
  // the layers real Figma treats differently from a plain rectangle
  const tag = (name: string, r: number, g: number, b: number) => ({ type: 'RECTANGLE', name, width: 36, height: 20, fills: [{ type: 'SOLID' as const, color: { r, g, b } }] });
  add(
    fake.addNode({
      type: 'FRAME',
      name: 'Tag row',
      width: 10,
      height: 10,
      layoutMode: 'HORIZONTAL',
      padding: 8,
      itemSpacing: 6,
      fills: [{ type: 'SOLID', color: { r: 0.93, g: 0.95, b: 1 } }],
      children: [tag('Tag A', 0.9, 0.3, 0.3), tag('Tag B', 0.3, 0.7, 0.3), tag('Tag C', 0.3, 0.4, 0.9)],
    }),
  );
  add(
    fake.addNode({
      type: 'FRAME',
      name: 'Overflow card',
      width: 120,
      height: 80,
      clipsContent: false,
      fills: [{ type: 'SOLID', color: { r: 0.85, g: 0.9, b: 0.85 } }],
      children: [{ type: 'ELLIPSE', name: 'Sticker', x: 90, y: -20, width: 50, height: 50, fills: [{ type: 'SOLID', color: { r: 0.95, g: 0.3, b: 0.5 } }] }],
    }),
  );
  const button = add(
    fake.addNode({
      type: 'COMPONENT',
      name: 'Button',
      width: 120,
      height: 40,
      fills: [{ type: 'SOLID', color: { r: 0.05, g: 0.6, b: 1 } }],
      children: [{ type: 'RECTANGLE', name: 'Button label', x: 20, y: 16, width: 80, height: 8, fills: [{ type: 'SOLID', color: { r: 1, g: 1, b: 1 } }] }],
    }),
  );
  add(fake.createInstance(button, { x: 0, y: 60 }, 'Button instance'));
  add(fake.addNode({ type: 'RECTANGLE', name: 'Tilted photo', x: 0, y: 80, width: 160, height: 100, rotation: 30, fills: [{ type: 'IMAGE', bytes: landscape, scaleMode: 'FILL' }] }));
  add(fake.addNode({ type: 'RECTANGLE', name: 'Mirrored photo', width: 160, height: 100, flipX: true, fills: [{ type: 'IMAGE', bytes: landscape, scaleMode: 'FILL' }] }));
  add(
    fake.addNode({
      type: 'RECTANGLE',
      name: 'Framed tile',
      width: 100,
      height: 100,
      opacity: 0.5,
      strokes: [{ type: 'SOLID', color: { r: 0.1, g: 0.1, b: 0.3 } }],
      strokeWeight: 6,
      strokeAlign: 'OUTSIDE',
      effects: [{ type: 'DROP_SHADOW', color: { r: 0, g: 0, b: 0, a: 0.4 }, offset: { x: 6, y: 6 }, radius: 4, spread: 0, visible: true, blendMode: 'NORMAL' }],
      fills: [{ type: 'SOLID', color: { r: 0.98, g: 0.6, b: 0.2 } }],
    }),
  );
  const brand = fake.addPaintStyle('Brand/Primary', [{ type: 'SOLID', color: { r: 0.45, g: 0.2, b: 0.85 } }]);
  add(fake.addNode({ type: 'RECTANGLE', name: 'Brand swatch', width: 96, height: 64, fillStyleId: brand }));

  // ---- the canvas view ----
  const board = document.getElementById('board')!;
  const toasts = document.getElementById('toasts')!;
  const cards = new Map<string, { card: HTMLElement; img: HTMLImageElement; label: HTMLElement }>();
  /** One card per top-level layer (result layers appear as the plugin creates them). */
  const cardFor = (n: FakeNode): { card: HTMLElement; img: HTMLImageElement; label: HTMLElement } => {
    const existing = cards.get(n.id);
    if (existing) return existing;
    const card = document.createElement('button');
    card.className = 'node';
    card.dataset.name = n.name;
    card.dataset.testid = 'node';
    const img = document.createElement('img');
    img.alt = n.name;
    const label = document.createElement('span');
    card.append(img, label);
    card.addEventListener('click', (e) => {
      const current = fake.page.selection;
      if (e.shiftKey || e.metaKey || e.ctrlKey) {
        fake.select(...(current.includes(n) ? current.filter((x) => x !== n) : [...current, n]));
      } else fake.select(n);
    });
    const entry = { card, img, label };
    cards.set(n.id, entry);
    return entry;
  };
  let drawing = Promise.resolve();
  const redraw = (): void => {
    drawing = drawing.then(async () => {
      const live = new Set(fake.page.children.map((n) => n.id));
      for (const [id, entry] of cards) {
        if (live.has(id)) continue;
        entry.card.remove();
        cards.delete(id);
      }
      for (const n of fake.page.children) {
        const entry = cardFor(n);
        board.append(entry.card); // keeps page order
        entry.card.dataset.name = n.name;
        entry.card.classList.toggle('selected', fake.page.selection.includes(n));
        entry.card.classList.toggle('hidden-layer', !n.visible);
        entry.label.textContent = `${n.name} · ${n.type.toLowerCase()}${n.visible ? '' : ' (hidden)'}`;
        const bounds = n.absoluteRenderBounds ?? n.absoluteBoundingBox;
        const scale = 160 / Math.max(bounds.width, bounds.height);
        const png = n.visible ? await n.exportAsync({ format: 'PNG', constraint: { type: 'SCALE', value: scale } }) : null;
        const old = entry.img.src;
        // a hidden layer draws nothing on the canvas: an empty (checkerboard) tile, not a broken image
        entry.img.src = png ? URL.createObjectURL(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' })) : 'data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==';
        if (old.startsWith('blob:')) URL.revokeObjectURL(old);
      }
    });
  };
  fake.api.on('selectionchange', redraw);
  fake.onNotify = (n) => {
    const t = document.createElement('div');
    t.className = `toast${n.error ? ' error' : ''}`;
    t.dataset.testid = 'toast';
    t.textContent = n.message;
    toasts.append(t);
    setTimeout(() => t.remove(), 6000);
  };

  // ---- the plugin iframe, bridged like Figma ----
  const iframe = document.getElementById('plugin') as HTMLIFrameElement;
  const manifest = (await (await fetch('/dist/manifest.json')).json()) as { networkAccess?: { allowedDomains?: string[] } };
  const connectSrc = (manifest.networkAccess?.allowedDomains ?? ['none']).map((d) => (d === 'none' ? "'none'" : d)).join(' ');
  const theme = new URLSearchParams(location.search).get('theme') === 'dark' ? 'dark' : 'light';
  fake.onShowUI = (html, options) => {
    iframe.width = String(options?.width ?? 300);
    iframe.height = String(options?.height ?? 200);
    // Figma enforces networkAccess as the iframe's CSP, and injects its theme colours (themeColors: true)
    const head = `<meta http-equiv="Content-Security-Policy" content="connect-src ${connectSrc}"><style>${figmaThemeCss}</style>`;
    iframe.srcdoc = html.replace(/<html([^>]*)>/i, `<html$1 class="figma-${theme}">`).replace(/<head>/i, `<head>${head}`);
  };
  fake.api.on('close', () => {
    iframe.srcdoc = ''; // the UI goes away with the plugin (its pagehide runs)
    iframe.remove();
  });
  fake.onUiMessage = (message) => {
    iframe.contentWindow?.postMessage({ pluginMessage: message, pluginId: 'atelier-harness' }, '*');
    redraw();
  };
  window.addEventListener('message', (e) => {
    if (e.source !== iframe.contentWindow) return;
    const data = e.data as { pluginMessage?: unknown } | null;
    if (data && 'pluginMessage' in data) fake.deliverFromUi(data.pluginMessage);
  });

  const byName = (name: string): FakeNode => {
    const n = findByName(name) ?? nodes[name];
    if (!n) throw new Error(`no node named ${name}`);
    return n;
  };
  window.harness = {
    fake,
    nodes,
    select: (...names) => fake.select(...names.map(byName)),
    fills: (name) => JSON.parse(JSON.stringify(byName(name).fills)) as Paint[],
    pluginData: (name, key) => byName(name).getPluginData(key),
    sharedPluginData: (name, ns, key) => byName(name).getSharedPluginData(ns, key),
    imageSize: (hash) => {
      const bytes = fake.imageBytes(hash);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return bytes.length > 24 ? { width: dv.getUint32(16), height: dv.getUint32(20) } : null;
    },
    visible: (name) => byName(name).visible,
    node: byName,
    layerNames: () => fake.page.children.map((n) => n.name),
    closePlugin: (sandboxGone = false) => {
      if (!sandboxGone) return fake.api.closePlugin();
      const fetchBefore = window.fetch;
      window.fetch = () => Promise.reject(new TypeError('the plugin sandbox has ended'));
      try {
        fake.api.closePlugin();
      } finally {
        window.fetch = fetchBefore;
      }
    },
    ready: false,
  };

  // ---- run the built plugin code as Figma would: `figma` and `__html__` are globals ----
  window.figma = fake.api;
  window.__html__ = await (await fetch('/dist/ui.html')).text();
  await new Promise<void>((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/dist/main.js';
    s.onload = () => resolve();
    s.onerror = () => reject(new Error('could not load /dist/main.js — run npm run build'));
    document.body.append(s);
  });
  redraw();
  await drawing;
  window.harness.ready = true;
}

main().catch((err: unknown) => {
  document.body.insertAdjacentHTML('afterbegin', '<pre id="fatal"></pre>');
  document.getElementById('fatal')!.textContent = `Harness failed: ${err instanceof Error ? err.stack : String(err)}`;
});
