/** What the fake Figma asks a rasterizer to draw (canvas in the browser, sharp in Node). */

/** Something to draw: a unit box (0,0,width,height) mapped to output pixels by `matrix` (canvas order a,b,c,d,e,f), clipped to `clip` (output pixels). */
export type DrawOp = { matrix: [number, number, number, number, number, number]; width: number; height: number; clip: { x: number; y: number; width: number; height: number } | null } & (
  | { kind: 'rect'; color: { r: number; g: number; b: number; a: number } }
  | { kind: 'stroke'; color: { r: number; g: number; b: number; a: number }; lineWidth: number }
  | { kind: 'image'; bytes: Uint8Array; opacity: number }
);

/** What exportAsync asks the rasterizer to produce. */
export interface RenderPlan {
  width: number;
  height: number;
  ops: DrawOp[];
}

/** Turns a render plan into real PNG bytes (canvas in the browser, sharp in Node). */
export type Rasterizer = (plan: RenderPlan) => Promise<Uint8Array>;
