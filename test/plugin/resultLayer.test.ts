/**
 * The non-destructive result (main.ts against the fake Figma, real PNG bytes): the stylized image
 * goes on a new layer above the original, which stays untouched; Revert removes that layer. Each
 * case is one of the ways the old "replace the fill, hide the children" result damaged a design
 * in real Figma, with the fake enforcing the rule that exposes it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { FakeFigma, type FakeNode, type NodeSpec } from '../../plugin/harness/fakeFigma.js';
import { startPlugin } from '../../plugin/src/main.js';
import { planExport } from '../../plugin/src/logic/exportPlan.js';
import { createChannel, type MainToUi, type UiToMain } from '../../plugin/src/logic/messages.js';
import { PROVENANCE_KEY, PROVENANCE_NAMESPACE } from '../../plugin/src/logic/provenance.js';
import { LINK_KEY, decodeLink, isPartner, resultName } from '../../plugin/src/logic/resultLayer.js';
import { sharpRasterize, solidPng } from './sharpRasterizer.js';

const provenance = { v: 1 as const, style: { kind: 'file' as const, name: 'starry.png' }, params: { size: 64 }, jobId: 'job-1', companionVersion: '0.1.0' };
const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

async function setup() {
  const fake = new FakeFigma({ rasterize: sharpRasterize });
  const ui = createChannel<UiToMain, MainToUi>((m) => fake.deliverFromUi(m));
  fake.onUiMessage = (m) => ui.dispatch(m);
  startPlugin(fake.api, '<html></html>');
  const next = <K extends keyof MainToUi>(type: K): Promise<MainToUi[K]> =>
    new Promise((resolve) => {
      const off = ui.on(type, (p) => {
        off();
        resolve(p);
      });
    });
  let seq = 0;
  const apply = async (nodes: FakeNode[], png?: Uint8Array, replaceFill = false) => {
    const done = next('applied');
    const bytes = png ?? (await solidPng(64, 64, [10, 200, 10]));
    ui.emit('apply', { requestId: `a${++seq}`, items: nodes.map((n) => ({ nodeId: n.id, png: bytes, replaceFill })), provenance });
    return done;
  };
  const revert = async (nodes: FakeNode[]) => {
    const done = next('reverted');
    ui.emit('revert', { requestId: `v${++seq}`, nodeIds: nodes.map((n) => n.id) });
    return done;
  };
  const exportOne = async (n: FakeNode, size: number, replaceFill = false) => {
    const done = next('exported');
    ui.emit('exportLayers', { requestId: `e${++seq}`, layers: [{ nodeId: n.id, size }], style: null, replaceFill });
    return done;
  };
  const selection = async (...nodes: FakeNode[]) => {
    const s = next('selection');
    fake.select(...nodes);
    return s;
  };
  /** The result layer Atelier made for `n` (the sibling linked to it). */
  const resultOf = (n: FakeNode): FakeNode | undefined => {
    const siblings = n.parent ? n.parent.children : fake.page.children;
    const self = { id: n.id, parentId: n.parent?.id ?? null, link: decodeLink(n.getPluginData(LINK_KEY)) };
    return siblings.find((s) => isPartner(self, { id: s.id, parentId: s.parent?.id ?? null, link: decodeLink(s.getPluginData(LINK_KEY)) }));
  };
  return { fake, ui, apply, revert, exportOne, selection, resultOf, next };
}

const solid = (r: number, g: number, b: number) => [{ type: 'SOLID' as const, color: { r, g, b } }];
const rect = (name: string, extra: Partial<NodeSpec> = {}): NodeSpec => ({ type: 'RECTANGLE', name, width: 40, height: 20, fills: solid(0.2, 0.4, 0.8), ...extra });

describe('the result goes on a new layer; the original stays untouched', () => {
  it('adds the image above the original (same parent, bounds), hides the original, links both, one undo step; Revert removes it', async () => {
    const { fake, ui, next, apply, revert, resultOf } = await setup();
    const card = fake.addNode({ type: 'FRAME', name: 'Card', x: 30, y: 40, width: 200, height: 100, fills: solid(1, 1, 1), children: [rect('Badge', { x: 10, y: 10 })] });
    const before = plain(card.fills);
    const steps = fake.undoSteps.length;
    const r = await apply([card]);
    expect(r.applied).toEqual([{ nodeId: card.id, name: 'Card' }]);
    const result = resultOf(card)!;
    expect(fake.page.children.map((n) => n.name)).toEqual(['Card', resultName('Card')]);
    expect(result).toMatchObject({ type: 'RECTANGLE', x: 30, y: 40, width: 200, height: 100 });
    expect(result.fills).toMatchObject([{ type: 'IMAGE', scaleMode: 'FILL' }]);
    expect(JSON.parse(result.getSharedPluginData(PROVENANCE_NAMESPACE, PROVENANCE_KEY))).toMatchObject({ jobId: 'job-1' });
    // the original: hidden, and nothing else touched — not its fills, not its children
    expect(card.visible).toBe(false);
    expect(plain(card.fills)).toEqual(before);
    expect(card.children[0].visible).toBe(true);
    expect(fake.undoSteps.length).toBe(steps + 1);
    expect(fake.uncommitted).toBe(0);

    // again: the same result layer gets the new image (no second layer)
    await apply([result], await solidPng(64, 64, [1, 2, 3]));
    expect(fake.page.children).toHaveLength(2);
    expect(fake.undoSteps.length).toBe(steps + 2);

    // before/after: the original shows instead of its result, and back (one undo step each)
    const toggled = next('selection');
    ui.emit('showOriginal', { nodeIds: [card.id], show: true });
    expect((await toggled).targets).toEqual([]); // nothing selected here; the layers themselves:
    expect([card.visible, result.visible]).toEqual([true, false]);
    ui.emit('showOriginal', { nodeIds: [result.id], show: false });
    await next('selection');
    expect([card.visible, result.visible]).toEqual([false, true]);
    expect(fake.undoSteps.length).toBe(steps + 4);

    const v = await revert([card]);
    expect(v.reverted).toEqual([{ nodeId: card.id, name: 'Card' }]);
    expect(fake.page.children.map((n) => n.name)).toEqual(['Card']);
    expect(card.visible).toBe(true);
    expect(card.getPluginData(LINK_KEY)).toBe('');
    expect(fake.undoSteps.length).toBe(steps + 5);
    expect((await revert([card])).failed[0].reason).toMatch(/not stylized/);
  });

  it('keeps a hug-contents auto-layout frame its size and its children in place', async () => {
    const { fake, apply, resultOf } = await setup();
    const row = fake.addNode({ type: 'FRAME', name: 'Tags', width: 1, height: 1, layoutMode: 'HORIZONTAL', padding: 8, itemSpacing: 4, children: [rect('A'), rect('B'), rect('C')] });
    expect([row.width, row.height]).toEqual([8 + 40 * 3 + 4 * 2 + 8, 36]);
    await apply([row]);
    expect([row.width, row.height]).toEqual([144, 36]);
    expect(row.children.map((c) => c.visible)).toEqual([true, true, true]);
    expect(resultOf(row)).toMatchObject({ width: 144, height: 36 });

    // a child of the auto-layout: its result is absolutely positioned, the child stays in the flow
    const [, b, c] = row.children;
    const cx = c.x;
    await apply([b]);
    const result = resultOf(b)!;
    expect(result.parent).toBe(row);
    expect(result.layoutPositioning).toBe('ABSOLUTE');
    expect([result.x, result.y, result.width, result.height]).toEqual([b.x, b.y, 40, 20]);
    expect(b.visible).toBe(true);
    expect(c.x).toBe(cx);
    expect(row.width).toBe(144);
  });

  it('covers what overflows a frame that does not clip, and the stroke and shadow outside it', async () => {
    const { fake, apply, exportOne, resultOf } = await setup();
    const card = fake.addNode({ type: 'FRAME', name: 'Overflow', width: 100, height: 60, clipsContent: false, fills: solid(0.9, 0.9, 0.9), children: [rect('Sticker', { x: 80, y: -10, width: 40, height: 40 })] });
    const tile = fake.addNode({
      ...rect('Tile', { x: 300, width: 100, height: 100, opacity: 0.5, strokes: solid(0, 0, 0), strokeWeight: 4, strokeAlign: 'OUTSIDE' }),
      effects: [{ type: 'DROP_SHADOW', color: { r: 0, g: 0, b: 0, a: 0.5 }, offset: { x: 6, y: 6 }, radius: 0, spread: 0, visible: true, blendMode: 'NORMAL' }],
    });
    const e = await exportOne(card, 240);
    expect([e.contents[0].width, e.contents[0].height]).toEqual([240, 140]); // 120×70 drawn, at 2×
    const { data, info } = await sharp(e.contents[0].png).raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 4)];
    expect(px(225, 5)).toEqual([51, 102, 204, 255]); // the sticker above the frame's top edge is in the export
    await apply([card, tile]);
    expect(resultOf(card)).toMatchObject({ x: 0, y: -10, width: 120, height: 70 });
    // the result repeats nothing: the stroke, the shadow and the 50% opacity are in its pixels
    const tileResult = resultOf(tile)!;
    expect(tileResult).toMatchObject({ x: 296, y: -4, width: 114, height: 114, opacity: 1, strokes: [], effects: [] }) // 4-px outside stroke, 6-px shadow offset;
    expect(tile).toMatchObject({ opacity: 0.5, strokeWeight: 4 });
  });

  it('places the result of a rotated or flipped layer unrotated over what the canvas shows', async () => {
    const { fake, apply, resultOf } = await setup();
    const tilted = fake.addNode(rect('Tilted', { x: 50, y: 50, width: 100, height: 40, rotation: 30 }));
    const mirrored = fake.addNode(rect('Mirrored', { x: 300, y: 0, width: 100, height: 40, flipX: true }));
    await apply([tilted, mirrored]);
    for (const n of [tilted, mirrored]) {
      const r = resultOf(n)!;
      expect(r.rotation).toBe(0);
      expect(r.relativeTransform[0][0]).toBe(1); // not flipped either: the export already is
      n.visible = true;
      const b = n.absoluteRenderBounds!;
      for (const [k, v] of Object.entries(b)) expect(r.absoluteBoundingBox[k as keyof typeof b]).toBeCloseTo(v, 6);
    }
    expect(resultOf(tilted)!.width).toBeCloseTo(100 * Math.cos(Math.PI / 6) + 40 * Math.sin(Math.PI / 6), 6);
  });

  it('plans the export from what is drawn, so a rotated 4096-px layer stays within createImage\'s limit', async () => {
    const { fake, selection } = await setup();
    const big = fake.addNode(rect('Poster', { width: 3000, height: 3000, rotation: 45 }));
    const s = await selection(big);
    // the layer's drawn size (4243 px) is what the export plans against, so the PNG stays ≤ 4096 px;
    // planned from its 3000-px box instead, the rotated export would come out 5793 px wide
    const t = s.targets[0];
    expect(Math.round(t.width)).toBe(4243);
    const plan = planExport(t.width, t.height, 4096);
    expect(Math.max(plan.width, plan.height)).toBe(4096);
    expect(Math.round(t.width * planExport(3000, 3000, 4096).scale)).toBe(5793);
  });

  it('never changes a main component (its instances would change too), nor layers inside one or inside an instance', async () => {
    const { fake, apply, selection } = await setup();
    const button = fake.addNode({ type: 'COMPONENT', name: 'Button', width: 120, height: 40, fills: solid(0, 0.6, 1), children: [rect('Label')] });
    const inst = fake.createInstance(button, { x: 0, y: 100 }, 'Button instance');
    const s = await selection(button, button.children[0], inst.children[0], inst);
    expect(s.targets.map((t) => t.name)).toEqual(['Button instance']);
    expect(s.skipped.map((k) => [k.name, k.reason])).toEqual([
      ['Button', expect.stringMatching(/^Main component/)],
      ['Label', expect.stringMatching(/inside a main component/)],
      ['Label', expect.stringMatching(/inside an instance/)],
    ]);
    const r = await apply([button, inst]);
    expect(r.failed.map((f) => f.name)).toEqual(['Button']);
    expect(plain(inst.fills)).toEqual(solid(0, 0.6, 1));
    expect(inst.children[0].visible).toBe(true);
    expect(inst.visible).toBe(false); // the instance itself was stylized (its override)
    expect(button.visible).toBe(true);
  });

  it('keeps the colour-style link and later edits of the original; Revert only removes the result', async () => {
    const { fake, apply, revert } = await setup();
    const style = fake.addPaintStyle('Brand', solid(0.5, 0.2, 0.9));
    const swatch = fake.addNode({ type: 'RECTANGLE', name: 'Swatch', width: 50, height: 50, fillStyleId: style });
    await apply([swatch]);
    swatch.name = 'Swatch (renamed)';
    swatch.resize(60, 50);
    await revert([swatch]);
    expect(swatch.fillStyleId).toBe(style);
    expect([swatch.name, swatch.width, swatch.visible]).toEqual(['Swatch (renamed)', 60, true]);
  });

  it('reverts a duplicated frame on its own copies, leaving the original pair alone', async () => {
    const { fake, apply, revert, resultOf } = await setup();
    const board = fake.addNode({ type: 'FRAME', name: 'Board', width: 300, height: 200, children: [rect('Photo', { x: 20, y: 20, width: 100, height: 60 })] });
    const photo = board.children[0];
    await apply([photo]);
    const copy = fake.duplicate(board);
    const [photoCopy, resultCopy] = copy.children;
    expect(resultOf(photoCopy)).toBe(resultCopy);
    const v = await revert([photoCopy]);
    expect(v.failed).toEqual([]);
    expect(copy.children.map((c) => [c.name, c.visible])).toEqual([['Photo', true]]);
    expect(board.children.map((c) => [c.name, c.visible])).toEqual([
      ['Photo', false],
      [resultName('Photo'), true],
    ]);
  });

  it('cancels the running job when the plugin closes', async () => {
    const { fake, ui } = await setup();
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/jobs/j1`;
      ui.emit('jobStarted', { cancelUrl: url, token: 'atl_t' });
      await new Promise((r) => setTimeout(r, 0));
      fake.api.closePlugin();
      await expect.poll(() => seen).toEqual(['DELETE /v1/jobs/j1 Bearer atl_t']);
    } finally {
      server.close();
    }
  });
});

describe('"replace the fill", where it is safe', () => {
  it('exports a clean, unrotated copy without the layer\'s stroke, shadow and opacity, and leaves no copy behind', async () => {
    const { fake, exportOne } = await setup();
    const tile = fake.addNode({
      ...rect('Tile', { x: 10, y: 10, width: 100, height: 50, opacity: 0.5, strokes: solid(0, 0, 0), strokeWeight: 6, strokeAlign: 'OUTSIDE', flipX: true }),
      effects: [{ type: 'DROP_SHADOW', color: { r: 0, g: 0, b: 0, a: 1 }, offset: { x: 8, y: 8 }, radius: 0, spread: 0, visible: true, blendMode: 'NORMAL' }],
    });
    const e = await exportOne(tile, 100, true);
    expect(e.contents[0]).toMatchObject({ replaceFill: true, width: 100, height: 50 });
    const { data, info } = await sharp(e.contents[0].png).raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 4)];
    expect([px(0, 0), px(99, 49)]).toEqual([[51, 102, 204, 255], [51, 102, 204, 255]]); // fill only, fully opaque: no stroke, no shadow, no 50%
    expect(fake.page.children.map((n) => n.name)).toEqual(['Tile']);
    // a frame with children is exported as drawn (it will get a new layer)
    const frame = fake.addNode({ type: 'FRAME', name: 'F', width: 40, height: 40, children: [rect('Kid')] });
    expect((await exportOne(frame, 40, true)).contents[0].replaceFill).toBe(false);
  });

  it('replaces the fill, keeps the colour-style link for Revert, and never overwrites a fill the designer changed since', async () => {
    const { fake, apply, revert, selection } = await setup();
    const style = fake.addPaintStyle('Brand', solid(0.5, 0.2, 0.9));
    const swatch = fake.addNode({ type: 'RECTANGLE', name: 'Swatch', width: 50, height: 50, fillStyleId: style });
    const other = fake.addNode(rect('Other'));
    await apply([swatch, other], undefined, true);
    expect(fake.page.children).toHaveLength(2); // no new layers
    expect(swatch.fills).toMatchObject([{ type: 'IMAGE', scaleMode: 'FILL' }]);
    expect((await selection(swatch)).targets[0].stylized).toBe(true);
    other.fills = solid(1, 0, 0); // the designer's own change after stylizing
    const v = await revert([swatch, other]);
    expect(v.reverted.map((r) => r.name)).toEqual(['Swatch']);
    expect(v.failed).toEqual([{ nodeId: other.id, name: 'Other', reason: 'Its fill was changed after stylizing — your change is kept' }]);
    expect(swatch.fillStyleId).toBe(style);
    expect(plain(swatch.fills)).toEqual(solid(0.5, 0.2, 0.9));
    expect(plain(other.fills)).toEqual(solid(1, 0, 0));
    expect((await selection(other)).targets[0].stylized).toBe(false); // no stale "Stylized" badge
  });
});

describe('the fake enforces Figma\'s rules', () => {
  it('collapses a hug-contents auto-layout frame whose children are all hidden', () => {
    const fake = new FakeFigma({ rasterize: sharpRasterize });
    const row = fake.addNode({ type: 'FRAME', name: 'Row', width: 1, height: 1, layoutMode: 'HORIZONTAL', padding: 8, children: [rect('A'), rect('B')] });
    expect(row.width).toBe(96);
    for (const c of row.children) c.visible = false;
    expect([row.width, row.height]).toEqual([16, 16]);
  });

  it('propagates a main component\'s fills and children\'s visibility to its instances, until overridden', () => {
    const fake = new FakeFigma({ rasterize: sharpRasterize });
    const comp = fake.addNode({ type: 'COMPONENT', name: 'C', width: 10, height: 10, fills: solid(1, 0, 0), children: [rect('Kid')] });
    const a = fake.createInstance(comp, { x: 0, y: 0 });
    const b = fake.createInstance(comp, { x: 0, y: 0 });
    b.fills = solid(0, 1, 0);
    comp.fills = solid(0, 0, 1);
    comp.children[0].visible = false;
    expect(plain(a.fills)).toEqual(solid(0, 0, 1));
    expect(plain(b.fills)).toEqual(solid(0, 1, 0));
    expect(a.children[0].visible).toBe(false);
    comp.appendChild(fake.addNode(rect('New')));
    expect(a.children.map((c) => c.name)).toEqual(['Kid', 'New']);
    expect(() => a.appendChild(fake.addNode(rect('X')))).toThrow(/instance/);
  });

  it('refuses fillStyleId writes (dynamic-page), detaches the style when fills are set, and layoutPositioning outside auto-layout', async () => {
    const fake = new FakeFigma({ rasterize: sharpRasterize });
    const style = fake.addPaintStyle('S', solid(1, 0, 0));
    const n = fake.addNode({ type: 'RECTANGLE', name: 'R', width: 10, height: 10, fillStyleId: style });
    expect(n.fillStyleId).toBe(style);
    expect(() => (n.fillStyleId = '')).toThrow(/setFillStyleIdAsync/);
    n.fills = solid(0, 1, 0);
    expect(n.fillStyleId).toBe('');
    expect(() => (n.layoutPositioning = 'ABSOLUTE')).toThrow(/auto-layout/);
  });

  it('copies plugin data with a duplicate, and counts changes into commitUndo steps', () => {
    const fake = new FakeFigma({ rasterize: sharpRasterize });
    const n = fake.addNode(rect('R'));
    n.setPluginData('k', 'v');
    n.setSharedPluginData('atelier', 'p', 'q');
    const copy = fake.duplicate(n);
    expect([copy.id === n.id, copy.getPluginData('k'), copy.getSharedPluginData('atelier', 'p')]).toEqual([false, 'v', 'q']);
    fake.api.commitUndo();
    n.visible = false;
    fake.api.commitUndo();
    expect(fake.undoSteps.at(-1)).toBe(1);
  });
});

describe("groups and boolean operations, as Figma has them", () => {
  it('the fake follows Figma: children of a group are in the enclosing frame\'s coordinates, and the group resizes to fit them', async () => {
    const { fake } = await setup();
    const frame = fake.addNode({ type: 'FRAME', name: 'Screen', x: 100, y: 50, width: 400, height: 300, fills: solid(1, 1, 1), children: [{ type: 'GROUP', name: 'Icons', x: 20, y: 30, width: 1, height: 1, children: [rect('A', { x: 0, y: 0 }), rect('B', { x: 50, y: 10 })] }] });
    const group = frame.children[0];
    const [a, b] = group.children;
    expect(a.relativeTransform[0][2]).toBe(20); // in the frame's space, not the group's
    expect(b.relativeTransform[1][2]).toBe(40);
    expect(group).toMatchObject({ x: 20, y: 30, width: 90, height: 30 });
    expect(b.absoluteBoundingBox).toEqual({ x: 170, y: 90, width: 40, height: 20 });
    b.x = 200; // the group grows to fit
    expect(group).toMatchObject({ x: 20, width: 220 });
  });

  it('places the result of a layer inside a group where the layer is (the group keeps its place and size)', async () => {
    const { fake, apply, resultOf } = await setup();
    // a group left of and above the page's origin, as in any file whose designs sit there
    const group = fake.addNode({ type: 'GROUP', name: 'Icons', x: -300, y: -200, width: 1, height: 1, children: [rect('A'), rect('B', { x: 50, y: 10 })] });
    const b = group.children[1];
    const before = { box: b.absoluteBoundingBox, group: { x: group.x, y: group.y, width: group.width, height: group.height } };
    const r = await apply([b]);
    expect(r.failed).toEqual([]);
    const result = resultOf(b)!;
    expect(result.parent).toBe(group);
    expect(result.absoluteBoundingBox).toEqual(before.box);
    expect({ x: group.x, y: group.y, width: group.width, height: group.height }).toEqual(before.group);
  });

  it('never inserts into a boolean operation: a layer inside one is skipped with the reason; the boolean itself is stylized beside it', async () => {
    const { fake, apply, selection, resultOf } = await setup();
    const shape = fake.addNode({ type: 'BOOLEAN_OPERATION', name: 'Badge shape', x: 10, y: 10, width: 1, height: 1, fills: solid(0.9, 0.2, 0.2), children: [rect('Part A'), rect('Part B', { x: 30, y: 5 })] });
    const part = shape.children[1];
    const bounds = shape.absoluteBoundingBox;
    const s = await selection(part, shape);
    expect(s.skipped.map((k) => [k.name, k.reason])).toEqual([['Part B', expect.stringMatching(/boolean shape/)]]);
    expect(s.targets.map((t) => t.name)).toEqual(['Badge shape']);
    const r = await apply([part, shape]);
    expect(r.failed.map((f) => f.name)).toEqual(['Part B']);
    expect(shape.children.map((c) => c.name)).toEqual(['Part A', 'Part B']);
    expect(shape.absoluteBoundingBox).toEqual(bounds);
    expect(resultOf(shape)?.parent).toBe(fake.page);
    expect(resultOf(shape)?.absoluteBoundingBox).toEqual(bounds);
  });
});
