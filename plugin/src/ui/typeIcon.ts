/**
 * Layer-type icons as Figma draws them in its layers panel (frame #, rectangle, ellipse, text T,
 * component and instance diamonds, vector pen, group, boolean), as small inline SVGs that follow
 * the text colour; not empty boxes that read as checkboxes.
 */
const SVG_NS = 'http://www.w3.org/2000/svg';

/** SVG path data per type, on a 16×16 grid, stroked. */
const PATHS: Readonly<Record<string, string>> = {
  FRAME: 'M5 2v12M11 2v12M2 5h12M2 11h12',
  RECTANGLE: 'M3 3h10v10H3z',
  ELLIPSE: 'M8 2.5a5.5 5.5 0 1 0 0 11a5.5 5.5 0 1 0 0-11z',
  POLYGON: 'M8 2.5l6 10.5H2z',
  STAR: 'M8 2l1.8 4 4.2.4-3.2 2.8 1 4.3L8 11.3l-3.8 2.2 1-4.3L2 6.4l4.2-.4z',
  VECTOR: 'M3 13l2-5 6-6 3 3-6 6zM9.5 3.5l3 3',
  TEXT: 'M3 3.5h10M8 3.5V13M6 13h4',
  COMPONENT: 'M8 1.8l2.2 2.2L8 6.2 5.8 4zM8 9.8l2.2 2.2L8 14.2 5.8 12zM4 5.8l2.2 2.2L4 10.2 1.8 8zM12 5.8l2.2 2.2-2.2 2.2L9.8 8z',
  INSTANCE: 'M8 2l6 6-6 6-6-6z',
  GROUP: 'M2.5 5V2.5H5M11 2.5h2.5V5M13.5 11v2.5H11M5 13.5H2.5V11',
  BOOLEAN_OPERATION: 'M2.5 2.5h7v7h-7zM6.5 6.5h7v7h-7z',
  IMAGE: 'M2.5 3h11v10h-11zM2.5 11l3.5-3.5 3 3 2-2 2.5 2.5',
};

/** The icon of a layer type (a generic shape for types without their own). */
export function typeIcon(type: string): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('class', `layer-icon t-${type}`);
  svg.setAttribute('aria-hidden', 'true');
  svg.dataset.icon = type in PATHS ? type : 'RECTANGLE';
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', PATHS[type] ?? PATHS.RECTANGLE);
  svg.append(path);
  return svg;
}
