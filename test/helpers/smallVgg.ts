/** A random VGG-19-shaped model with few channels, for fast engine tests. */
import * as tf from '@tensorflow/tfjs';
import { VGG19_LAYERS, layerIndex } from '../../companion/src/engine/network/layers.js';
import type { VggWeights } from '../../companion/src/engine/types.js';

/** Options of createSmallVggWeights. */
export interface SmallVggOptions {
  /** Base width: block1 has `channels`, block2 2×, block3 4×, block4/5 8× (default 4). */
  channels?: number;
  /** Seed of the random weights (default 1). */
  seed?: number;
  /** Deepest layer included, a Keras name (default block5_conv4). */
  upTo?: string;
}

/** He-initialised random weights for VGG-19's layers up to `upTo`, with few channels. Caller disposes (e.g. via Vgg19). */
export function createSmallVggWeights(opts: SmallVggOptions = {}): VggWeights {
  const base = opts.channels ?? 4;
  const seed = opts.seed ?? 1;
  const last = layerIndex(opts.upTo ?? 'block5_conv4');
  if (last < 0) throw new Error(`unknown layer ${opts.upTo}`);
  const widths = [1, 2, 4, 8, 8].map((m) => m * base);
  const weights: VggWeights = new Map();
  let cin = 3;
  VGG19_LAYERS.slice(0, last + 1).forEach((layer, i) => {
    const cout = widths[layer.block - 1];
    const std = Math.sqrt(2 / (9 * cin));
    weights.set(layer.name, {
      kernel: tf.randomNormal([3, 3, cin, cout], 0, std, 'float32', seed * 1000 + i * 2) as tf.Tensor4D,
      bias: tf.randomNormal([cout], 0, 0.1, 'float32', seed * 1000 + i * 2 + 1) as tf.Tensor1D,
    });
    cin = cout;
  });
  return weights;
}
