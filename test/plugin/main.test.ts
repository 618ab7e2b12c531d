/** main.ts (the only Figma-touching module) against the fake Figma API, with real PNG bytes. */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { FakeFigma } from '../../plugin/harness/fakeFigma.js';
import { startPlugin } from '../../plugin/src/main.js';
import { createChannel, type MainToUi, type UiToMain } from '../../plugin/src/logic/messages.js';
import { CONTROLS_KEY, CONNECTION_KEY } from '../../plugin/src/logic/settings.js';
import { sharpRasterize, solidPng } from './sharpRasterizer.js';

const tick = () => new Promise((r) => setTimeout(r, 0));

async function setup(storage: Record<string, unknown> = {}) {
  const fake = new FakeFigma({ rasterize: sharpRasterize, storage });
  const photo = await solidPng(40, 20, [200, 40, 40]);
  const swatch = await solidPng(16, 16, [20, 20, 220]);
  const rect = fake.addNode({ type: 'RECTANGLE', name: 'Photo', width: 300, height: 150, fills: [{ type: 'IMAGE', bytes: photo, scaleMode: 'FILL' }] });
  const frame = fake.addNode({
    type: 'FRAME',
    name: 'Card',
    width: 200,
    height: 100,
    fills: [{ type: 'SOLID', color: { r: 1, g: 1, b: 1 }, opacity: 0.5 }],
    children: [
      { type: 'RECTANGLE', name: 'Badge', x: 10, y: 10, width: 50, height: 50, fills: [{ type: 'SOLID', color: { r: 0, g: 0.6, b: 0 } }] },
      { type: 'TEXT', name: 'Hidden label', x: 0, y: 70, width: 80, height: 20, visible: false, fills: [{ type: 'SOLID', color: { r: 0, g: 0, b: 0 } }] },
    ],
  });
  const text = fake.addNode({ type: 'TEXT', name: 'Headline', width: 100, height: 20, fills: [{ type: 'SOLID', color: { r: 0, g: 0, b: 0 } }] });
  const group = fake.addNode({ type: 'GROUP', name: 'Group 1', width: 10, height: 10 });
  const style = fake.addNode({ type: 'RECTANGLE', name: 'Van Gogh', width: 64, height: 64, fills: [{ type: 'IMAGE', bytes: swatch }] });

  const received: Array<{ type: string; payload: unknown }> = [];
  const ui = createChannel<UiToMain, MainToUi>((m) => fake.deliverFromUi(m));
  fake.onUiMessage = (m) => {
    received.push(m as { type: string; payload: unknown });
    ui.dispatch(m);
  };
  startPlugin(fake.api, '<html>ui</html>');
  const next = <K extends keyof MainToUi>(type: K): Promise<MainToUi[K]> => new Promise((resolve) => {
    const off = ui.on(type, (p) => {
      off();
      resolve(p);
    });
  });
  return { fake, ui, received, next, rect, frame, text, group, style };
}

describe('main.ts against the fake Figma', () => {
  it('shows the UI and answers ready with stored settings and the selection', async () => {
    const { fake, ui, next, rect, text, group } = await setup({ [CONTROLS_KEY]: { strength: 90, quality: 'fast' }, [CONNECTION_KEY]: { url: 'http://localhost:9999/', token: 'atl_abc' } });
    expect(fake.ui?.html).toBe('<html>ui</html>');
    expect(fake.ui?.options).toMatchObject({ width: 360, height: 640, themeColors: true });
    fake.select(rect, text, group);
    const init = next('init');
    ui.emit('ready', {});
    const { settings, selection } = await init;
    expect(settings.connection).toEqual({ url: 'http://localhost:9999', token: 'atl_abc' });
    expect(settings.controls).toMatchObject({ strength: 90, quality: 'fast', preserveColors: false });
    expect(selection.targets.map((t) => t.name)).toEqual(['Photo']);
    expect(selection.targets[0]).toMatchObject({ type: 'RECTANGLE', width: 300, height: 150, hasImageFill: true, stylized: false });
    expect(selection.skipped.map((s) => [s.name, s.reason])).toEqual([
      ['Headline', expect.stringMatching(/Text/)],
      ['Group 1', expect.stringMatching(/Groups have no fills/)],
    ]);
  });

  it('sends the selection on change and lets an image layer be marked as the style', async () => {
    const { fake, ui, next, rect, style } = await setup();
    const sel = next('selection');
    fake.select(rect, style);
    expect((await sel).targets).toHaveLength(2);
    const marked = next('selection');
    ui.emit('markStyleLayer', { nodeId: style.id });
    const s = await marked;
    expect(s.styleLayer?.name).toBe('Van Gogh');
    expect(s.targets.map((t) => t.name)).toEqual(['Photo']);
    const dropped = next('selection');
    fake.select(rect);
    expect((await dropped).styleLayer).toBeNull();
  });

  it('remembers settings in clientStorage (sanitised)', async () => {
    const { fake, ui } = await setup();
    ui.emit('saveSettings', { controls: { strength: 30, quality: 'high', preserveColors: true, advancedOpen: true, advanced: { iterations: 5 } } as never, connection: { url: 'http://127.0.0.1:7745/', token: 't' } });
    await tick();
    // the loopback IP (refused by Figma's manifest check) becomes the same companion by name
    expect(await fake.api.clientStorage.getAsync(CONNECTION_KEY)).toEqual({ url: 'http://localhost:7745', token: 't' });
    expect(await fake.api.clientStorage.getAsync(CONTROLS_KEY)).toMatchObject({ strength: 30, quality: 'high', preserveColors: true, advanced: { iterations: 5, seed: 0 } });
  });

  it('exports layers as real PNGs with the longer side at the chosen size (and the style layer)', async () => {
    const { ui, next, rect, frame, style } = await setup();
    const done = next('exported');
    ui.emit('exportLayers', { requestId: 'r1', layers: [rect.id, frame.id, '9:99'].map((nodeId) => ({ nodeId, size: 128 })), style: { nodeId: style.id, size: 128 } });
    const r = await done;
    expect(r.requestId).toBe('r1');
    expect(r.contents.map((c) => [c.name, c.width, c.height])).toEqual([
      ['Photo', 128, 64],
      ['Card', 128, 64],
    ]);
    for (const c of r.contents) {
      const meta = await sharp(c.png).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', c.width, c.height]);
    }
    // the frame's export shows its fill and its visible child (green badge at 10..60 px * 0.64)
    const { data, info } = await sharp(r.contents[1].png).raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
    expect(px(20, 20)).toEqual([0, 153, 0]);
    expect(r.style).toMatchObject({ name: 'Van Gogh', width: 128, height: 128 });
    expect(r.failed).toEqual([{ nodeId: '9:99', name: 'A selected layer', reason: 'It was deleted meanwhile' }]);
  });

  it('answers requestFailed when the style layer vanished', async () => {
    const { ui, next, rect } = await setup();
    const failed = next('requestFailed');
    ui.emit('exportLayers', { requestId: 'r9', layers: [{ nodeId: rect.id, size: 64 }], style: { nodeId: '7:77', size: 64 } });
    expect(await failed).toEqual({ requestId: 'r9', message: expect.stringMatching(/style layer was deleted/) });
  });
});

describe('code split', () => {
  it('only plugin/src/main.ts touches the figma global', async () => {
    const root = path.resolve(import.meta.dirname, '../../plugin/src');
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('main.ts');
    for (const f of files) {
      const text = (await readFile(path.join(root, f), 'utf8')).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      const touches = /\bfigma\s*\./.test(text) || /typeof figma\b/.test(text);
      expect([f, touches]).toEqual([f, f === 'main.ts']);
    }
  });
});

