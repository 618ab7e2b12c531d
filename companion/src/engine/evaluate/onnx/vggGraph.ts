/**
 * VGG-19 as ONNX graph fragments: the forward pass from an NHWC RGB 0..255 image to the deepest
 * used layer, and the hand-written backward pass from gradients at the ReLU outputs back to the
 * image (ONNX Runtime's inference sessions do not differentiate).
 *
 * - forward: NHWC → NCHW, RGB→BGR, minus the mean pixel; 3x3 SAME conv + ReLU; 2x2 max (with
 *   argmax indices when asked) or average pooling between blocks;
 * - backward: through ReLU (r > 0); through each convolution as a convolution with the flipped,
 *   in/out-swapped kernel; through max pooling with MaxUnpool at the forward argmax (first maximum,
 *   as TF.js) or, where an execution provider lacks MaxPool's indices or MaxUnpool, with
 *   first-maximum masks over the 2x2 windows; through average pooling as a nearest ×2 upsampling
 *   / 4; then back to NHWC RGB.
 */
import { VGG19_LAYERS } from '../../network/layers.js';
import { VGG_MEAN_BGR } from '../../network/preprocess.js';
import type { GraphBuilder } from './graphBuilder.js';

/** Host copy of one layer's weights, as TF.js holds them: kernel [3,3,CI,CO] (HWIO), bias [CO]. */
export interface HostLayerWeights {
  kernel: Float32Array;
  bias: Float32Array;
  inChannels: number;
  outChannels: number;
}

/** One layer's weights as the graphs take them. */
export interface GraphKernels {
  /** [CO,CI,3,3] */
  forward: Float32Array;
  /** [CI,CO,3,3]: the input-gradient convolution's kernel. */
  inputGradient: Float32Array;
  bias: Float32Array;
  inChannels: number;
  outChannels: number;
}

/** How max pooling is undone: MaxPool's indices + MaxUnpool (CPU), or first-maximum masks (GPU providers). */
export type MaxPoolBackward = 'unpool' | 'mask';

/** Converts TF.js's HWIO kernel to the graphs' OIHW forward and input-gradient kernels (cache the result per network). */
export function graphKernels(w: HostLayerWeights): GraphKernels {
  const { kernel, inChannels: ci, outChannels: co } = w;
  const forward = new Float32Array(kernel.length);
  const inputGradient = new Float32Array(kernel.length);
  let src = 0;
  // HWIO tap t = i·3 + j → OIHW; the input gradient swaps O and I and lands at the flipped tap 8 − t.
  for (let t = 0; t < 9; t++) {
    for (let c = 0; c < ci; c++) {
      for (let o = 0; o < co; o++) {
        forward[(o * ci + c) * 9 + t] = kernel[src];
        inputGradient[(c * co + o) * 9 + (8 - t)] = kernel[src++];
      }
    }
  }
  return { forward, inputGradient, bias: w.bias, inChannels: ci, outChannels: co };
}

/** The forward pass's tensors: ReLU outputs (NCHW), their shapes, pooling outputs and argmaxes, per layer index. */
export interface Forward {
  relu: string[];
  shapes: Array<[number, number, number, number]>;
  pooled: string[];
  poolIndices: string[];
  deepest: number;
  pooling: 'max' | 'avg';
}

/** What the forward fragment is built for. */
export interface ForwardSpec {
  height: number;
  width: number;
  pooling: 'max' | 'avg';
  weights: (index: number) => GraphKernels;
  /** VGG19_LAYERS index of the deepest layer needed. */
  deepest: number;
  /** Keep MaxPool's argmax indices (for the `unpool` backward). */
  indices: boolean;
  /** Add the input-gradient kernels (for addBackward). */
  withBackward: boolean;
}

/** Adds the forward pass from the graph input `x` (NHWC RGB 0..255, declared here) to layer `deepest`. */
export function addForward(g: GraphBuilder, spec: ForwardSpec): Forward {
  const { add } = g;
  g.input('x', [1, spec.height, spec.width, 3]);
  const bgr = g.ints([2, 1, 0]);
  const xt = add('Transpose', ['x'], 'x_nchw', { perm: [0, 3, 1, 2] });
  const xb = add('Gather', [xt, bgr], 'x_bgr', { axis: 1 });
  let h: string = add('Sub', [xb, g.constant([1, 3, 1, 1], VGG_MEAN_BGR)], 'x_pre');
  const fwd: Forward = { relu: [], shapes: [], pooled: [], poolIndices: [], deepest: spec.deepest, pooling: spec.pooling };
  let [hh, ww] = [spec.height, spec.width];
  for (let i = 0; i <= spec.deepest; i++) {
    const w = spec.weights(i);
    g.inits.push({ name: `k${i}`, dims: [w.outChannels, w.inChannels, 3, 3], data: w.forward }, { name: `b${i}`, dims: [w.outChannels], data: w.bias });
    if (spec.withBackward) g.inits.push({ name: `kb${i}`, dims: [w.inChannels, w.outChannels, 3, 3], data: w.inputGradient });
    const c = add('Conv', [h, `k${i}`, `b${i}`], `conv${i}`, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    fwd.relu[i] = add('Relu', [c], `relu${i}`);
    fwd.shapes[i] = [1, w.outChannels, hh, ww];
    h = fwd.relu[i];
    if (VGG19_LAYERS[i].lastInBlock && i < spec.deepest) {
      if (spec.pooling === 'max' && spec.indices) {
        g.nodes.push({ op: 'MaxPool', inputs: [h], outputs: [`pool${i}`, `argmax${i}`], attrs: { kernel_shape: [2, 2], strides: [2, 2] } });
        fwd.poolIndices[i] = `argmax${i}`;
      } else {
        add(spec.pooling === 'max' ? 'MaxPool' : 'AveragePool', [h], `pool${i}`, { kernel_shape: [2, 2], strides: [2, 2] });
      }
      fwd.pooled[i] = `pool${i}`;
      h = `pool${i}`;
      hh = Math.floor(hh / 2);
      ww = Math.floor(ww / 2);
    }
  }
  return fwd;
}

/**
 * Adds the backward pass: `seeds` are gradients with respect to ReLU outputs (NCHW, by layer
 * index); returns the gradient with respect to `x` in NHWC RGB.
 */
export function addBackward(g: GraphBuilder, fwd: Forward, seeds: Map<number, string[]>, maxPoolBackward: MaxPoolBackward): string {
  const { add } = g;
  const zero = g.scalar(0);
  const { relu, shapes } = fwd;
  let up: string | undefined; // gradient with respect to relu[i] coming from above
  for (let i = fwd.deepest; i >= 0; i--) {
    const parts = [...(up ? [up] : []), ...(seeds.get(i) ?? [])];
    const gr = parts.length === 1 ? parts[0] : add('Sum', parts, `grelu${i}`);
    const gc = add('Where', [add('Greater', [relu[i], zero], `active${i}`), gr, zero], `gconv${i}`);
    const gin = add('Conv', [gc, `kb${i}`], `gin${i}`, { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    up = gin;
    if (i === 0 || !VGG19_LAYERS[i - 1].lastInBlock) continue;
    const [, c, bh, bw] = shapes[i - 1];
    if (fwd.pooling === 'max' && maxPoolBackward === 'unpool') {
      up = add('MaxUnpool', [gin, fwd.poolIndices[i - 1], g.ints([1, c, bh, bw])], `gpool${i - 1}`, { kernel_shape: [2, 2], strides: [2, 2] });
    } else if (fwd.pooling === 'max') {
      up = maskedMaxPoolGrad(g, relu[i - 1], fwd.pooled[i - 1], gin, `${i - 1}`, [c, bh, bw], zero);
    } else {
      up = avgPoolGrad(g, gin, `${i - 1}`, [c, bh, bw]);
    }
  }
  const gb = add('Gather', [up!, g.ints([2, 1, 0])], 'grad_rgb', { axis: 1 });
  return add('Transpose', [gb], 'grad_features', { perm: [0, 2, 3, 1] });
}

/** Zero-pads the bottom and right of a pooled-back gradient to the odd size [c,h,w] of the pooling's input. */
function padToOdd(g: GraphBuilder, x: string, tag: string, [h, w]: [number, number], [ph, pw]: [number, number]): string {
  if (h === 2 * ph && w === 2 * pw) return x;
  return g.add('Pad', [x, g.ints([0, 0, 0, 0, 0, 0, h - 2 * ph, w - 2 * pw])], `gpad${tag}`);
}

/** The gradient of a 2x2/2 average pooling: each window's gradient /4 to its four pixels. */
function avgPoolGrad(g: GraphBuilder, grad: string, tag: string, [c, h, w]: [number, number, number]): string {
  const ph = Math.floor(h / 2);
  const pw = Math.floor(w / 2);
  const doubled = g.add('Resize', [grad, '', '', g.ints([1, c, 2 * ph, 2 * pw])], `gup${tag}`, { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
  return padToOdd(g, g.add('Mul', [doubled, g.scalar(0.25)], `gavg${tag}`), tag, [h, w], [ph, pw]);
}

/**
 * The gradient of a 2x2/2 max pooling, routed to the FIRST maximum of each window in row-major order
 * (TF.js's choice), without MaxPool's indices: the windows of the (even-cropped) input are split
 * into their 4 positions with SpaceToDepth, each position gets the gradient where it equals the
 * window's maximum and no earlier position did, and DepthToSpace puts them back.
 */
function maskedMaxPoolGrad(g: GraphBuilder, input: string, pooled: string, grad: string, tag: string, [c, h, w]: [number, number, number], zero: string): string {
  const { add } = g;
  const ph = Math.floor(h / 2);
  const pw = Math.floor(w / 2);
  const x = h === 2 * ph && w === 2 * pw ? input : add('Slice', [input, g.ints([0, 0]), g.ints([2 * ph, 2 * pw]), g.ints([2, 3])], `even${tag}`);
  const blocks = add('SpaceToDepth', [x], `s2d${tag}`, { blocksize: 2 });
  const parts: string[] = [];
  let taken: string | undefined;
  for (let k = 0; k < 4; k++) {
    const v = add('Slice', [blocks, g.ints([k * c]), g.ints([(k + 1) * c]), g.ints([1])], `blk${tag}_${k}`);
    const isMax = add('Equal', [v, pooled], `ismax${tag}_${k}`);
    const first = taken ? add('And', [isMax, add('Not', [taken], `notTaken${tag}_${k}`)], `first${tag}_${k}`) : isMax;
    taken = taken ? add('Or', [taken, isMax], `taken${tag}_${k}`) : isMax;
    parts.push(add('Where', [first, grad, zero], `route${tag}_${k}`));
  }
  const routed = add('Concat', parts, `routed${tag}`, { axis: 1 });
  return padToOdd(g, add('DepthToSpace', [routed], `d2s${tag}`, { blocksize: 2, mode: 'DCR' }), `m${tag}`, [h, w], [ph, pw]);
}
