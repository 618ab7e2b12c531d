/**
 * The harness page: runs the BUILT plugin (dist/main.js) against the fake Figma API in this page,
 * hosts the BUILT UI (dist/ui.html) in a sandboxed iframe (origin `null`, like Figma's), bridges
 * postMessage as Figma does, and draws the fake document so a person (or Playwright) can select
 * layers and watch fills change. `window.harness` exposes the fake for tests.
 */
import type { Paint } from '@figma/plugin-typings/plugin-api-standalone.js';
import { avatarPng, landscapePng, swirlsPng } from './artwork.js';
import { canvasRasterize } from './canvasRasterizer.js';
import { FakeFigma, type FakeNode } from './fakeFigma.js';

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
    stored['atelier.connection'] = { url: url ?? prev.url ?? 'http://127.0.0.1:7745', token: token ?? prev.token ?? '' };
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

  // ---- the canvas view ----
  const board = document.getElementById('board')!;
  const toasts = document.getElementById('toasts')!;
  const cards = new Map<string, { card: HTMLElement; img: HTMLImageElement }>();
  for (const n of fake.page.children) {
    const card = document.createElement('button');
    card.className = 'node';
    card.dataset.name = n.name;
    card.dataset.testid = 'node';
    const img = document.createElement('img');
    img.alt = n.name;
    const label = document.createElement('span');
    label.textContent = `${n.name} · ${n.type.toLowerCase()}`;
    card.append(img, label);
    card.addEventListener('click', (e) => {
      const current = fake.page.selection;
      if (e.shiftKey || e.metaKey || e.ctrlKey) {
        fake.select(...(current.includes(n) ? current.filter((x) => x !== n) : [...current, n]));
      } else fake.select(n);
    });
    board.append(card);
    cards.set(n.id, { card, img });
  }
  let drawing = Promise.resolve();
  const redraw = (): void => {
    drawing = drawing.then(async () => {
      for (const n of fake.page.children) {
        const entry = cards.get(n.id)!;
        entry.card.classList.toggle('selected', fake.page.selection.includes(n));
        const scale = 160 / Math.max(n.width, n.height);
        const png = await n.exportAsync({ format: 'PNG', constraint: { type: 'SCALE', value: scale } });
        const url = URL.createObjectURL(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
        const old = entry.img.src;
        entry.img.src = url;
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
  fake.onShowUI = (html, options) => {
    iframe.width = String(options?.width ?? 300);
    iframe.height = String(options?.height ?? 200);
    iframe.srcdoc = html;
  };
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
    const n = nodes[name];
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
