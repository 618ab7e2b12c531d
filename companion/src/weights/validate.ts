/**
 * Format-independent checks on VGG-19 weights read from a file: known layer names, 3x3 kernels,
 * channels that chain from the RGB input, VGG-19 order without gaps, finite values.
 */
import { VGG19_LAYERS } from '../engine/contract.js';
import { WeightsError } from './errors.js';

/** One convolution layer as read from a file, before it becomes tensors. */
export interface RawLayer {
  name: string;
  kernel: Float32Array;
  kernelShape: number[];
  bias: Float32Array;
  biasShape: number[];
}

/** Layers of the classifier head of VGG-19 ("include_top" files); their weights are ignored. */
export const TOP_LAYERS: ReadonlySet<string> = new Set(['flatten', 'fc1', 'fc2', 'predictions']);

const ORDER = new Map(VGG19_LAYERS.map((l, i) => [l.name, i]));

/** True when the name is one of VGG-19's 16 convolution layers. */
export function isVggConvLayer(name: string): boolean {
  return ORDER.has(name);
}

const shapeText = (s: number[]): string => `[${s.join(',')}]`;

/** Validates raw layers and returns them in VGG-19 order; throws WeightsError 'bad_weights' naming the problem. */
export function validateRawLayers(layers: RawLayer[], source: string): RawLayer[] {
  const bad = (msg: string): WeightsError => new WeightsError('bad_weights', `${source}: ${msg}`);
  if (layers.length === 0) throw bad('no VGG-19 convolution layers found');
  const seen = new Set<string>();
  for (const l of layers) {
    if (!ORDER.has(l.name)) throw bad(`unknown layer "${l.name}" (expected VGG-19 layers block1_conv1..block5_conv4)`);
    if (seen.has(l.name)) throw bad(`layer ${l.name} appears twice`);
    seen.add(l.name);
    const k = l.kernelShape;
    if (k.length !== 4 || k[0] !== 3 || k[1] !== 3 || k[2] < 1 || k[3] < 1) {
      throw bad(`layer ${l.name}: kernel shape ${shapeText(k)} is not [3,3,in,out] (HWIO)`);
    }
    if (l.biasShape.length !== 1 || l.biasShape[0] !== k[3]) {
      throw bad(`layer ${l.name}: bias shape ${shapeText(l.biasShape)} does not match the kernel's ${k[3]} output channels`);
    }
    if (l.kernel.length !== k[0] * k[1] * k[2] * k[3]) throw bad(`layer ${l.name}: kernel has ${l.kernel.length} values, shape ${shapeText(k)} needs ${k[0] * k[1] * k[2] * k[3]}`);
    if (l.bias.length !== k[3]) throw bad(`layer ${l.name}: bias has ${l.bias.length} values, expected ${k[3]}`);
    for (const arr of [l.kernel, l.bias]) {
      for (let i = 0; i < arr.length; i++) if (!Number.isFinite(arr[i])) throw bad(`layer ${l.name} contains NaN or infinite values`);
    }
  }
  const sorted = [...layers].sort((a, b) => ORDER.get(a.name)! - ORDER.get(b.name)!);
  let inChannels = 3;
  sorted.forEach((l, i) => {
    const expected = VGG19_LAYERS[i].name;
    if (l.name !== expected) throw bad(`layer ${expected} is missing (weights must cover block1_conv1 onwards without gaps; found ${l.name})`);
    if (l.kernelShape[2] !== inChannels) {
      throw bad(
        `layer ${l.name}: kernel shape ${shapeText(l.kernelShape)} takes ${l.kernelShape[2]} input channels, but ${i === 0 ? 'the RGB input has 3' : `${sorted[i - 1].name} outputs ${inChannels}`}`,
      );
    }
    inChannels = l.kernelShape[3];
  });
  return sorted;
}

/** Human-readable layer range, e.g. "block1_conv1..block3_conv4 (8 layers)". */
export function describeLayers(layers: string[]): string {
  if (layers.length === 0) return 'no layers';
  if (layers.length === 1) return `${layers[0]} (1 layer)`;
  const full = layers.length === VGG19_LAYERS.length ? ', complete VGG-19' : '';
  return `${layers[0]}..${layers[layers.length - 1]} (${layers.length} layers${full})`;
}
