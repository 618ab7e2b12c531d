/**
 * Which selected layers can be stylized (they hold fills) and why the others are skipped.
 */

/** Node types whose fills can take the stylized image. */
export const FILLABLE_TYPES: ReadonlySet<string> = new Set([
  'FRAME',
  'COMPONENT',
  'INSTANCE',
  'RECTANGLE',
  'ELLIPSE',
  'POLYGON',
  'STAR',
  'VECTOR',
]);

const SKIP_REASONS: Readonly<Record<string, string>> = {
  TEXT: 'Text keeps its own fills — convert it to outlines or wrap it in a frame',
  GROUP: 'Groups have no fills — select the layers inside, or frame the group',
  LINE: 'Lines have no area to fill',
  SLICE: 'Slices are export areas, not layers',
  SECTION: 'Sections are organisers — select the frames inside',
  BOOLEAN_OPERATION: 'Boolean groups — flatten it first',
  COMPONENT_SET: 'Component sets — select a variant',
  CONNECTOR: 'Connectors are not supported',
};

/** A minimal, figma-free description of a selected layer. */
export interface LayerFacts {
  id: string;
  name: string;
  type: string;
  width: number;
  height: number;
  /** `false` when the fills are mixed (figma.mixed) or the node has no fills property. */
  hasReadableFills: boolean;
}

/** `null` when the layer can be stylized, otherwise the reason shown to the designer. */
export function skipReason(layer: LayerFacts): string | null {
  if (!FILLABLE_TYPES.has(layer.type)) return SKIP_REASONS[layer.type] ?? `${layer.type.toLowerCase().replace(/_/g, ' ')} layers can't hold an image fill`;
  if (!layer.hasReadableFills) return 'Its fills are mixed and cannot be replaced';
  if (!(layer.width >= 1) || !(layer.height >= 1)) return 'It is smaller than 1 px';
  return null;
}
