/**
 * The Gatys loss and its exact gradient with respect to the image as ONE ONNX graph, for ONNX
 * Runtime's CPU kernels (MLAS). The backward pass is written out by hand (ONNX Runtime's inference
 * sessions do not differentiate):
 *
 * - forward: NHWC RGB 0..255 → NCHW, RGB→BGR, minus the mean pixel; 3x3 SAME conv + ReLU up to the
 *   deepest used layer, 2x2 max (with argmax indices) or average pooling between blocks;
 * - loss: content_l = mean((F − F_c)²), style_l = mean((G − A)²) with G = F Fᵀ / (N·C), weighted by
 *   the layer weights (as losses.ts);
 * - backward: the loss gradient at each used layer (α·w_l·2(F − F_c)/|F| for content,
 *   (dG + dGᵀ)·F/(N·C) with dG = β·v_l·2(G − A)/C² for style), through ReLU (r > 0), through each
 *   convolution as a convolution with the flipped, in/out-swapped kernel, through max pooling with
 *   MaxUnpool at the forward argmax (first maximum, as TF.js; or, where an execution provider lacks
 *   MaxPool's indices, with first-maximum masks over the 2x2 windows), through average pooling as a
 *   nearest ×2 upsampling / 4, then back to NHWC RGB.
 *
 * Outputs: `content` and `style` (unweighted, layer-weighted sums), `tv` (losses.ts's total
 * variation on x/255) and `grad` = d(α·content + β·style + γ·tv)/dx.
 */
import { VGG19_LAYERS, layerIndex } from '../layers.js';
import { VGG_MEAN_BGR } from '../preprocess.js';
import { encodeModel, type NodeInit, type TensorInit, type ValueInit } from './protobuf.js';

/** Host copy of one layer's weights, as TF.js holds them: kernel [3,3,CI,CO] (HWIO), bias [CO]. */
export interface HostLayerWeights {
  kernel: Float32Array;
  bias: Float32Array;
  inChannels: number;
  outChannels: number;
}

/** What the graph is built for. */
export interface GatysGraphSpec {
  height: number;
  width: number;
  pooling: 'max' | 'avg';
  content: Array<{ layer: string; weight: number }>;
  style: Array<{ layer: string; weight: number }>;
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
  /**
   * How max pooling is undone: `unpool` (MaxPool's indices + MaxUnpool; ONNX Runtime's CPU kernels)
   * or `mask` (first-maximum masks via SpaceToDepth/DepthToSpace; for providers without indices).
   */
  maxPoolBackward?: 'unpool' | 'mask';
  /** Weights of VGG19_LAYERS[i] for every i up to the deepest used layer, converted by graphKernels. */
  weights: (index: number) => GraphKernels;
}

/** One layer's weights as the graph takes them. */
export interface GraphKernels {
  /** [CO,CI,3,3] */
  forward: Float32Array;
  /** [CI,CO,3,3]: the input-gradient convolution's kernel. */
  backward: Float32Array;
  bias: Float32Array;
  inChannels: number;
  outChannels: number;
}

/** Converts TF.js's HWIO kernel to the graph's forward and backward OIHW kernels (cache the result per network). */
export function graphKernels(w: HostLayerWeights): GraphKernels {
  return { forward: forwardKernel(w), backward: backwardKernel(w), bias: w.bias, inChannels: w.inChannels, outChannels: w.outChannels };
}

/** Names of the graph's target inputs. */
export const contentTargetInput = (layer: string): string => `content_target_${layer}`;
export const styleTargetInput = (layer: string): string => `style_target_${layer}`;

/** The built model and the shapes of its inputs. */
export interface GatysGraph {
  bytes: Uint8Array;
  /** Shape of each layer's features (NCHW) by Keras name, for the content targets. */
  featureShape(layer: string): [number, number, number, number];
}

/** HWIO → OIHW. */
function forwardKernel(w: HostLayerWeights): Float32Array {
  const { kernel, inChannels: ci, outChannels: co } = w;
  const out = new Float32Array(kernel.length);
  let src = 0;
  for (let t = 0; t < 9; t++) for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) out[(o * ci + c) * 9 + t] = kernel[src++];
  return out;
}

/** The input-gradient kernel in OIHW: O = CI, I = CO, spatially flipped. */
function backwardKernel(w: HostLayerWeights): Float32Array {
  const { kernel, inChannels: ci, outChannels: co } = w;
  const out = new Float32Array(kernel.length);
  let src = 0;
  // Source tap t = i·3 + j lands at the flipped tap 8 − t.
  for (let t = 0; t < 9; t++) for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) out[(c * co + o) * 9 + (8 - t)] = kernel[src++];
  return out;
}

const f32 = (name: string, dims: number[], values: ArrayLike<number>): TensorInit => ({ name, dims, data: Float32Array.from(values) });
const i64 = (name: string, values: number[]): TensorInit => ({ name, dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) });

/** A graph under construction: nodes, constants and helpers that name their outputs. */
class GraphBuilder {
  readonly nodes: NodeInit[] = [];
  readonly inits: TensorInit[] = [];
  private counter = 0;

  add = (op: string, ins: string[], out: string, attrs?: NodeInit['attrs']): string => {
    this.nodes.push({ op, inputs: ins, outputs: [out], attrs });
    return out;
  };

  constant = (dims: number[], values: ArrayLike<number>): string => {
    const name = `const${this.counter++}`;
    this.inits.push(f32(name, dims, values));
    return name;
  };

  scalar = (v: number): string => this.constant([], [v]);
}

/** The forward pass's tensors: ReLU outputs (NCHW) and their shapes per layer index, pooling argmaxes. */
interface Forward {
  relu: string[];
  shapes: Array<[number, number, number, number]>;
  poolIndices: string[];
}

/**
 * Adds the forward pass from input `x` (NHWC RGB 0..255) to layer `deepest`: preprocessing, conv +
 * ReLU, pooling between blocks (with argmax indices when `indices`). Adds the backward kernels too
 * when `withBackward`.
 */
function addForward(
  g: GraphBuilder,
  dims: { height: number; width: number },
  pooling: 'max' | 'avg',
  weights: (index: number) => GraphKernels,
  deepest: number,
  opts: { indices: boolean; withBackward: boolean },
): Forward {
  const { add } = g;
  g.inits.push(i64('bgr', [2, 1, 0]));
  const xt = add('Transpose', ['x'], 'x_nchw', { perm: [0, 3, 1, 2] });
  const xb = add('Gather', [xt, 'bgr'], 'x_bgr', { axis: 1 });
  let h: string = add('Sub', [xb, g.constant([1, 3, 1, 1], VGG_MEAN_BGR)], 'x_pre');
  const fwd: Forward = { relu: [], shapes: [], poolIndices: [] };
  let [hh, ww] = [dims.height, dims.width];
  for (let i = 0; i <= deepest; i++) {
    const layer = VGG19_LAYERS[i];
    const w = weights(i);
    g.inits.push({ name: `k${i}`, dims: [w.outChannels, w.inChannels, 3, 3], data: w.forward }, { name: `b${i}`, dims: [w.outChannels], data: w.bias });
    if (opts.withBackward) g.inits.push({ name: `kb${i}`, dims: [w.inChannels, w.outChannels, 3, 3], data: w.backward });
    const c = add('Conv', [h, `k${i}`, `b${i}`], `conv${i}`, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    fwd.relu[i] = add('Relu', [c], `relu${i}`);
    fwd.shapes[i] = [1, w.outChannels, hh, ww];
    h = fwd.relu[i];
    if (layer.lastInBlock && i < deepest) {
      if (pooling === 'max' && opts.indices) {
        g.nodes.push({ op: 'MaxPool', inputs: [h], outputs: [`pool${i}`, `argmax${i}`], attrs: { kernel_shape: [2, 2], strides: [2, 2] } });
        fwd.poolIndices[i] = `argmax${i}`;
      } else {
        add(pooling === 'max' ? 'MaxPool' : 'AveragePool', [h], `pool${i}`, { kernel_shape: [2, 2], strides: [2, 2] });
      }
      h = `pool${i}`;
      hh = Math.floor(hh / 2);
      ww = Math.floor(ww / 2);
    }
  }
  return fwd;
}

/** What a features graph is built for: the ReLU outputs at `layers` of an H×W image. */
export interface FeaturesGraphSpec {
  height: number;
  width: number;
  pooling: 'max' | 'avg';
  layers: string[];
  weights: (index: number) => GraphKernels;
}

/** A forward-only graph: input `x` (NHWC RGB 0..255), outputs `feat_<layer>` in NHWC [1,h,w,C]. */
export function buildFeaturesGraph(spec: FeaturesGraphSpec): Uint8Array {
  const g = new GraphBuilder();
  const deepest = Math.max(...spec.layers.map(layerIndex));
  const fwd = addForward(g, spec, spec.pooling, spec.weights, deepest, { indices: false, withBackward: false });
  const outputs: ValueInit[] = spec.layers.map((layer) => {
    const [, c, h, w] = fwd.shapes[layerIndex(layer)];
    g.add('Transpose', [fwd.relu[layerIndex(layer)]], `feat_${layer}`, { perm: [0, 2, 3, 1] });
    return { name: `feat_${layer}`, dims: [1, h, w, c] };
  });
  return encodeModel({ nodes: g.nodes, initializers: g.inits, inputs: [{ name: 'x', dims: [1, spec.height, spec.width, 3] }], outputs });
}

/** Builds the serialised model. */
export function buildGatysGraph(spec: GatysGraphSpec): GatysGraph {
  const { height: H, width: W } = spec;
  const used = new Set([...spec.content.map((c) => c.layer), ...spec.style.map((s) => s.layer)]);
  const deepest = Math.max(...[...used].map(layerIndex));
  const g = new GraphBuilder();
  const { nodes, inits, add, scalar } = g;
  const inputs: ValueInit[] = [{ name: 'x', dims: [1, H, W, 3] }];
  const unpool = (spec.maxPoolBackward ?? 'unpool') === 'unpool';
  const { relu, shapes, poolIndices } = addForward(g, spec, spec.pooling, spec.weights, deepest, { indices: unpool, withBackward: true });

  // Loss terms and their gradients at the used layers.
  const seeds = new Map<number, string[]>();
  const seed = (i: number, g: string) => seeds.set(i, [...(seeds.get(i) ?? []), g]);
  const contentParts: string[] = [];
  for (const { layer, weight } of spec.content) {
    const i = layerIndex(layer);
    const target = contentTargetInput(layer);
    inputs.push({ name: target, dims: shapes[i] });
    const d = add('Sub', [relu[i], target], `cdiff_${layer}`);
    const m = add('ReduceMean', [add('Mul', [d, d], `csq_${layer}`)], `cmean_${layer}`, { keepdims: 0 });
    contentParts.push(add('Mul', [m, scalar(weight)], `cterm_${layer}`));
    const numel = shapes[i].reduce((a, b) => a * b, 1);
    seed(i, add('Mul', [d, scalar((spec.contentWeight * weight * 2) / numel)], `cgrad_${layer}`));
  }
  const styleParts: string[] = [];
  for (const { layer, weight } of spec.style) {
    const i = layerIndex(layer);
    const [, C, fh, fw] = shapes[i];
    const N = fh * fw;
    const target = styleTargetInput(layer);
    inputs.push({ name: target, dims: [C, C] });
    inits.push(i64(`shape2_${layer}`, [C, N]), i64(`shape4_${layer}`, [1, C, fh, fw]));
    const f = add('Reshape', [relu[i], `shape2_${layer}`], `fmat_${layer}`);
    const ft = add('Transpose', [f], `fmatT_${layer}`, { perm: [1, 0] });
    const g = add('Mul', [add('MatMul', [f, ft], `ffT_${layer}`), scalar(1 / (N * C))], `gram_${layer}`);
    const e = add('Sub', [g, target], `gdiff_${layer}`);
    const m = add('ReduceMean', [add('Mul', [e, e], `gsq_${layer}`)], `gmean_${layer}`, { keepdims: 0 });
    styleParts.push(add('Mul', [m, scalar(weight)], `sterm_${layer}`));
    const dG = add('Mul', [e, scalar((spec.styleWeight * weight * 2) / (C * C))], `dG_${layer}`);
    const s = add('Add', [dG, add('Transpose', [dG], `dGT_${layer}`, { perm: [1, 0] })], `dGsym_${layer}`);
    const df = add('Mul', [add('MatMul', [s, f], `dGF_${layer}`), scalar(1 / (N * C))], `sgradmat_${layer}`);
    seed(i, add('Reshape', [df, `shape4_${layer}`], `sgrad_${layer}`));
  }
  const sum = (parts: string[], name: string) => (parts.length === 1 ? add('Identity', parts, name) : add('Sum', parts, name));
  sum(contentParts.length ? contentParts : [scalar(0)], 'content');
  sum(styleParts.length ? styleParts : [scalar(0)], 'style');

  // Backward, deepest layer first.
  const zero = scalar(0);
  let up: string | undefined; // gradient with respect to relu[i] coming from above
  for (let i = deepest; i >= 0; i--) {
    const parts = [...(up ? [up] : []), ...(seeds.get(i) ?? [])];
    const gr = parts.length === 1 ? parts[0] : add('Sum', parts, `grelu${i}`);
    const gc = add('Where', [add('Greater', [relu[i], zero], `active${i}`), gr, zero], `gconv${i}`);
    const gin = add('Conv', [gc, `kb${i}`], `gin${i}`, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    if (i === 0) {
      up = gin;
      break;
    }
    const below = VGG19_LAYERS[i - 1];
    if (!below.lastInBlock) {
      up = gin;
      continue;
    }
    const [, c, bh, bw] = shapes[i - 1];
    if (spec.pooling === 'max' && unpool) {
      inits.push(i64(`unpoolShape${i - 1}`, [1, c, bh, bw]));
      up = add('MaxUnpool', [gin, poolIndices[i - 1], `unpoolShape${i - 1}`], `gpool${i - 1}`, { kernel_shape: [2, 2], strides: [2, 2] });
    } else if (spec.pooling === 'max') {
      up = maskedMaxPoolGrad(add, inits, relu[i - 1], `pool${i - 1}`, gin, `${i - 1}`, [c, bh, bw], zero);
    } else {
      const ph = Math.floor(bh / 2);
      const pw = Math.floor(bw / 2);
      inits.push(i64(`upSize${i - 1}`, [1, c, 2 * ph, 2 * pw]));
      const doubled = add('Resize', [gin, '', '', `upSize${i - 1}`], `gup${i - 1}`, { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
      let quarter = add('Mul', [doubled, scalar(0.25)], `gavg${i - 1}`);
      if (bh !== 2 * ph || bw !== 2 * pw) {
        inits.push(i64(`padOdd${i - 1}`, [0, 0, 0, 0, 0, 0, bh - 2 * ph, bw - 2 * pw]));
        quarter = add('Pad', [quarter, `padOdd${i - 1}`], `gpad${i - 1}`);
      }
      up = quarter;
    }
  }
  const gb = add('Gather', [up!, 'bgr'], 'grad_rgb', { axis: 1 });
  const gcs = add('Transpose', [gb], 'grad_cs', { perm: [0, 2, 3, 1] });

  // TV on y = x/255 (NHWC): tv = (Σ Δx² + Σ Δy²)/(H·W·3); d tv/dx = 2/(255·H·W·3)·Σ_axis (pad_before(Δ) − pad_after(Δ)).
  const tvParts: string[] = [];
  const tvGrads: string[] = [];
  const y = add('Mul', ['x', scalar(1 / 255)], 'tv_y');
  for (const [axis, len] of [[2, W], [1, H]] as const) {
    if (len < 2) continue;
    inits.push(i64(`tvA${axis}`, [1]), i64(`tvB${axis}`, [0]), i64(`tvEnd${axis}`, [len]), i64(`tvEndM${axis}`, [len - 1]), i64(`tvAxis${axis}`, [axis]));
    const later = add('Slice', [y, `tvA${axis}`, `tvEnd${axis}`, `tvAxis${axis}`], `tv_later${axis}`);
    const earlier = add('Slice', [y, `tvB${axis}`, `tvEndM${axis}`, `tvAxis${axis}`], `tv_earlier${axis}`);
    const d = add('Sub', [later, earlier], `tv_d${axis}`);
    tvParts.push(add('ReduceSum', [add('Mul', [d, d], `tv_sq${axis}`)], `tv_sum${axis}`, { keepdims: 0 }));
    const before = [0, 0, 0, 0, 0, 0, 0, 0];
    const after = [0, 0, 0, 0, 0, 0, 0, 0];
    before[axis] = 1; // pad at the start of the axis: Δ[j−1] lands on pixel j
    after[4 + axis] = 1; // pad at the end: Δ[j] lands on pixel j
    inits.push(i64(`tvPadB${axis}`, before), i64(`tvPadA${axis}`, after));
    tvGrads.push(add('Sub', [add('Pad', [d, `tvPadB${axis}`], `tv_pb${axis}`), add('Pad', [d, `tvPadA${axis}`], `tv_pa${axis}`)], `tv_g${axis}`));
  }
  const n = H * W * 3;
  add('Mul', [tvParts.length ? sum(tvParts, 'tv_total') : scalar(0), scalar(1 / n)], 'tv');
  if (tvGrads.length && spec.tvWeight !== 0) {
    const gtv = add('Mul', [tvGrads.length === 1 ? tvGrads[0] : add('Add', tvGrads, 'tv_gsum'), scalar((spec.tvWeight * 2) / (255 * n))], 'tv_grad');
    add('Add', [gcs, gtv], 'grad');
  } else {
    add('Identity', [gcs], 'grad');
  }

  const bytes = encodeModel({
    nodes,
    initializers: inits,
    inputs,
    outputs: [
      { name: 'content', dims: [] },
      { name: 'style', dims: [] },
      { name: 'tv', dims: [] },
      { name: 'grad', dims: [1, H, W, 3] },
    ],
  });
  return { bytes, featureShape: (layer) => shapes[layerIndex(layer)] };
}

/**
 * The gradient of a 2x2/2 max pooling, routed to the FIRST maximum of each window in row-major order
 * (TF.js's choice), without MaxPool's indices: the windows of the (even-cropped) input are split
 * into their 4 positions with SpaceToDepth, each position gets the gradient where it equals the
 * window's maximum and no earlier position did, and DepthToSpace puts them back.
 */
function maskedMaxPoolGrad(
  add: (op: string, ins: string[], out: string, attrs?: NodeInit['attrs']) => string,
  inits: TensorInit[],
  input: string,
  pooled: string,
  grad: string,
  tag: string,
  [c, h, w]: [number, number, number],
  zero: string,
): string {
  const ph = Math.floor(h / 2);
  const pw = Math.floor(w / 2);
  let x = input;
  if (h !== 2 * ph || w !== 2 * pw) {
    inits.push(i64(`evenStart${tag}`, [0, 0]), i64(`evenEnd${tag}`, [2 * ph, 2 * pw]), i64(`evenAxes${tag}`, [2, 3]));
    x = add('Slice', [input, `evenStart${tag}`, `evenEnd${tag}`, `evenAxes${tag}`], `even${tag}`);
  }
  const blocks = add('SpaceToDepth', [x], `s2d${tag}`, { blocksize: 2 });
  const parts: string[] = [];
  let taken: string | undefined;
  for (let k = 0; k < 4; k++) {
    inits.push(i64(`blkStart${tag}_${k}`, [k * c]), i64(`blkEnd${tag}_${k}`, [(k + 1) * c]), i64(`blkAxis${tag}_${k}`, [1]));
    const v = add('Slice', [blocks, `blkStart${tag}_${k}`, `blkEnd${tag}_${k}`, `blkAxis${tag}_${k}`], `blk${tag}_${k}`);
    const isMax = add('Equal', [v, pooled], `ismax${tag}_${k}`);
    const first = taken ? add('And', [isMax, add('Not', [taken], `notTaken${tag}_${k}`)], `first${tag}_${k}`) : isMax;
    taken = taken ? add('Or', [taken, isMax], `taken${tag}_${k}`) : isMax;
    parts.push(add('Where', [first, grad, zero], `route${tag}_${k}`));
  }
  const routed = add('Concat', parts, `routed${tag}`, { axis: 1 });
  let out = add('DepthToSpace', [routed], `d2s${tag}`, { blocksize: 2, mode: 'DCR' });
  if (h !== 2 * ph || w !== 2 * pw) {
    inits.push(i64(`maskPad${tag}`, [0, 0, 0, 0, 0, 0, h - 2 * ph, w - 2 * pw]));
    out = add('Pad', [out, `maskPad${tag}`], `gpoolpad${tag}`);
  }
  return out;
}

