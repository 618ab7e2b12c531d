/**
 * A small, faithful fake of the Figma plugin API (the parts Atelier uses), to run the real plugin
 * code outside Figma: in unit tests (Node) and in the browser harness. Typed against
 * @figma/plugin-typings; behaviour follows the documentation (frozen fills, IMAGE paints referencing
 * images by hash, createImage rejecting non-images and images over 4096 px, exportAsync with SCALE /
 * WIDTH / HEIGHT constraints, structured-cloned messages, asynchronous selectionchange, namespaced
 * shared plugin data).
 */
import type { ExportSettings, Image as FigmaImage, NotificationHandler, NotificationOptions, Paint, PluginAPI, ShowUIOptions } from '@figma/plugin-typings/plugin-api-standalone.js';

/** Something to draw, in output pixels. */
export type DrawOp =
  | { kind: 'rect'; x: number; y: number; width: number; height: number; color: { r: number; g: number; b: number; a: number } }
  | { kind: 'image'; x: number; y: number; width: number; height: number; bytes: Uint8Array; opacity: number };

/** What exportAsync asks the rasterizer to produce. */
export interface RenderPlan {
  width: number;
  height: number;
  ops: DrawOp[];
}

/** Turns a render plan into real PNG bytes (canvas in the browser, sharp in Node). */
export type Rasterizer = (plan: RenderPlan) => Promise<Uint8Array>;

/** A node to create: a paint may be given as `{ type: 'IMAGE', bytes }` for convenience. */
export interface NodeSpec {
  type: string;
  name: string;
  x?: number;
  y?: number;
  width: number;
  height: number;
  visible?: boolean;
  fills?: Array<Paint | { type: 'IMAGE'; bytes: Uint8Array; scaleMode?: 'FILL' | 'FIT' | 'CROP' | 'TILE' }>;
  children?: NodeSpec[];
}

const NO_FILLS = new Set(['GROUP', 'SLICE', 'SECTION_NO_FILLS']);
const CONTAINERS = new Set(['FRAME', 'GROUP', 'COMPONENT', 'COMPONENT_SET', 'INSTANCE', 'BOOLEAN_OPERATION', 'SECTION']);
const PAINT_TYPES = new Set(['SOLID', 'GRADIENT_LINEAR', 'GRADIENT_RADIAL', 'GRADIENT_ANGULAR', 'GRADIENT_DIAMOND', 'IMAGE', 'VIDEO', 'PATTERN']);
const NAMESPACE = /^[A-Za-z0-9_.]{3,}$/;

const deepFreeze = <T>(v: T): T => {
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
};
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

/** A fake scene node. Only types that have fills get a `fills` property; only containers get `children`. */
export class FakeNode {
  parent: FakeNode | null = null;
  private readonly pluginData = new Map<string, string>();
  private readonly sharedData = new Map<string, Map<string, string>>();
  removed = false;
  declare children: FakeNode[];
  declare fills: readonly Paint[] | symbol;

  constructor(
    private readonly doc: FakeFigma,
    readonly id: string,
    readonly type: string,
    public name: string,
    public x: number,
    public y: number,
    public width: number,
    public height: number,
    public visible: boolean,
  ) {
    if (CONTAINERS.has(type)) this.children = [];
    if (!NO_FILLS.has(type)) {
      let fills: readonly Paint[] | symbol = deepFreeze([] as Paint[]);
      Object.defineProperty(this, 'fills', {
        enumerable: true,
        get: () => (typeof fills === 'symbol' ? fills : deepFreeze(clone(fills as Paint[]))),
        set: (value: unknown) => {
          if (value === doc.mixed && type === 'TEXT') {
            fills = value as symbol;
            return;
          }
          fills = deepFreeze(doc.validatePaints(value));
        },
      });
    }
  }

  /** Private plugin data (per plugin; this fake hosts one plugin). */
  getPluginData(key: string): string {
    return this.pluginData.get(key) ?? '';
  }
  setPluginData(key: string, value: string): void {
    if (typeof value !== 'string') throw new Error('setPluginData: value must be a string');
    if (value === '') this.pluginData.delete(key);
    else this.pluginData.set(key, value);
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
  }
  getSharedPluginDataKeys(namespace: string): string[] {
    return [...(this.sharedData.get(namespace)?.keys() ?? [])];
  }

  /** Renders the node (its fills, then visible children) at the constraint and returns PNG bytes. */
  async exportAsync(settings?: ExportSettings): Promise<Uint8Array> {
    if (this.removed) throw new Error('The node has been removed');
    const s = (settings ?? { format: 'PNG' }) as { format: string; constraint?: { type: string; value: number } };
    if (s.format !== 'PNG') throw new Error(`this fake exports PNG only, not ${s.format}`);
    const c = s.constraint ?? { type: 'SCALE', value: 1 };
    if (!(c.value > 0)) throw new Error('export constraint value must be positive');
    const scale = c.type === 'SCALE' ? c.value : c.type === 'WIDTH' ? c.value / this.width : c.type === 'HEIGHT' ? c.value / this.height : NaN;
    if (!Number.isFinite(scale)) throw new Error(`unknown constraint type ${c.type}`);
    const width = Math.max(1, Math.round(this.width * scale));
    const height = Math.max(1, Math.round(this.height * scale));
    const ops: DrawOp[] = [];
    this.draw(ops, 0, 0, scale, true);
    return this.doc.rasterize({ width, height, ops });
  }

  private draw(ops: DrawOp[], ox: number, oy: number, scale: number, root: boolean): void {
    if (!root && !this.visible) return;
    const rect = { x: ox, y: oy, width: this.width * scale, height: this.height * scale };
    const fills = 'fills' in this && typeof this.fills !== 'symbol' ? (this.fills as readonly Paint[]) : [];
    for (const p of fills) {
      if (p.visible === false) continue;
      const opacity = p.opacity ?? 1;
      if (p.type === 'SOLID') ops.push({ kind: 'rect', ...rect, color: { ...p.color, a: opacity } });
      else if (p.type === 'IMAGE' && p.imageHash) ops.push({ kind: 'image', ...rect, bytes: this.doc.imageBytes(p.imageHash), opacity });
      else if (p.type.startsWith('GRADIENT') && 'gradientStops' in p && p.gradientStops.length) ops.push({ kind: 'rect', ...rect, color: { ...p.gradientStops[0].color, a: p.gradientStops[0].color.a * opacity } });
    }
    for (const c of this.children ?? []) c.draw(ops, ox + c.x * scale, oy + c.y * scale, scale, false);
  }
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
export class FakeFigma {
  readonly mixed: symbol = Symbol('figma.mixed');
  readonly notifications: FakeNotification[] = [];
  readonly page: { type: 'PAGE'; id: string; name: string; children: FakeNode[]; selection: FakeNode[] };
  readonly storage = new Map<string, unknown>();
  /** Messages the plugin posted to its UI (structured clones). */
  readonly toUi: unknown[] = [];
  ui: { html: string; options: ShowUIOptions | undefined } | null = null;
  closed = false;
  /** Called when the plugin posts a message to the UI (the harness forwards it into the iframe). */
  onUiMessage: (message: unknown) => void = () => undefined;
  /** Called when the plugin shows its UI. */
  onShowUI: (html: string, options: ShowUIOptions | undefined) => void = () => undefined;
  /** Called for each figma.notify. */
  onNotify: (n: FakeNotification) => void = () => undefined;

  private nextId = 1;
  private selection: FakeNode[] = [];
  private readonly nodes = new Map<string, FakeNode>();
  private readonly images = new Map<string, Uint8Array>();
  private readonly events = new Map<string, Set<(...args: unknown[]) => void>>();
  private uiHandlers = new Set<MessageHandler>();
  private uiOnmessage: MessageHandler | undefined;
  readonly rasterize: Rasterizer;

  constructor(private readonly opts: FakeFigmaOptions) {
    this.rasterize = opts.rasterize;
    for (const [k, v] of Object.entries(opts.storage ?? {})) this.storage.set(k, clone(v));
    const page = { type: 'PAGE' as const, id: '0:1', name: 'Page 1', children: [] as FakeNode[] } as FakeFigma['page'];
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
  addNode(spec: NodeSpec, parent?: FakeNode): FakeNode {
    const id = `1:${this.nextId++}`;
    const n = new FakeNode(this, id, spec.type, spec.name, spec.x ?? 0, spec.y ?? 0, spec.width, spec.height, spec.visible ?? true);
    this.nodes.set(id, n);
    if (spec.fills && 'fills' in n) {
      n.fills = spec.fills.map((p) => ('bytes' in p ? { type: 'IMAGE', scaleMode: p.scaleMode ?? 'FILL', imageHash: this.createImage(p.bytes).hash } : p)) as Paint[];
    }
    if (parent) {
      if (!parent.children) throw new Error(`${parent.type} cannot have children`);
      n.parent = parent;
      parent.children.push(n);
    } else this.page.children.push(n);
    for (const c of spec.children ?? []) this.addNode(c, n);
    return n;
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
  validatePaints(value: unknown): Paint[] {
    if (!Array.isArray(value)) throw new Error('fills must be an array of paints');
    return value.map((p, i) => {
      if (!p || typeof p !== 'object' || !PAINT_TYPES.has((p as Paint).type)) throw new Error(`fills[${i}]: invalid paint type`);
      const paint = clone(p) as Paint;
      if (paint.type === 'IMAGE') {
        if (!['FILL', 'FIT', 'CROP', 'TILE'].includes(paint.scaleMode)) throw new Error(`fills[${i}]: invalid scaleMode`);
        if (paint.imageHash !== null && !this.images.has(paint.imageHash)) throw new Error(`fills[${i}]: image ${paint.imageHash} does not exist`);
      }
      if (paint.type === 'SOLID' && (typeof paint.color?.r !== 'number' || typeof paint.color.g !== 'number' || typeof paint.color.b !== 'number')) {
        throw new Error(`fills[${i}]: SOLID paint needs color {r,g,b}`);
      }
      if (paint.opacity !== undefined && !(paint.opacity >= 0 && paint.opacity <= 1)) throw new Error(`fills[${i}]: opacity must be in 0..1`);
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
