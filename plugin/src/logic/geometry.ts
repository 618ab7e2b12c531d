/**
 * 2-D affine transforms in Figma's layout (`[[a, c, tx], [b, d, ty]]`, as `relativeTransform` and
 * `absoluteTransform`), and rectangles. Shared by the plugin (placing the result layer) and the
 * fake Figma (rendering rotated/flipped nodes), so both read the same maths.
 */

/** Figma's Transform: maps (x, y) to (a·x + c·y + tx, b·x + d·y + ty). */
export type Transform = [[number, number, number], [number, number, number]];

/** An axis-aligned rectangle in some coordinate space. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The identity transform. */
export const IDENTITY: Transform = [
  [1, 0, 0],
  [0, 1, 0],
];

/** A pure translation. */
export function translation(x: number, y: number): Transform {
  return [
    [1, 0, x],
    [0, 1, y],
  ];
}

/** `outer ∘ inner`: first `inner`, then `outer` (a child's absolute = parent's absolute ∘ relative). */
export function compose(outer: Transform, inner: Transform): Transform {
  const [[a1, c1, x1], [b1, d1, y1]] = outer;
  const [[a2, c2, x2], [b2, d2, y2]] = inner;
  return [
    [a1 * a2 + c1 * b2, a1 * c2 + c1 * d2, a1 * x2 + c1 * y2 + x1],
    [b1 * a2 + d1 * b2, b1 * c2 + d1 * d2, b1 * x2 + d1 * y2 + y1],
  ];
}

/** The inverse transform; throws for a degenerate one (zero scale). */
export function invert(t: Transform): Transform {
  const [[a, c, x], [b, d, y]] = t;
  const det = a * d - b * c;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new RangeError('transform is not invertible');
  return [
    [d / det, -c / det, (c * y - d * x) / det],
    [-b / det, a / det, (b * x - a * y) / det],
  ];
}

/** Applies a transform to a point. */
export function apply(t: Transform, x: number, y: number): { x: number; y: number } {
  return { x: t[0][0] * x + t[0][1] * y + t[0][2], y: t[1][0] * x + t[1][1] * y + t[1][2] };
}

/** The axis-aligned box around `rect` (in local space) after `t`. */
export function boundsOf(t: Transform, rect: Rect): Rect {
  const pts = [
    apply(t, rect.x, rect.y),
    apply(t, rect.x + rect.width, rect.y),
    apply(t, rect.x, rect.y + rect.height),
    apply(t, rect.x + rect.width, rect.y + rect.height),
  ];
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

/** The smallest rectangle holding all of `rects` (null for none). */
export function union(rects: readonly Rect[]): Rect | null {
  if (!rects.length) return null;
  const x = Math.min(...rects.map((r) => r.x));
  const y = Math.min(...rects.map((r) => r.y));
  const right = Math.max(...rects.map((r) => r.x + r.width));
  const bottom = Math.max(...rects.map((r) => r.y + r.height));
  return { x, y, width: right - x, height: bottom - y };
}

/** True when the transform only translates (no rotation, flip, skew or scale). */
export function isTranslation(t: Transform, eps = 1e-9): boolean {
  return Math.abs(t[0][0] - 1) < eps && Math.abs(t[1][1] - 1) < eps && Math.abs(t[0][1]) < eps && Math.abs(t[1][0]) < eps;
}

/**
 * The `relativeTransform` that puts an unrotated layer's top-left corner at the absolute point
 * (x, y) inside a parent whose `absoluteTransform` is `parentAbsolute`: the exported image is
 * axis-aligned on the canvas (the export renders rotation and flips), so its layer must be too.
 */
export function placeAt(parentAbsolute: Transform, x: number, y: number): Transform {
  return compose(invert(parentAbsolute), translation(x, y));
}
