/**
 * Provenance of a stylized layer, stored with `setSharedPluginData` so teammates (and other tools)
 * can see which style and settings produced it and re-run it.
 */
import type { StylizeParamsInput } from '../../../shared/params.js';
import { decodeRecord } from './pluginData.js';

/** Shared plugin-data namespace (≥ 3 alphanumeric characters, as Figma requires). */
export const PROVENANCE_NAMESPACE = 'atelier';
/** Shared plugin-data key. */
export const PROVENANCE_KEY = 'provenance';

/** Where the style came from. */
export type StyleRef =
  | { kind: 'preset'; id: string; name: string }
  | { kind: 'layer'; nodeId: string; name: string }
  | { kind: 'file'; name: string };

/** The record stored on each stylized layer. */
export interface Provenance {
  v: 1;
  style: StyleRef;
  params: StylizeParamsInput;
  jobId: string;
  companionVersion: string | null;
  appliedAt: string;
}

/** Serialises provenance for `setSharedPluginData`. */
export function encodeProvenance(p: Provenance): string {
  return JSON.stringify(p);
}

/** Parses stored provenance; `null` when empty or malformed. */
export function decodeProvenance(text: string): Provenance | null {
  return decodeRecord<Provenance>(text, (v) => v.v === 1 && typeof v.jobId === 'string' && typeof v.style === 'object' && v.style !== null && typeof v.params === 'object');
}

/** A one-line human description: `Style "Monet" (preset) · strength … · 2024-…`. */
export function describeStyle(style: StyleRef): string {
  switch (style.kind) {
    case 'preset':
      return `preset “${style.name}”`;
    case 'layer':
      return `layer “${style.name}”`;
    default:
      return `file “${style.name}”`;
  }
}
