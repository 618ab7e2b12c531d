/**
 * A small, faithful fake of the Figma plugin API (the parts Atelier uses), to run the real plugin
 * code outside Figma: in unit tests (Node) and in the browser harness. Typed against
 * @figma/plugin-typings; behaviour follows the documentation (frozen fills, IMAGE paints referencing
 * images by hash, createImage rejecting non-images and images over 4096 px, exportAsync with SCALE /
 * WIDTH / HEIGHT constraints rendering what the canvas shows, structured-cloned messages,
 * asynchronous selectionchange, namespaced shared plugin data, commitUndo). The node rules
 * (transforms, auto-layout, components, styles, duplicates) live in fakeNode.ts.
 */
import type { Image as FigmaImage, NotificationHandler, NotificationOptions, Paint, PluginAPI, ShowUIOptions, Effect } from '@figma/plugin-typings/plugin-api-standalone.js';
import { compose, type Transform } from '../src/logic/geometry.js';
import { FakeNode, GROUPING, rotationTransform, type LayoutMode, type NodeDocument, type SizingMode } from './fakeNode.js';
import type { Rasterizer } from './rendering.js';

export { FakeNode } from './fakeNode.js';
export type { DrawOp, Rasterizer, RenderPlan } from './rendering.js';

type PaintSpec = Paint | { type: 'IMAGE'; bytes: Uint8Array; scaleMode?: 'FILL' | 'FIT' | 'CROP' | 'TILE' };

/** A node to create: a paint may be given as `{ type: 'IMAGE', bytes }` for convenience. */
export interface NodeSpec {
  type: string;
  name: string;
  x?: number;
  y?: number;
  width: number;
  height: number;
  /** Degrees, counter-clockwise (Figma's `rotation`), about the top-left corner. */
  rotation?: number;
  /** Mirrored horizontally (a negative-determinant relativeTransform). */
  flipX?: boolean;
  visible?: boolean;
  fills?: PaintSpec[];
  /** A paint style id from `addPaintStyle`: the fills are linked to it. */
  fillStyleId?: string;
  strokes?: Paint[];
  strokeWeight?: number;
  strokeAlign?: 'INSIDE' | 'OUTSIDE' | 'CENTER';
  effects?: Effect[];
  opacity?: number;
  blendMode?: string;
  clipsContent?: boolean;
  layoutMode?: LayoutMode;
  itemSpacing?: number;
  padding?: number;
  /** Auto-layout sizing: 'AUTO' = hug contents (default), 'FIXED'. */
  primaryAxisSizingMode?: SizingMode;
  counterAxisSizingMode?: SizingMode;
  children?: NodeSpec[];
}

const PAINT_TYPES = new Set(['SOLID', 'GRADIENT_LINEAR', 'GRADIENT_RADIAL', 'GRADIENT_ANGULAR', 'GRADIENT_DIAMOND', 'IMAGE', 'VIDEO', 'PATTERN']);

const clone = <T>(v: T): T => structuredClone(v);

/** Width and height from a PNG IHDR, or null for other formats. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | null {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || !sig.every((b, i) => bytes[i] === b)) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

function imageKind(bytes: Uint8Array): 'png' | 'jpeg' | 'gif' | null {
  if (pngSize(bytes)) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) return 'gif';
  return null;
}

/** A content hash of 40 hex digits (Figma's image hashes are SHA-1 hex; this is a stand-in). */
function contentHash(bytes: Uint8Array): string {
  let out = '';
  for (let seed = 0; seed < 5; seed++) {
    let h = (0x811c9dc5 ^ (seed * 0x9e3779b1)) >>> 0;
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}

/** Options of the fake. */
export interface FakeFigmaOptions {
  rasterize: Rasterizer;
  /** Initial clientStorage contents (e.g. restored from localStorage by the harness). */
  storage?: Record<string, unknown>;
  /** Called after every clientStorage change with the whole storage. */
  onStorageChange?: (storage: Record<string, unknown>) => void;
}

/** A notification shown with figma.notify. */
export interface FakeNotification {
  message: string;
  error: boolean;
}

type MessageHandler = (message: unknown, props: { origin: string }) => void;

/** The fake itself; `api` is what the plugin code receives as `figma`. */
export class FakeFigma implements NodeDocument {
  readonly mixed: symbol = Symbol('figma.mixed');
  readonly notifications: FakeNotification[] = [];
  /** The current page (a node: top-level layers have it as their parent, as in Figma). */
  readonly page: FakeNode & { selection: FakeNode[] };
  readonly storage = new Map<string, unknown>();
  /** Messages the plugin posted to its UI (structured clones). */
  readonly toUi: unknown[] = [];
  ui: { html: string; options: ShowUIOptions | undefined } | null = null;
  closed = false;
  /** Called when the plugin posts a message to the UI (the harness forwards it into the iframe). */
  onUiMessage: (message: unknown) => void = () => undefined;
  /** Called when the plugin shows its UI. */
  onShowUI: (html: string, options: ShowUIOptions | undefined) => void = () => undefined;
  /** Milliseconds every exportAsync takes (a slow export, to cancel during it). */
  exportDelayMs = 0;
  /** Called for each figma.notify. */
  onNotify: (n: FakeNotification) => void = () => undefined;

  private nextId = 1;
  private selection: FakeNode[] = [];
  private readonly nodes = new Map<string, FakeNode>();
  private readonly images = new Map<string, Uint8Array>();
  private readonly styles = new Map<string, Paint[]>();
  private readonly events = new Map<string, Set<(...args: unknown[]) => void>>();
  private uiHandlers = new Set<MessageHandler>();
  private uiOnmessage: MessageHandler | undefined;
  readonly rasterize: Rasterizer;

  constructor(private readonly opts: FakeFigmaOptions) {
    this.rasterize = opts.rasterize;
    for (const [k, v] of Object.entries(opts.storage ?? {})) this.storage.set(k, clone(v));
    const page = new FakeNode(this, '0:1', 'PAGE', 'Page 1', 0, 0) as FakeFigma['page'];
    Object.defineProperty(page, 'selection', {
      enumerable: true,
      get: () => Object.freeze([...this.selection]) as FakeNode[],
      set: (nodes: FakeNode[]) => {
        for (const n of nodes) if (!this.nodes.has(n.id) || n.removed) throw new Error(`node ${n.id} is not on this page`);
        this.selection = [...nodes];
        queueMicrotask(() => this.emit('selectionchange'));
      },
    });
    this.page = page;
  }

  /** Adds a node (and its children) to the page or a parent; returns it. */
  addNode(spec: NodeSpec, parent?: FakeNode, groupOrigin?: Transform): FakeNode {
    const n = this.newNode(spec.type, spec.name, spec.width, spec.height);
    const own = rotationTransform(spec.x ?? 0, spec.y ?? 0, spec.rotation ?? 0, spec.flipX);
    // a group's children are given relative to the group, as drawn; Figma keeps them in the enclosing frame's space
    n.relativeTransform = groupOrigin ? compose(groupOrigin, own) : own;
    if (spec.visible === false) n.visible = false;
    if (spec.fills && 'fills' in n) {
      n.fills = spec.fills.map((p) => ('bytes' in p ? { type: 'IMAGE', scaleMode: p.scaleMode ?? 'FILL', imageHash: this.createImage(p.bytes).hash } : p)) as Paint[];
    }
    if (spec.fillStyleId) void n.setFillStyleIdAsync(spec.fillStyleId);
    if (spec.strokes) n.strokes = spec.strokes;
    if (spec.strokeWeight !== undefined) n.strokeWeight = spec.strokeWeight;
    if (spec.strokeAlign) n.strokeAlign = spec.strokeAlign;
    if (spec.effects) n.effects = spec.effects;
    if (spec.opacity !== undefined) n.opacity = spec.opacity;
    if (spec.blendMode) n.blendMode = spec.blendMode;
    if (spec.clipsContent !== undefined) n.clipsContent = spec.clipsContent;
    if (spec.itemSpacing !== undefined) n.itemSpacing = spec.itemSpacing;
    if (spec.padding !== undefined) n.padding = spec.padding;
    if (spec.primaryAxisSizingMode) n.primaryAxisSizingMode = spec.primaryAxisSizingMode;
    if (spec.counterAxisSizingMode) n.counterAxisSizingMode = spec.counterAxisSizingMode;
    (parent ?? this.page).appendChild(n);
    const origin = GROUPING.has(spec.type) ? (groupOrigin ? compose(groupOrigin, own) : own) : undefined;
    for (const c of spec.children ?? []) this.addNode(c, n, origin);
    if (spec.layoutMode) n.layoutMode = spec.layoutMode;
    return n;
  }

  private newNode(type: string, name: string, width: number, height: number): FakeNode {
    const n = new FakeNode(this, `1:${this.nextId++}`, type, name, width, height);
    this.nodes.set(n.id, n);
    return n;
  }

  /** An INSTANCE of a main component, placed on the page: it mirrors the component (fills, visibility, children) until overridden. */
  createInstance(component: FakeNode, at: { x: number; y: number }, name = component.name): FakeNode {
    if (component.type !== 'COMPONENT') throw new Error('createInstance: not a main component');
    const inst = this.mirrorOf(component, 'INSTANCE');
    inst.name = name;
    inst.relativeTransform = rotationTransform(at.x, at.y, 0);
    this.page.appendChild(inst);
    return inst;
  }

  /** Adds a mirror of the component node `source` under the instance node `into` (a component gained a child). */
  mirrorInto(into: FakeNode, source: FakeNode): void {
    const m = this.mirrorOf(source, source.type);
    m.parent = into;
    into.children.push(m);
    into.relayout();
  }

  private mirrorOf(source: FakeNode, type: string): FakeNode {
    const m = this.newNode(type, source.name, source.width, source.height);
    source.copyInto(m);
    m.clearOverrides();
    for (const k of m.getPluginDataKeys()) m.setPluginData(k, '');
    m.source = source;
    source.mirrors.add(m);
    for (const c of source.children ?? []) {
      const mc = this.mirrorOf(c, c.type);
      mc.parent = m;
      m.children.push(mc);
    }
    return m;
  }

  /** A designer's Duplicate (⌘D): a deep copy, plugin data included, placed right after the original. */
  duplicate(node: FakeNode): FakeNode {
    const copy = this.copyTree(node);
    const siblings = node.parent!.children;
    siblings.splice(siblings.indexOf(node) + 1, 0, copy);
    copy.parent = node.parent;
    node.parent?.relayout();
    this.recordChange();
    return copy;
  }

  /** The API's node.clone(): a deep copy appended to the current page (Figma's documented default parent). */
  cloneToPage(node: FakeNode): FakeNode {
    const copy = this.copyTree(node);
    this.page.appendChild(copy);
    return copy;
  }

  private copyTree(node: FakeNode): FakeNode {
    const copy = this.newNode(node.type, node.name, node.width, node.height);
    node.copyInto(copy);
    for (const c of node.children ?? []) {
      const cc = this.copyTree(c);
      cc.parent = copy;
      copy.children.push(cc);
    }
    return copy;
  }

  /** Creates a local paint style; returns its id (use it as `fillStyleId` in a NodeSpec). */
  addPaintStyle(name: string, paints: Paint[]): string {
    const id = `S:${name.replace(/\W+/g, '-').toLowerCase()},${this.nextId++}`;
    this.styles.set(id, this.validatePaints(paints, 'paints'));
    return id;
  }

  /** The paints of a paint style (throws for an unknown id, as Figma does). */
  paintStyle(id: string): Paint[] {
    const p = this.styles.get(id);
    if (!p) throw new Error(`Invalid style id ${id}`);
    return clone(p);
  }

  /** Document changes since the last commitUndo (each becomes part of the next undo step). */
  uncommitted = 0;
  /** Undo steps committed with figma.commitUndo(): the number of changes in each. */
  readonly undoSteps: number[] = [];
  /** Counts a document change. */
  recordChange(): void {
    this.uncommitted++;
  }

  /** Selects nodes as a designer would (fires selectionchange). */
  select(...nodes: FakeNode[]): void {
    this.page.selection = nodes;
  }

  /** Bytes of a stored image (throws for an unknown hash). */
  imageBytes(hash: string): Uint8Array {
    const b = this.images.get(hash);
    if (!b) throw new Error(`no image with hash ${hash}`);
    return b;
  }

  /** Node by id, synchronously (for tests and the harness). */
  node(id: string): FakeNode | undefined {
    return this.nodes.get(id);
  }

  /** Validates paints the way Figma does for the parts Atelier uses; returns a fresh copy. */
  validatePaints(value: unknown, field = 'fills'): Paint[] {
    if (!Array.isArray(value)) throw new Error(`${field} must be an array of paints`);
    return value.map((p, i) => {
      if (!p || typeof p !== 'object' || !PAINT_TYPES.has((p as Paint).type)) throw new Error(`${field}[${i}]: invalid paint type`);
      const paint = clone(p) as Paint;
      if (paint.type === 'IMAGE') {
        if (!['FILL', 'FIT', 'CROP', 'TILE'].includes(paint.scaleMode)) throw new Error(`${field}[${i}]: invalid scaleMode`);
        if (paint.imageHash !== null && !this.images.has(paint.imageHash)) throw new Error(`${field}[${i}]: image ${paint.imageHash} does not exist`);
      }
      if (paint.type === 'SOLID' && (typeof paint.color?.r !== 'number' || typeof paint.color.g !== 'number' || typeof paint.color.b !== 'number')) {
        throw new Error(`${field}[${i}]: SOLID paint needs color {r,g,b}`);
      }
      if (paint.opacity !== undefined && !(paint.opacity >= 0 && paint.opacity <= 1)) throw new Error(`${field}[${i}]: opacity must be in 0..1`);
      return paint;
    });
  }

  /** figma.createImage: stores PNG/JPEG/GIF bytes (≤ 4096 px a side) under their hash. */
  createImage(data: Uint8Array): FigmaImage {
    if (!(data instanceof Uint8Array)) throw new Error('createImage expects a Uint8Array');
    const kind = imageKind(data);
    if (!kind) throw new Error('Image type is unsupported');
    const size = pngSize(data);
    if (size && (size.width > 4096 || size.height > 4096)) throw new Error(`Image is too large (${size.width}×${size.height}); the limit is 4096×4096`);
    const hash = contentHash(data);
    if (!this.images.has(hash)) this.images.set(hash, data.slice());
    return this.imageObject(hash);
  }

  private imageObject(hash: string): FigmaImage {
    const bytes = this.images.get(hash)!;
    return {
      hash,
      getBytesAsync: async () => bytes.slice(),
      getSizeAsync: async () => pngSize(bytes) ?? { width: 0, height: 0 },
    } as FigmaImage;
  }

  /** What the UI sends with parent.postMessage({pluginMessage}) arrives here. */
  deliverFromUi(pluginMessage: unknown): void {
    const message = clone(pluginMessage);
    const props = { origin: 'null' };
    this.uiOnmessage?.(message, props);
    for (const h of [...this.uiHandlers]) h(message, props);
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const h of [...(this.events.get(event) ?? [])]) h(...args);
  }

  private saveStorage(): void {
    this.opts.onStorageChange?.(Object.fromEntries([...this.storage].map(([k, v]) => [k, clone(v)])));
  }

  /** The `figma` object handed to plugin code. */
  get api(): PluginAPI {
    const api = {
      apiVersion: '1.0.0',
      editorType: 'figma',
      mode: 'default',
      mixed: this.mixed,
      currentPage: this.page,
      getNodeByIdAsync: async (id: string) => {
        const n = this.nodes.get(id);
        return n && !n.removed ? n : null;
      },
      getNodeById: () => {
        throw new Error('Cannot call getNodeById with documentAccess: dynamic-page. Use figma.getNodeByIdAsync instead.');
      },
      createImage: (data: Uint8Array) => this.createImage(data),
      createRectangle: () => {
        const n = this.newNode('RECTANGLE', 'Rectangle', 100, 100);
        n.fills = [{ type: 'SOLID', color: { r: 0.85, g: 0.85, b: 0.85 } }];
        this.page.appendChild(n);
        return n;
      },
      commitUndo: () => {
        this.undoSteps.push(this.uncommitted);
        this.uncommitted = 0;
      },
      getImageByHash: (hash: string) => (this.images.has(hash) ? this.imageObject(hash) : null),
      notify: (message: string, options?: NotificationOptions): NotificationHandler => {
        const n = { message: String(message), error: Boolean(options?.error) };
        this.notifications.push(n);
        this.onNotify(n);
        return { cancel: () => undefined };
      },
      clientStorage: {
        getAsync: async (key: string) => (this.storage.has(key) ? clone(this.storage.get(key)) : undefined),
        setAsync: async (key: string, value: unknown) => {
          this.storage.set(key, clone(value));
          this.saveStorage();
        },
        deleteAsync: async (key: string) => {
          this.storage.delete(key);
          this.saveStorage();
        },
        keysAsync: async () => [...this.storage.keys()],
      },
      showUI: (html: string, options?: ShowUIOptions) => {
        this.ui = { html, options };
        this.onShowUI(html, options);
      },
      ui: {
        postMessage: (message: unknown) => {
          const copy = clone(message);
          this.toUi.push(copy);
          this.onUiMessage(copy);
        },
        on: (type: string, h: MessageHandler) => {
          if (type === 'message') this.uiHandlers.add(h);
        },
        off: (type: string, h: MessageHandler) => {
          if (type === 'message') this.uiHandlers.delete(h);
        },
        show: () => undefined,
        hide: () => undefined,
        resize: () => undefined,
        close: () => undefined,
      },
      on: (event: string, h: (...args: unknown[]) => void) => {
        let set = this.events.get(event);
        if (!set) this.events.set(event, (set = new Set()));
        set.add(h);
      },
      off: (event: string, h: (...args: unknown[]) => void) => {
        this.events.get(event)?.delete(h);
      },
      closePlugin: () => {
        this.closed = true;
        this.emit('close');
      },
    };
    Object.defineProperty(api.ui, 'onmessage', {
      enumerable: true,
      get: () => this.uiOnmessage,
      set: (h: MessageHandler | undefined) => {
        this.uiOnmessage = h;
      },
    });
    return api as unknown as PluginAPI;
  }
}
