/**
 * Which selected layers can be stylized (they hold fills) and why the others are skipped.
 */

/** Node types that can be stylized: their rendering is exported, and the result goes on a layer above. */
export const FILLABLE_TYPES: ReadonlySet<string> = new Set([
  'FRAME',
  'INSTANCE',
  'RECTANGLE',
  'ELLIPSE',
  'POLYGON',
  'STAR',
  'VECTOR',
  'BOOLEAN_OPERATION',
]);

const SKIP_REASONS: Readonly<Record<string, string>> = {
  TEXT: 'Text keeps its own fills — convert it to outlines or wrap it in a frame',
  GROUP: 'Groups have no fills — select the layers inside, or frame the group',
  LINE: 'Lines have no area to fill',
  SLICE: 'Slices are export areas, not layers',
  SECTION: 'Sections are organisers — select the frames inside',
  COMPONENT_SET: 'Component sets — select a variant',
  CONNECTOR: 'Connectors are not supported',
  COMPONENT: 'Main component — a change here would reach every instance; stylize an instance instead',
};

/** Why a layer inside these cannot get a stylized layer beside it. */
const INSIDE_REASONS: Readonly<Record<Inside, string>> = {
  component: 'It is inside a main component — a new layer there would appear in every instance; stylize an instance instead',
  instance: 'It is inside an instance, which cannot take new layers — stylize the whole instance, or detach it',
  boolean: 'It is part of a boolean shape — a new layer there would change the shape; select the whole shape',
};

/** What a layer sits in, when that matters: a main component, an instance or a boolean operation (nearest first). */
export type Inside = 'component' | 'instance' | 'boolean';

/** A minimal, figma-free description of a selected layer. */
export interface LayerFacts {
  id: string;
  name: string;
  type: string;
  width: number;
  height: number;
  /** `false` when the fills are mixed (figma.mixed) or the node has no fills property. */
  hasReadableFills: boolean;
  /** The nearest main component or instance around the layer, if any. */
  inside: Inside | null;
}

/** `null` when the layer can be stylized, otherwise the reason shown to the designer. */
export function skipReason(layer: LayerFacts): string | null {
  if (!FILLABLE_TYPES.has(layer.type)) return SKIP_REASONS[layer.type] ?? `${layer.type.toLowerCase().replace(/_/g, ' ')} layers can't hold an image fill`;
  if (layer.inside) return INSIDE_REASONS[layer.inside];
  if (!layer.hasReadableFills) return 'Its fills are mixed and cannot be replaced';
  if (!(layer.width >= 1) || !(layer.height >= 1)) return 'It is smaller than 1 px';
  return null;
}
