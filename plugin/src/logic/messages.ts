/**
 * The typed message protocol between the plugin's main thread (`main.ts`, Figma sandbox) and its
 * UI (iframe): one symmetric `emit`/`on` used by both sides, create-figma-plugin style.
 */
import type { Provenance } from './provenance.js';
import type { Settings } from './settings.js';

/** A selected layer as the UI sees it. */
export interface LayerInfo {
  id: string;
  name: string;
  type: string;
  width: number;
  height: number;
  /** Has a visible IMAGE fill: it can be marked as "the style". */
  hasImageFill: boolean;
  /** Atelier put a stylized layer above it and hid it (Revert removes that layer and shows it). */
  stylized: boolean;
  /** It has a result layer (the before/after toggle applies; a replaced fill has none). */
  hasResultLayer: boolean;
  /** Its original is shown instead of its result layer (the before/after toggle). */
  showingOriginal: boolean;
  provenance: Provenance | null;
}

/** A selected layer that will not be stylized, and why. */
export interface SkippedLayer {
  id: string;
  name: string;
  type: string;
  reason: string;
}

/** The current selection, split into targets, skipped layers and the layer marked as the style. */
export interface SelectionSummary {
  targets: LayerInfo[];
  skipped: SkippedLayer[];
  styleLayer: LayerInfo | null;
}

/** A layer to export and the longer side, in pixels, its PNG should have. */
export interface ExportRequest {
  nodeId: string;
  size: number;
}

/** One exported layer: PNG bytes at the planned scale. */
export interface ExportedLayer {
  nodeId: string;
  name: string;
  png: Uint8Array;
  width: number;
  height: number;
  /** Exported clean, for its fill to be replaced (else as drawn, for a new layer). */
  replaceFill: boolean;
}

/** A request/response outcome for one layer that did not work. */
export interface LayerFailure {
  nodeId: string;
  name: string;
  reason: string;
}

/** Messages the main thread sends to the UI. */
export interface MainToUi {
  init: { settings: Settings; selection: SelectionSummary };
  selection: SelectionSummary;
  exported: { requestId: string; contents: ExportedLayer[]; style: ExportedLayer | null; failed: LayerFailure[] };
  applied: { requestId: string; applied: { nodeId: string; name: string }[]; failed: LayerFailure[] };
  reverted: { requestId: string; reverted: { nodeId: string; name: string }[]; failed: LayerFailure[] };
  /** A request failed as a whole. */
  requestFailed: { requestId: string; message: string };
}

/** Messages the UI sends to the main thread. */
export interface UiToMain {
  ready: Record<string, never>;
  saveSettings: Partial<Settings>;
  markStyleLayer: { nodeId: string | null };
  /** `replaceFill`: the designer chose "replace the fill" (applied where safe; other layers get a new layer). */
  exportLayers: { requestId: string; layers: ExportRequest[]; style: ExportRequest | null; replaceFill?: boolean };
  apply: { requestId: string; items: { nodeId: string; png: Uint8Array; replaceFill?: boolean }[]; provenance: Omit<Provenance, 'appliedAt'> };
  revert: { requestId: string; nodeIds: string[] };
  /** Before/after: shows the originals instead of their result layers, or back. */
  showOriginal: { nodeIds: string[]; show: boolean };
  notify: { message: string; error?: boolean };
  /** A companion job is running: main cancels it (DELETE `cancelUrl`) if the plugin closes. */
  jobStarted: { cancelUrl: string; token: string };
  /** The job ended (or was canceled): nothing to cancel on close. */
  jobEnded: Record<string, never>;
}

/** What travels through postMessage. */
export interface Envelope {
  atelier: 1;
  type: string;
  payload: unknown;
}

/** One side of the channel: sends `Out` messages, receives `In` messages. */
export interface Channel<Out, In> {
  /** Sends a message to the other side. */
  emit<K extends keyof Out & string>(type: K, payload: Out[K]): void;
  /** Subscribes to a message type; returns the unsubscribe function. */
  on<K extends keyof In & string>(type: K, handler: (payload: In[K]) => void): () => void;
  /** Feeds a raw incoming message (ignored unless it is an Atelier envelope). */
  dispatch(raw: unknown): void;
}

/** True when `raw` is an Atelier envelope. */
export function isEnvelope(raw: unknown): raw is Envelope {
  return typeof raw === 'object' && raw !== null && (raw as Envelope).atelier === 1 && typeof (raw as Envelope).type === 'string';
}

/** Creates one side of the channel over a `post` function (figma.ui.postMessage or parent.postMessage). */
export function createChannel<Out, In>(post: (message: Envelope) => void): Channel<Out, In> {
  const handlers = new Map<string, Set<(payload: unknown) => void>>();
  return {
    emit(type, payload) {
      post({ atelier: 1, type, payload });
    },
    on(type, handler) {
      let set = handlers.get(type);
      if (!set) handlers.set(type, (set = new Set()));
      const h = handler as (payload: unknown) => void;
      set.add(h);
      return () => set.delete(h);
    },
    dispatch(raw) {
      if (!isEnvelope(raw)) return;
      for (const h of [...(handlers.get(raw.type) ?? [])]) h(raw.payload);
    },
  };
}

/** The main thread's side. */
export type MainChannel = Channel<MainToUi, UiToMain>;
/** The UI's side. */
export type UiChannel = Channel<UiToMain, MainToUi>;
