/**
 * The loss terms' operations (../../loss/terms.ts) as ONNX graph nodes: each call adds a node to
 * the builder and returns its output's name. Feature matrices are the graphs' NCHW layout: the
 * C×N matrix Fᵀ of features [1,C,h,w], so the Gram sum is FᵀF = M·Mᵀ and F·S is S·M (S symmetric).
 */
import type { LossOps } from '../../loss/terms.js';
import type { GraphBuilder } from './graphBuilder.js';

/** Graph operations whose nodes are named `<prefix>_<n>`; `shape` is the features' [1,C,h,w] when the ops handle a layer's features. */
export function graphOps(g: GraphBuilder, prefix: string, shape?: readonly [number, number, number, number]): LossOps<string> {
  const node = (op: string, ins: string[], attrs?: Parameters<GraphBuilder['add']>[3]) => g.add(op, ins, g.fresh(`${prefix}_${op}`), attrs);
  const featureShape = () => {
    if (!shape) throw new Error(`internal: graphOps(${prefix}) has no feature shape`);
    return shape;
  };
  const axisPads = (axis: number, before: number, after: number) => {
    const pads = [0, 0, 0, 0, 0, 0, 0, 0];
    pads[axis] = before;
    pads[4 + axis] = after;
    return g.ints(pads);
  };
  return {
    scalar: (v) => g.scalar(v),
    add: (a, b) => node('Add', [a, b]),
    sub: (a, b) => node('Sub', [a, b]),
    mul: (a, b) => node('Mul', [a, b]),
    sum: (a) => node('ReduceSum', [a], { keepdims: 0 }),
    transpose: (a) => node('Transpose', [a], { perm: [1, 0] }),
    featureMatrix: (f) => {
      const [, c, h, w] = featureShape();
      return node('Reshape', [f, g.ints([c, h * w])]);
    },
    gramSum: (m) => node('MatMul', [m, node('Transpose', [m], { perm: [1, 0] })]),
    timesSeed: (m, s) => node('Reshape', [node('MatMul', [s, m]), g.ints([...featureShape()])]),
    slice: (a, axis, start, end) => node('Slice', [a, g.ints([start]), g.ints([end]), g.ints([axis])]),
    pad: (a, axis, before, after) => node('Pad', [a, axisPads(axis, before, after)]),
    scope: (name) => graphOps(g, `${prefix}_${name}`, shape),
  };
}
