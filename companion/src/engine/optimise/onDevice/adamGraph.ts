/**
 * One projected Adam iteration as an ONNX graph, so that the image and Adam's moments can stay on
 * the device between iterations (ortDeviceAdam.ts): the untiled loss and its gradient at `x`
 * (evaluate/onnx/gatysGraph.ts's addGatysLoss, with the targets as constants), then Adam's step
 * (../adamStep.ts, the same update as the TF.js optimiser) projected onto the box.
 *
 * Inputs: `x`, `m`, `v` [1,H,W,3] (x NHWC RGB 0..255) and the step's bias corrections `adam_c1`,
 * `adam_c2` (scalars). Outputs: `x_next`, `m_next`, `v_next` [1,H,W,3], and the unweighted terms
 * `content`, `style`, `tv` AT `x` (before the step).
 */
import type { Box } from '../box.js';
import { adamStep, type AdamOps, type AdamSettings } from '../adamStep.js';
import { addGatysLoss, type GatysGraphSpec } from '../../evaluate/onnx/gatysGraph.js';
import { GraphBuilder } from '../../evaluate/onnx/graphBuilder.js';
import type { HostTargets } from '../../evaluate/onnx/ortObjective.js';

/** The graph's input and output names beyond the loss's `x` and terms. */
export const adamNames = {
  m: 'm',
  v: 'v',
  firstCorrection: 'adam_c1',
  secondCorrection: 'adam_c2',
  xNext: 'x_next',
  mNext: 'm_next',
  vNext: 'v_next',
} as const;

/** The outputs that carry the optimiser's state from one iteration to the next. */
export const ADAM_STATE_OUTPUTS = [adamNames.xNext, adamNames.mNext, adamNames.vNext] as const;

/** What the step graph is built for. */
export interface AdamGraphSpec extends GatysGraphSpec {
  /** Every target of the loss, by graph value name (hostTargets), baked in as constants. */
  targets: HostTargets;
  adam: AdamSettings;
  /** Projects each step onto this box (unconstrained when absent). */
  bounds?: Box;
}

/** Adam's operations as graph nodes. */
function graphOps(g: GraphBuilder): AdamOps<string> {
  let n = 0;
  const node = (op: string, ins: string[]) => g.add(op, ins, `adam_${op.toLowerCase()}${n++}`);
  return {
    constant: (value) => g.scalar(value),
    add: (a, b) => node('Add', [a, b]),
    sub: (a, b) => node('Sub', [a, b]),
    mul: (a, b) => node('Mul', [a, b]),
    div: (a, b) => node('Div', [a, b]),
    square: (a) => node('Mul', [a, a]),
    sqrt: (a) => node('Sqrt', [a]),
    clip: (a, box) => node('Clip', [a, g.scalar(box.lower), g.scalar(box.upper)]),
  };
}

/** Builds the one-iteration model. */
export function buildAdamStepGraph(spec: AdamGraphSpec): Uint8Array {
  const g = new GraphBuilder();
  const shape = [1, spec.height, spec.width, 3];
  const constantTarget = (name: string, dims: number[]) => {
    const t = spec.targets.get(name);
    if (!t) throw new Error(`no host values for the graph target ${name}`);
    const size = dims.reduce((a, b) => a * b, 1);
    if (t.data.length !== size) throw new Error(`the graph target ${name} has ${t.data.length} values; the graph needs ${size} [${dims.join(',')}]`);
    g.inits.push({ name, dims, data: t.data });
    return name;
  };
  const loss = addGatysLoss(g, spec, constantTarget);
  const state = { x: 'x', m: g.input(adamNames.m, shape), v: g.input(adamNames.v, shape) };
  const corrections = { first: g.input(adamNames.firstCorrection, []), second: g.input(adamNames.secondCorrection, []) };
  const next = adamStep(graphOps(g), spec.adam, state, loss.grad, corrections, spec.bounds);
  g.output(adamNames.xNext, next.x, shape);
  g.output(adamNames.mNext, next.m, shape);
  g.output(adamNames.vNext, next.v, shape);
  g.output('content', loss.content, []);
  g.output('style', loss.style, []);
  g.output('tv', loss.tv, []);
  return g.encode();
}
