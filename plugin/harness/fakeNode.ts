/**
 * A fake scene node that enforces the Figma rules Atelier depends on (see fakeFigma.ts for the
 * document): `relativeTransform` with rotation and flips, `absoluteTransform` /
 * `absoluteBoundingBox` / `absoluteRenderBounds` (strokes, drop shadows, blurs and overflowing
 * children included), strokes, effects, opacity and blend mode baked into exports, hug-contents
 * auto-layout that re-lays out (and collapses) when children hide, `layoutPositioning` only inside
 * auto-layout, main COMPONENTs whose fills, visibility and new children reach every INSTANCE,
 * `fillStyleId` read-only under dynamic-page (fills set directly detach the style), no children
 * inserted into instances, plugin data that travels with duplicates, and GROUPs and
 * BOOLEAN_OPERATIONs as Figma documents them: no coordinate space of their own (their children's
 * `relativeTransform` is in the enclosing frame's or page's coordinates) and bounds that follow
 * their children (a group resizes to fit; a new child of a boolean operation changes its shape).
 */
import type { Effect, ExportSettings, Paint } from '@figma/plugin-typings/plugin-api-standalone.js';
import { IDENTITY, boundsOf, compose, invert, translation, union, type Rect, type Transform } from '../src/logic/geometry.js';
import type { DrawOp, Rasterizer } from './rendering.js';

/** What a node needs from its document (FakeFigma implements it; declared here so the two modules do not import each other). */
export interface NodeDocument {
  readonly mixed: symbol;
  exportDelayMs: number;
  readonly rasterize: Rasterizer;
  validatePaints(value: unknown, field?: string): Paint[];
  paintStyle(id: string): Paint[];
  recordChange(): void;
  mirrorInto(into: FakeNode, source: FakeNode): void;
  cloneToPage(node: FakeNode): FakeNode;
  imageBytes(hash: string): Uint8Array;
}

/** Types that never have fills. */
const NO_FILLS = new Set(['GROUP', 'SLICE', 'PAGE']);
/** Types that hold children. */
const CONTAINERS = new Set(['PAGE', 'FRAME', 'GROUP', 'COMPONENT', 'COMPONENT_SET', 'INSTANCE', 'BOOLEAN_OPERATION', 'SECTION']);
/** Types with frame properties (clipsContent, auto-layout). */
const FRAMES = new Set(['FRAME', 'COMPONENT', 'INSTANCE']);
const NAMESPACE = /^[A-Za-z0-9_.]{3,}$/;
/** Types without a coordinate space of their own, whose bounds are their children's. */
export const GROUPING = new Set(['GROUP', 'BOOLEAN_OPERATION']);

export type LayoutMode = 'NONE' | 'HORIZONTAL' | 'VERTICAL';
export type SizingMode = 'FIXED' | 'AUTO';

/** Rotation (degrees, counter-clockwise on screen as in Figma) and flip as a relativeTransform. */
export function rotationTransform(x: number, y: number, degrees: number, flipX = false): Transform {
  const r = (degrees * Math.PI) / 180;
  const cos = Math.cos(r);
  const sin = Math.sin(r);
  const f = flipX ? -1 : 1;
  return [
    [cos * f, sin, x],
    [-sin * f, cos, y],
  ];
}

const deepFreeze = <T>(v: T): T => {
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
};
const clone = <T>(v: T): T => structuredClone(v);

/** A fake scene node. Only types that have fills get `fills`; only containers get `children`. */
export class FakeNode {
  parent: FakeNode | null = null;
  removed = false;
  declare children: FakeNode[];
  declare fills: readonly Paint[] | symbol;
  /** The node of a main component this instance node mirrors (fills/visible until overridden). */
  source: FakeNode | null = null;
  /** Instance nodes mirroring this component node. */
  readonly mirrors = new Set<FakeNode>();

  private readonly pluginData = new Map<string, string>();
  private readonly sharedData = new Map<string, Map<string, string>>();
  private transform: Transform = IDENTITY;
  private w: number;
  private h: number;
  private ownVisible: boolean | undefined;
  private ownFills: readonly Paint[] | symbol | undefined;
  private styleId = '';
  private strokeList: readonly Paint[] = deepFreeze([]);
  private effectList: readonly Effect[] = deepFreeze([]);
  private alpha = 1;
  private blend: string;
  private positioning: 'AUTO' | 'ABSOLUTE' = 'AUTO';
  private mode: LayoutMode = 'NONE';
  strokeWeight = 1;
  strokeAlign: 'INSIDE' | 'OUTSIDE' | 'CENTER' = 'INSIDE';
  clipsContent: boolean;
  itemSpacing = 0;
  padding = 0;
  primaryAxisSizingMode: SizingMode = 'AUTO';
  counterAxisSizingMode: SizingMode = 'AUTO';

  constructor(
    private readonly doc: NodeDocument,
    readonly id: string,
    readonly type: string,
    public name: string,
    width: number,
    height: number,
  ) {
    this.w = width;
    this.h = height;
    this.blend = FRAMES.has(type) || type === 'GROUP' ? 'PASS_THROUGH' : 'NORMAL';
    this.clipsContent = FRAMES.has(type);
    if (CONTAINERS.has(type)) this.children = [];
    if (!NO_FILLS.has(type)) {
      Object.defineProperty(this, 'fills', {
        enumerable: true,
        get: () => {
          const f = this.ownFills ?? this.source?.fills ?? [];
          return typeof f === 'symbol' ? f : deepFreeze(clone(f as Paint[]));
        },
        set: (value: unknown) => {
          if (value === doc.mixed && type === 'TEXT') this.ownFills = value as symbol;
          else this.ownFills = deepFreeze(doc.validatePaints(value, 'fills'));
          this.styleId = '';
          this.changed();
        },
      });
    }
  }

  // ---- geometry -------------------------------------------------------------------------------

  get width(): number {
    return this.w;
  }
  get height(): number {
    return this.h;
  }
  get x(): number {
    return this.transform[0][2];
  }
  set x(v: number) {
    this.moveTo([[this.transform[0][0], this.transform[0][1], v], [...this.transform[1]]]);
  }
  get y(): number {
    return this.transform[1][2];
  }
  set y(v: number) {
    this.moveTo([[...this.transform[0]], [this.transform[1][0], this.transform[1][1], v]]);
  }
  /** Degrees, counter-clockwise (read-only here; set `relativeTransform`). */
  get rotation(): number {
    return (Math.atan2(this.transform[0][1], this.transform[1][1]) * 180) / Math.PI;
  }
  get relativeTransform(): Transform {
    return clone(this.transform);
  }
  set relativeTransform(t: Transform) {
    if (!Array.isArray(t) || t.length !== 2 || t.some((row) => !Array.isArray(row) || row.length !== 3 || row.some((v) => !Number.isFinite(v)))) {
      throw new Error('relativeTransform must be [[a, c, tx], [b, d, ty]]');
    }
    invert(t); // throws for a degenerate transform, as Figma does
    if (this.inFlow()) return; // auto-layout owns the position of in-flow children
    this.moveTo(clone(t));
  }
  get absoluteTransform(): Transform {
    return this.parent ? compose(this.parent.absoluteTransform, this.parent.localOf(this)) : clone(this.transform);
  }

  /** Sets the transform; a group or boolean operation carries its children along (they are not in its space). */
  private moveTo(t: Transform): void {
    if (this.grouping && this.children.length) {
      const delta = compose(t, invert(this.transform));
      for (const c of this.children) c.transform = compose(delta, c.transform);
    }
    this.transform = t;
    this.changed();
    this.parent?.fitToChildren();
  }
  private get grouping(): boolean {
    return GROUPING.has(this.type);
  }
  /** A child's transform relative to this node (a group's children are in its enclosing frame's space). */
  private localOf(child: FakeNode): Transform {
    return this.grouping ? compose(invert(this.transform), child.transform) : child.transform;
  }
  /** A group or boolean operation takes the bounds of its children (Figma resizes groups to fit). */
  fitToChildren(): void {
    if (!this.grouping || !this.children.length) return;
    const box = union(this.children.map((c) => boundsOf(c.transform, { x: 0, y: 0, width: c.w, height: c.h })))!;
    this.transform = translation(box.x, box.y);
    this.w = Math.max(0.01, box.width);
    this.h = Math.max(0.01, box.height);
    this.changed();
    this.parent?.fitToChildren();
  }
  get absoluteBoundingBox(): Rect {
    return boundsOf(this.absoluteTransform, { x: 0, y: 0, width: this.w, height: this.h });
  }
  /** What the canvas draws: strokes outside the box, shadows, blurs and overflowing children; null when hidden. */
  get absoluteRenderBounds(): Rect | null {
    if (!this.shown()) return null;
    return this.renderBox(this.absoluteTransform);
  }
  resize(width: number, height: number): void {
    if (!(width >= 0.01) || !(height >= 0.01)) throw new Error('resize: width and height must be at least 0.01');
    if (this.grouping && this.children.length) throw new Error('this fake does not scale the children of a resized group');
    this.w = width;
    this.h = height;
    this.changed();
    this.parent?.relayout();
    this.parent?.fitToChildren();
  }

  private renderBox(abs: Transform): Rect {
    let out = 0;
    if (this.strokeList.some((p) => p.visible !== false)) out = this.strokeAlign === 'OUTSIDE' ? this.strokeWeight : this.strokeAlign === 'CENTER' ? this.strokeWeight / 2 : 0;
    const own: Rect = { x: -out, y: -out, width: this.w + 2 * out, height: this.h + 2 * out };
    const local = [own];
    for (const e of this.effectList) {
      if (e.visible === false) continue;
      if (e.type === 'DROP_SHADOW') {
        const grow = e.radius + (e.spread ?? 0);
        local.push({ x: own.x + e.offset.x - grow, y: own.y + e.offset.y - grow, width: own.width + 2 * grow, height: own.height + 2 * grow });
      } else if (e.type === 'LAYER_BLUR') local.push({ x: own.x - e.radius, y: own.y - e.radius, width: own.width + 2 * e.radius, height: own.height + 2 * e.radius });
    }
    const rects = local.map((r) => boundsOf(abs, r));
    if (!this.clipsContent) for (const c of this.children ?? []) if (c.ownShown()) rects.push(c.renderBox(compose(abs, this.localOf(c))));
    return union(rects)!;
  }

  // ---- visibility, paint properties -------------------------------------------------------------

  get visible(): boolean {
    return this.ownVisible ?? this.source?.visible ?? true;
  }
  set visible(v: boolean) {
    this.ownVisible = Boolean(v);
    this.changed();
    this.parent?.relayout();
  }
  private ownShown(): boolean {
    return this.visible;
  }
  /** Visible and every ancestor visible. */
  shown(): boolean {
    return this.visible && (this.parent ? this.parent.shown() : true);
  }
  get strokes(): readonly Paint[] {
    return this.strokeList;
  }
  set strokes(v: readonly Paint[]) {
    this.strokeList = deepFreeze(this.doc.validatePaints(v, 'strokes'));
    this.changed();
  }
  get effects(): readonly Effect[] {
    return this.effectList;
  }
  set effects(v: readonly Effect[]) {
    if (!Array.isArray(v)) throw new Error('effects must be an array');
    this.effectList = deepFreeze(clone(v as Effect[]));
    this.changed();
  }
  get opacity(): number {
    return this.alpha;
  }
  set opacity(v: number) {
    if (!(v >= 0 && v <= 1)) throw new Error('opacity must be in 0..1');
    this.alpha = v;
    this.changed();
  }
  get blendMode(): string {
    return this.blend;
  }
  set blendMode(v: string) {
    if (typeof v !== 'string') throw new Error('blendMode must be a string');
    this.blend = v;
    this.changed();
  }
  /** Read-only with documentAccess "dynamic-page" (use setFillStyleIdAsync); '' when the fills are not linked. */
  get fillStyleId(): string {
    return this.styleId;
  }
  set fillStyleId(_v: string) {
    throw new Error('Cannot set fillStyleId with documentAccess: dynamic-page. Use setFillStyleIdAsync instead.');
  }
  async setFillStyleIdAsync(styleId: string): Promise<void> {
    const paints = this.doc.paintStyle(styleId);
    this.fills = paints;
    this.styleId = styleId;
  }

  // ---- auto-layout ------------------------------------------------------------------------------

  get layoutMode(): LayoutMode {
    return this.mode;
  }
  set layoutMode(m: LayoutMode) {
    if (!FRAMES.has(this.type)) throw new Error(`${this.type} has no layoutMode`);
    this.mode = m;
    this.relayout();
  }
  /** Only for direct children of auto-layout frames (Figma throws otherwise). */
  get layoutPositioning(): 'AUTO' | 'ABSOLUTE' {
    return this.positioning;
  }
  set layoutPositioning(v: 'AUTO' | 'ABSOLUTE') {
    if (!this.parent || this.parent.mode === 'NONE') throw new Error('layoutPositioning can only be set on children of auto-layout frames');
    this.positioning = v;
    this.changed();
    this.parent.relayout();
  }
  private inFlow(): boolean {
    return Boolean(this.parent && this.parent.mode !== 'NONE' && this.positioning === 'AUTO');
  }

  /** Places in-flow visible children along the axis; a hug (AUTO) axis shrinks or grows to fit them. */
  relayout(): void {
    if (this.mode === 'NONE' || !this.children) return;
    const horizontal = this.mode === 'HORIZONTAL';
    const flow = this.children.filter((c) => c.visible && c.positioning === 'AUTO');
    let along = this.padding;
    let across = 0;
    for (const c of flow) {
      c.transform = translation(horizontal ? along : this.padding, horizontal ? this.padding : along);
      along += (horizontal ? c.w : c.h) + this.itemSpacing;
      across = Math.max(across, horizontal ? c.h : c.w);
    }
    const primary = flow.length ? along - this.itemSpacing + this.padding : 2 * this.padding;
    const counter = across + 2 * this.padding;
    const w = horizontal ? (this.primaryAxisSizingMode === 'AUTO' ? primary : this.w) : this.counterAxisSizingMode === 'AUTO' ? counter : this.w;
    const h = horizontal ? (this.counterAxisSizingMode === 'AUTO' ? counter : this.h) : this.primaryAxisSizingMode === 'AUTO' ? primary : this.h;
    const resized = w !== this.w || h !== this.h;
    this.w = Math.max(0.01, w);
    this.h = Math.max(0.01, h);
    this.changed();
    if (resized) this.parent?.relayout();
  }

  // ---- tree ---------------------------------------------------------------------------------------

  /** Inside an instance (or an instance itself): Figma refuses new children there. */
  private inInstance(): boolean {
    return this.type === 'INSTANCE' || Boolean(this.parent?.inInstance());
  }
  appendChild(child: FakeNode): void {
    this.insertChild(this.children?.length ?? 0, child);
  }
  insertChild(index: number, child: FakeNode): void {
    if (!this.children) throw new Error(`${this.type} cannot have children`);
    if (this.inInstance()) throw new Error('Cannot move node. New parent is an instance or is inside of an instance');
    child.detach();
    child.parent = this;
    this.children.splice(Math.max(0, Math.min(index, this.children.length)), 0, child);
    for (const m of this.mirrors) m.doc.mirrorInto(m, child); // a component's new child reaches every instance
    this.changed();
    this.relayout();
    this.fitToChildren();
  }
  private detach(): void {
    const siblings = this.parent?.children ?? [];
    const i = siblings.indexOf(this);
    if (i >= 0) siblings.splice(i, 1);
    const old = this.parent;
    this.parent = null;
    old?.relayout();
    old?.fitToChildren();
  }
  remove(): void {
    this.detach();
    const mark = (n: FakeNode): void => {
      n.removed = true;
      for (const m of n.mirrors) m.remove();
      for (const c of n.children ?? []) mark(c);
    };
    mark(this);
    this.changed();
  }

  private changed(): void {
    this.doc.recordChange();
  }

  // ---- plugin data --------------------------------------------------------------------------------

  /** Private plugin data (per plugin; this fake hosts one plugin). */
  getPluginData(key: string): string {
    return this.pluginData.get(key) ?? '';
  }
  setPluginData(key: string, value: string): void {
    if (typeof value !== 'string') throw new Error('setPluginData: value must be a string');
    if (value === '') this.pluginData.delete(key);
    else this.pluginData.set(key, value);
    this.changed();
  }
  getPluginDataKeys(): string[] {
    return [...this.pluginData.keys()];
  }
  getSharedPluginData(namespace: string, key: string): string {
    if (!NAMESPACE.test(namespace)) throw new Error(`namespace "${namespace}" must be at least 3 alphanumeric characters`);
    return this.sharedData.get(namespace)?.get(key) ?? '';
  }
  setSharedPluginData(namespace: string, key: string, value: string): void {
    if (!NAMESPACE.test(namespace)) throw new Error(`namespace "${namespace}" must be at least 3 alphanumeric characters`);
    if (typeof value !== 'string') throw new Error('setSharedPluginData: value must be a string');
    let ns = this.sharedData.get(namespace);
    if (!ns) this.sharedData.set(namespace, (ns = new Map()));
    if (value === '') ns.delete(key);
    else ns.set(key, value);
    this.changed();
  }
  getSharedPluginDataKeys(namespace: string): string[] {
    return [...(this.sharedData.get(namespace)?.keys() ?? [])];
  }

  /** Copies this node's own properties and plugin data onto `copy` (duplicates carry plugin data in Figma). */
  copyInto(copy: FakeNode): void {
    copy.transform = clone(this.transform);
    copy.w = this.w;
    copy.h = this.h;
    copy.ownVisible = this.ownVisible;
    copy.ownFills = this.ownFills;
    copy.styleId = this.styleId;
    copy.strokeList = this.strokeList;
    copy.effectList = this.effectList;
    copy.alpha = this.alpha;
    copy.blend = this.blend;
    copy.positioning = this.positioning;
    copy.mode = this.mode;
    copy.strokeWeight = this.strokeWeight;
    copy.strokeAlign = this.strokeAlign;
    copy.clipsContent = this.clipsContent;
    copy.itemSpacing = this.itemSpacing;
    copy.padding = this.padding;
    copy.primaryAxisSizingMode = this.primaryAxisSizingMode;
    copy.counterAxisSizingMode = this.counterAxisSizingMode;
    for (const [k, v] of this.pluginData) copy.pluginData.set(k, v);
    for (const [ns, m] of this.sharedData) copy.sharedData.set(ns, new Map(m));
  }

  /** figma's clone(): a deep copy (plugin data included), parented under the current page. */
  clone(): FakeNode {
    return this.doc.cloneToPage(this);
  }

  /** Forgets this node's own fills and visibility, so it shows its component's (a fresh instance). */
  clearOverrides(): void {
    this.ownFills = undefined;
    this.ownVisible = undefined;
  }

  // ---- export ---------------------------------------------------------------------------------------

  /**
   * Renders the node as the canvas shows it (rotation, flips, strokes, effects, opacity, visible
   * children) into its render bounds — or its bounding box with `useAbsoluteBounds` — at the
   * constraint, and returns PNG bytes.
   */
  async exportAsync(settings?: ExportSettings): Promise<Uint8Array> {
    if (this.removed) throw new Error('The node has been removed');
    if (this.doc.exportDelayMs > 0) await new Promise((r) => setTimeout(r, this.doc.exportDelayMs));
    const s = (settings ?? { format: 'PNG' }) as { format: string; constraint?: { type: string; value: number }; useAbsoluteBounds?: boolean };
    if (s.format !== 'PNG') throw new Error(`this fake exports PNG only, not ${s.format}`);
    const area = s.useAbsoluteBounds ? this.absoluteBoundingBox : this.visible ? this.renderBox(this.absoluteTransform) : null;
    if (!area) throw new Error('Cannot export a hidden node');
    const c = s.constraint ?? { type: 'SCALE', value: 1 };
    if (!(c.value > 0)) throw new Error('export constraint value must be positive');
    const scale = c.type === 'SCALE' ? c.value : c.type === 'WIDTH' ? c.value / area.width : c.type === 'HEIGHT' ? c.value / area.height : NaN;
    if (!Number.isFinite(scale)) throw new Error(`unknown constraint type ${c.type}`);
    const width = Math.max(1, Math.round(area.width * scale));
    const height = Math.max(1, Math.round(area.height * scale));
    const view = compose([[scale, 0, 0], [0, scale, 0]], translation(-area.x, -area.y));
    const ops: DrawOp[] = [];
    this.draw(ops, compose(view, this.absoluteTransform), 1, null, true);
    return this.doc.rasterize({ width, height, ops });
  }

  private draw(ops: DrawOp[], m: Transform, alpha: number, clip: Rect | null, root: boolean): void {
    if (!root && !this.visible) return;
    const a = alpha * this.alpha;
    const box = { width: this.w, height: this.h };
    const at = (t: Transform): DrawOp['matrix'] => [t[0][0], t[1][0], t[0][1], t[1][1], t[0][2], t[1][2]];
    for (const e of this.effectList) {
      if (e.visible === false || e.type !== 'DROP_SHADOW') continue;
      ops.push({ kind: 'rect', matrix: at(compose(m, translation(e.offset.x, e.offset.y))), ...box, color: { ...e.color, a: e.color.a * a }, clip });
    }
    const fills = 'fills' in this && typeof this.fills !== 'symbol' ? (this.fills as readonly Paint[]) : [];
    for (const p of fills) {
      if (p.visible === false) continue;
      const o = (p.opacity ?? 1) * a;
      if (p.type === 'SOLID') ops.push({ kind: 'rect', matrix: at(m), ...box, color: { ...p.color, a: o }, clip });
      else if (p.type === 'IMAGE' && p.imageHash) ops.push({ kind: 'image', matrix: at(m), ...box, bytes: this.doc.imageBytes(p.imageHash), opacity: o, clip });
      else if (p.type.startsWith('GRADIENT') && 'gradientStops' in p && p.gradientStops.length) {
        ops.push({ kind: 'rect', matrix: at(m), ...box, color: { ...p.gradientStops[0].color, a: p.gradientStops[0].color.a * o }, clip });
      }
    }
    const inner = this.clipsContent ? boundsOf(m, { x: 0, y: 0, ...box }) : null;
    const childClip = inner && clip ? intersect(inner, clip) : (inner ?? clip);
    // a boolean operation draws its own fills over its shape; its children are only the shape
    if (this.type !== 'BOOLEAN_OPERATION') for (const c of this.children ?? []) c.draw(ops, compose(m, this.localOf(c)), a, childClip, false);
    for (const p of this.strokeList) {
      if (p.visible === false || p.type !== 'SOLID') continue;
      const inset = this.strokeAlign === 'INSIDE' ? this.strokeWeight / 2 : this.strokeAlign === 'OUTSIDE' ? -this.strokeWeight / 2 : 0;
      ops.push({
        kind: 'stroke',
        matrix: at(compose(m, translation(inset, inset))),
        width: this.w - 2 * inset,
        height: this.h - 2 * inset,
        lineWidth: this.strokeWeight,
        color: { ...p.color, a: (p.opacity ?? 1) * a },
        clip,
      });
    }
  }
}

function intersect(a: Rect, b: Rect): Rect {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  return { x, y, width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - x), height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - y) };
}
