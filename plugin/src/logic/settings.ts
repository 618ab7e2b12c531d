/**
 * Per-user settings kept in `figma.clientStorage`: the companion connection and the panel's
 * controls. Stored values may be from an older version or hand-edited, so they are sanitised.
 */
import { DEFAULT_COMPANION_URL } from '../../../shared/defaults.js';
import { DEFAULT_CONTROLS, QUALITY_PRESETS, type Controls, type Quality } from './quality.js';

/** clientStorage key of the connection. */
export const CONNECTION_KEY = 'atelier.connection';
/** clientStorage key of the controls. */
export const CONTROLS_KEY = 'atelier.controls';
/** clientStorage key of the style source (and the style file, when small enough to keep). */
export const STYLE_KEY = 'atelier.style';

/** A style file is remembered between sessions up to this size (clientStorage holds 5 MB per plugin). */
export const MAX_REMEMBERED_STYLE_BYTES = 1_500_000;

/** The style source as remembered: the tab, and the file picked there (base64, JSON-safe). */
export interface StoredStyle {
  mode: 'preset' | 'layer' | 'file';
  file: { name: string; type: string; base64: string } | null;
}

/** Nothing remembered yet: the File tab, no file. */
export const DEFAULT_STYLE: StoredStyle = { mode: 'file', file: null };

/** Where the companion is and the pairing token it printed. */
export interface Connection {
  url: string;
  token: string;
}

/** Default connection: the local companion, no token yet. */
export const DEFAULT_CONNECTION: Connection = { url: DEFAULT_COMPANION_URL, token: '' };

/** Everything remembered per user. */
export interface Settings {
  connection: Connection;
  controls: Controls;
  style: StoredStyle;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown, lo: number, hi: number): number | null =>
  typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi ? v : null;
const int = (v: unknown, lo: number, hi: number): number | null => {
  const n = num(v, lo, hi);
  return n !== null && Number.isInteger(n) ? n : null;
};

/** Normalises a companion URL: trims, drops trailing slashes; `null` when not an http(s) URL. */
export function normalizeCompanionUrl(text: string): string | null {
  const t = text.trim().replace(/\/+$/, '');
  try {
    const u = new URL(t);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return null;
  }
}

/** A valid Connection from whatever was stored. */
export function sanitizeConnection(v: unknown): Connection {
  if (!isObj(v)) return { ...DEFAULT_CONNECTION };
  const stored = typeof v.url === 'string' ? normalizeCompanionUrl(v.url) : null;
  // older versions stored the loopback IP, which the manifest no longer allows: same companion, by name
  const url = stored?.replace(/^http:\/\/(127\.0\.0\.1|\[::1\])(?=[:/]|$)/, 'http://localhost') ?? null;
  const token = typeof v.token === 'string' ? v.token.trim().slice(0, 512) : '';
  return { url: url ?? DEFAULT_CONNECTION.url, token };
}

/** Valid Controls from whatever was stored (unknown or out-of-range fields fall back to defaults). */
export function sanitizeControls(v: unknown): Controls {
  const d = DEFAULT_CONTROLS;
  if (!isObj(v)) return structuredCloneControls(d);
  const a = isObj(v.advanced) ? v.advanced : {};
  const nullableNum = (x: unknown, lo: number, hi: number): number | null => (x === null ? null : num(x, lo, hi));
  const nullableInt = (x: unknown, lo: number, hi: number): number | null => (x === null ? null : int(x, lo, hi));
  return {
    strength: num(v.strength, 0, 100) ?? d.strength,
    quality: typeof v.quality === 'string' && v.quality in QUALITY_PRESETS ? (v.quality as Quality) : d.quality,
    qualityChosen: typeof v.qualityChosen === 'boolean' ? v.qualityChosen : d.qualityChosen,
    preserveColors: typeof v.preserveColors === 'boolean' ? v.preserveColors : d.preserveColors,
    replaceFill: typeof v.replaceFill === 'boolean' ? v.replaceFill : d.replaceFill,
    advancedOpen: typeof v.advancedOpen === 'boolean' ? v.advancedOpen : d.advancedOpen,
    advanced: {
      size: nullableInt(a.size, 16, 4096),
      iterations: nullableInt(a.iterations, 1, 10000),
      contentWeight: nullableNum(a.contentWeight, 0, 1e12),
      styleWeight: nullableNum(a.styleWeight, 0, 1e12),
      tvWeight: nullableNum(a.tvWeight, 0, 1e12),
      styleLayers: typeof a.styleLayers === 'string' ? a.styleLayers.slice(0, 300) : '',
      contentLayers: typeof a.contentLayers === 'string' ? a.contentLayers.slice(0, 300) : '',
      seed: int(a.seed, 0, 2 ** 31 - 1) ?? d.advanced.seed,
      pooling: a.pooling === 'avg' ? 'avg' : 'max',
      optimizer: a.optimizer === 'adam' ? 'adam' : 'lbfgs',
    },
  };
}

/** A valid StoredStyle from whatever was stored (a file that is not a small image is dropped). */
export function sanitizeStyle(v: unknown): StoredStyle {
  if (!isObj(v)) return { ...DEFAULT_STYLE };
  const mode = v.mode === 'preset' || v.mode === 'layer' || v.mode === 'file' ? v.mode : DEFAULT_STYLE.mode;
  const f = isObj(v.file) ? v.file : null;
  const ok =
    f && typeof f.name === 'string' && typeof f.type === 'string' && /^image\/(png|jpeg|webp|gif)$/.test(f.type) && typeof f.base64 === 'string' && f.base64.length <= (MAX_REMEMBERED_STYLE_BYTES * 4) / 3 + 4 && /^[A-Za-z0-9+/]*={0,2}$/.test(f.base64);
  return { mode, file: ok ? { name: (f.name as string).slice(0, 200), type: f.type as string, base64: f.base64 as string } : null };
}

function structuredCloneControls(c: Controls): Controls {
  return { ...c, advanced: { ...c.advanced } };
}
