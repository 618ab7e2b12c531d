/**
 * The ONNX graphs Atelier runs, each composed from the VGG fragments (vggGraph.ts) and the loss
 * fragments (lossGraph.ts), which are generated from the loss description:
 *
 * - buildGatysGraph: the untiled loss and its exact gradient, one graph per image size. Inputs `x`
 *   (NHWC RGB 0..255) and the targets; outputs `content`, `style` (unweighted, layer-weighted sums),
 *   `tv` and `grad` = d(α·content + β·style + γ·tv)/dx.
 * - buildFeaturesGraph: the ReLU outputs at some layers (for the targets).
 * - tiledGraphs.ts: the two passes of the exact tiled evaluation.
 */
import { layerIndex } from '../layers.js';
import { usedLayers, type LossDescription } from '../loss/description.js';
import { GraphBuilder } from './graphBuilder.js';
import { contentSeed, contentSquares, contentTerm, featureMatrix, gramSum, names, styleHead, styleSeed, totalVariation } from './lossGraph.js';
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

/** The built model and the shapes of its inputs. */
export interface GatysGraph {
  bytes: Uint8Array;
  /** Shape of each layer's features (NCHW) by Keras name, for the content targets. */
  featureShape(layer: string): [number, number, number, number];
}

/** Builds the untiled loss-and-gradient model. */
export function buildGatysGraph(spec: GatysGraphSpec): GatysGraph {
  const { height, width, loss } = spec;
  const g = new GraphBuilder();
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
    const { diff, squares } = contentSquares(g, fwd.relu[i], g.input(names.contentTarget(layer), fwd.shapes[i]), layer);
    seed(i, contentSeed(g, loss, diff, layer, weight, h * w, c));
    return contentTerm(g, squares, layer, weight, h * w, c);
  });
  const styleParts = loss.style.map(({ layer, weight }) => {
    const i = layerIndex(layer);
    const [, c, h, w] = fwd.shapes[i];
    const matrix = featureMatrix(g, fwd.relu[i], fwd.shapes[i], layer);
    const head = styleHead(g, loss, gramSum(g, matrix, layer), g.input(names.styleTarget(layer), [c, c]), layer, weight, h * w, c);
    seed(i, styleSeed(g, head.seedMatrix, matrix, fwd.shapes[i], layer));
    return head.term;
  });
  g.output('content', g.sum(contentParts, 'content_sum'), []);
  g.output('style', g.sum(styleParts, 'style_sum'), []);
  const features = addBackward(g, fwd, seeds, spec.maxPoolBackward);
  const tv = totalVariation(g, loss, 'x', height, width);
  g.output('tv', tv.tv, []);
  g.output('grad', tv.grad ? g.add('Add', [features, tv.grad], 'grad_total') : features, [1, height, width, 3]);
  return { bytes: g.encode(), featureShape: (layer) => fwd.shapes[layerIndex(layer)] };
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
