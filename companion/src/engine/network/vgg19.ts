/**
 * VGG-19's convolutional feature stack (NHWC, 3x3 SAME convolutions, ReLU, 2x2 pooling), run only
 * as deep as the deepest requested layer. Layer names are Keras names (`block4_conv2`); use
 * `resolveLayerName` for the paper's aliases.
 */
import * as tf from '@tensorflow/tfjs';
import { inputGradientKernel, conv3x3Relu, pool2x2 } from './ops.js';
import { VGG19_LAYERS, layerIndex } from './layers.js';
import { EngineError } from '../errors.js';

/** One convolution layer's parameters: kernel HWIO [3,3,in,out], bias [out]. */
export interface ConvWeights {
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/** VGG-19 weights by Keras layer name (`block1_conv1` …); may cover only the first layers. */
export type VggWeights = Map<string, ConvWeights>;

/** The VGG-19 network over (possibly partial) weights. Owns the weights: `dispose()` frees them. */
export class Vgg19 {
  /** Keras names of the layers the weights cover, in network order (a prefix of VGG19_LAYERS). */
  readonly availableLayers: string[];
  /** Output width of each layer of VGG19_LAYERS: the weights' for the layers they cover, the real VGG-19's beyond. */
  readonly channels: number[];
  /** Per-layer kernels of the input-gradient convolution (see ops.ts), made once. */
  private readonly inputGradientKernels = new Map<string, tf.Tensor4D>();

  /** Checks shapes and keeps the weights; extra layers after the first gap are ignored. */
  constructor(private readonly weights: VggWeights) {
    const available: string[] = [];
    for (const layer of VGG19_LAYERS) {
      const w = weights.get(layer.name);
      if (!w) break;
      const [kh, kw, cin, cout] = w.kernel.shape;
      const prevOut = available.length ? weights.get(available[available.length - 1])!.kernel.shape[3] : 3;
      if (kh !== 3 || kw !== 3 || cin !== prevOut || w.bias.shape[0] !== cout) {
        throw new EngineError(
          'bad_weights',
          `weights for ${layer.name} have kernel shape [${w.kernel.shape}] and bias [${w.bias.shape}]; expected [3,3,${prevOut},C] and [C]`,
        );
      }
      available.push(layer.name);
    }
    if (available.length === 0) throw new EngineError('bad_weights', 'the weights contain no VGG-19 layer (block1_conv1 is missing)');
    this.availableLayers = available;
    this.channels = VGG19_LAYERS.map((l, i) => (i < available.length ? weights.get(l.name)!.kernel.shape[3] : l.outChannels));
    // Resident input-gradient kernels (ops.ts): derived once, not in every backward pass.
    for (const name of available) this.inputGradientKernels.set(name, inputGradientKernel(weights.get(name)!.kernel));
  }

  /**
   * Features (ReLU outputs) at the given Keras layers for a preprocessed [1,H,W,3] input.
   * Runs only up to the deepest requested layer. Returned tensors are owned by the caller.
   */
  features(x: tf.Tensor4D, layers: string[], pooling: 'max' | 'avg'): Map<string, tf.Tensor4D> {
    const wanted = new Set(layers);
    let deepest = -1;
    for (const name of wanted) {
      const i = layerIndex(name);
      if (i < 0 || i >= this.availableLayers.length) {
        throw new EngineError('missing_layer', `layer ${name} is not in the weights; available: ${this.availableLayers.join(', ')}`);
      }
      deepest = Math.max(deepest, i);
    }
    const record = tf.tidy(() => {
      const out: Record<string, tf.Tensor4D> = {};
      let h: tf.Tensor4D = x;
      for (let i = 0; i <= deepest; i++) {
        const layer = VGG19_LAYERS[i];
        const w = this.weights.get(layer.name)!;
        h = conv3x3Relu(h, w.kernel, w.bias, this.inputGradientKernels.get(layer.name));
        if (wanted.has(layer.name)) out[layer.name] = h;
        if (layer.lastInBlock && i < deepest) h = pool2x2(h, pooling);
      }
      return out;
    });
    return new Map(Object.entries(record));
  }

  /** A host copy of layer `index`'s kernel [3,3,CI,CO] (HWIO) and bias (CPU backends: a synchronous read). */
  hostWeights(index: number): { kernel: Float32Array; bias: Float32Array; inChannels: number; outChannels: number } {
    if (index < 0 || index >= this.availableLayers.length) throw new EngineError('missing_layer', `layer ${VGG19_LAYERS[index]?.name ?? index} is not in the weights`);
    const w = this.weights.get(VGG19_LAYERS[index].name)!;
    return { kernel: w.kernel.dataSync() as Float32Array, bias: w.bias.dataSync() as Float32Array, inChannels: w.kernel.shape[2], outChannels: w.kernel.shape[3] };
  }

  /** Frees the weights' tensors (and the derived backward kernels). */
  dispose(): void {
    for (const k of this.inputGradientKernels.values()) k.dispose();
    this.inputGradientKernels.clear();
    for (const w of this.weights.values()) {
      w.kernel.dispose();
      w.bias.dispose();
    }
  }
}
