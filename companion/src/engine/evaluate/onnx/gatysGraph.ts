/**
 * The ONNX graphs Atelier runs, each composed from the VGG fragments (vggGraph.ts) and the loss
 * terms (../../loss/terms.ts over graphOps.ts), which are generated from the loss description:
 *
 * - buildGatysGraph: the untiled loss and its exact gradient, one graph per image size. Inputs `x`
 *   (NHWC RGB 0..255) and the targets; outputs `content`, `style` (unweighted, layer-weighted sums),
 *   `tv` and `grad` = d(α·content + β·style + γ·tv)/dx. Its nodes come from addGatysLoss, which
 *   other graphs extend (adamGraph.ts: the loss, its gradient and one Adam step).
 * - buildFeaturesGraph: the ReLU outputs at some layers (for the targets).
 * - tiledGraphs.ts: the two passes of the exact tiled evaluation.
 */
import { layerIndex } from '../../network/layers.js';
import { usedLayers, type LossDescription } from '../../loss/description.js';
import { GraphBuilder } from './graphBuilder.js';
import { contentSeed, contentSquares, contentTerm, maskedMatrix, styleHead, styleSeed, totalVariation } from '../../loss/terms.js';
import { graphOps } from './graphOps.js';
import { names } from './lossGraph.js';
import { addBackward, addForward, type GraphKernels, type MaxPoolBackward } from './vggGraph.js';

/** Which layers a set of features spans: the deepest one's VGG19_LAYERS index. */
export const deepestIndex = (layers: readonly string[]): number => Math.max(...layers.map(layerIndex));

/** What the untiled graph is built for. */
export interface GatysGraphSpec {
  height: number;
  width: number;
  loss: LossDescription;
  maxPoolBackward: MaxPoolBackward;
  /** Weights of VGG19_LAYERS[i] for every i up to the deepest used layer, converted by graphKernels. */
  weights: (index: number) => GraphKernels;
}

/** The values addGatysLoss adds: the unweighted terms (scalars) and the gradient [1,H,W,3] of the weighted total. */
export interface GatysLoss {
  content: string;
  style: string;
  tv: string;
  grad: string;
}

/** Declares a target (a content layer's features, a style layer's Gram target) and returns its name. */
export type TargetValue = (name: string, dims: number[]) => string;

/**
 * Adds the untiled loss and its exact gradient at the graph input `x` (declared here) to `g`. The
 * targets are graph inputs unless `target` makes them something else (e.g. constants).
 */
export function addGatysLoss(g: GraphBuilder, spec: GatysGraphSpec, target: TargetValue = g.input): GatysLoss {
  const { height, width, loss } = spec;
  const fwd = addForward(g, {
    height,
    width,
    pooling: loss.pooling,
    weights: spec.weights,
    deepest: deepestIndex(usedLayers(loss)),
    indices: spec.maxPoolBackward === 'unpool',
    withBackward: true,
  });
  const seeds = new Map<number, string[]>();
  const seed = (i: number, s: string) => seeds.set(i, [...(seeds.get(i) ?? []), s]);
  const contentParts = loss.content.map(({ layer, weight }) => {
    const i = layerIndex(layer);
    const [, c, h, w] = fwd.shapes[i];
    const ops = graphOps(g, `content_${layer}`, fwd.shapes[i]);
    const { diff, squares } = contentSquares(ops, fwd.relu[i], target(names.contentTarget(layer), fwd.shapes[i]));
    seed(i, contentSeed(ops, loss, diff, weight, h * w, c));
    return contentTerm(ops, squares, weight, h * w, c);
  });
  const styleParts = loss.style.map(({ layer, weight }) => {
    const i = layerIndex(layer);
    const [, c, h, w] = fwd.shapes[i];
    const ops = graphOps(g, `style_${layer}`, fwd.shapes[i]);
    const matrix = maskedMatrix(ops, fwd.relu[i]);
    const head = styleHead(ops, loss, ops.gramSum(matrix), target(names.styleTarget(layer), [c, c]), weight, h * w, c);
    seed(i, styleSeed(ops, head.seedMatrix, matrix, fwd.relu[i]));
    return head.term;
  });
  const content = g.sum(contentParts, 'content_sum');
  const style = g.sum(styleParts, 'style_sum');
  const features = addBackward(g, fwd, seeds, spec.maxPoolBackward);
  const tv = totalVariation(graphOps(g, 'tv'), loss, 'x', height, width);
  const grad = tv.grad ? g.add('Add', [features, tv.grad], 'grad_total') : features;
  return { content, style, tv: tv.tv, grad };
}

/** Builds the untiled loss-and-gradient model. */
export function buildGatysGraph(spec: GatysGraphSpec): Uint8Array {
  const g = new GraphBuilder();
  const loss = addGatysLoss(g, spec);
  g.output('content', loss.content, []);
  g.output('style', loss.style, []);
  g.output('tv', loss.tv, []);
  g.output('grad', loss.grad, [1, spec.height, spec.width, 3]);
  return g.encode();
}

/** What a features graph is built for: the ReLU outputs at `layers` of an H×W image. */
export interface FeaturesGraphSpec {
  height: number;
  width: number;
  pooling: 'max' | 'avg';
  layers: string[];
  weights: (index: number) => GraphKernels;
  /** Output layout: NHWC [1,h,w,C] (TF.js's) or NCHW [1,C,h,w] (the graphs' own, for targets fed back to them). */
  layout: 'nhwc' | 'nchw';
}

/** The name of a features graph's output for a layer. */
export const featuresOutput = (layer: string): string => `feat_${layer}`;

/** A forward-only graph: input `x` (NHWC RGB 0..255), outputs `feat_<layer>` in the spec's layout. */
export function buildFeaturesGraph(spec: FeaturesGraphSpec): Uint8Array {
  const g = new GraphBuilder();
  const fwd = addForward(g, { ...spec, deepest: deepestIndex(spec.layers), indices: false, withBackward: false });
  for (const layer of spec.layers) {
    const i = layerIndex(layer);
    const [, c, h, w] = fwd.shapes[i];
    if (spec.layout === 'nchw') g.output(featuresOutput(layer), fwd.relu[i], fwd.shapes[i]);
    else g.output(featuresOutput(layer), g.add('Transpose', [fwd.relu[i]], `feat_nhwc_${layer}`, { perm: [0, 2, 3, 1] }), [1, h, w, c]);
  }
  return g.encode();
}
