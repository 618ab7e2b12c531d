/**
 * VGG-19's convolution layers by Keras name, and the paper's aliases for them.
 * `conv4_2`, `relu4_2` and `block4_conv2` all mean the ReLU output of that convolution.
 */
import { EngineError } from '../errors.js';

/** One convolution layer of VGG-19's feature stack. */
export interface VggLayer {
  /** Keras name, e.g. `block4_conv2`. */
  name: string;
  block: number;
  conv: number;
  inChannels: number;
  outChannels: number;
  /** True for the last convolution of a block (a 2x2 pooling follows it). */
  lastInBlock: boolean;
}

const BLOCKS: Array<{ convs: number; channels: number }> = [
  { convs: 2, channels: 64 },
  { convs: 2, channels: 128 },
  { convs: 4, channels: 256 },
  { convs: 4, channels: 512 },
  { convs: 4, channels: 512 },
];

function buildLayers(): VggLayer[] {
  const out: VggLayer[] = [];
  let inChannels = 3;
  BLOCKS.forEach(({ convs, channels }, b) => {
    for (let i = 1; i <= convs; i++) {
      out.push({ name: `block${b + 1}_conv${i}`, block: b + 1, conv: i, inChannels, outChannels: channels, lastInBlock: i === convs });
      inChannels = channels;
    }
  });
  return out;
}

/** The 16 convolution layers of VGG-19 in network order, with their channel counts. */
export const VGG19_LAYERS: readonly VggLayer[] = Object.freeze(buildLayers());

const ALIAS = /^(?:conv|relu)([1-5])_([1-4])$/;

/** Maps `conv4_2` / `relu4_2` / `block4_conv2` to the Keras name; EngineError `unknown_layer` otherwise. */
export function resolveLayerName(name: string): string {
  const trimmed = name.trim();
  const alias = ALIAS.exec(trimmed);
  const keras = alias ? `block${alias[1]}_conv${alias[2]}` : trimmed;
  if (!VGG19_LAYERS.some((l) => l.name === keras)) {
    throw new EngineError('unknown_layer', `unknown VGG-19 layer "${name}" (use e.g. conv4_2, relu4_2 or block4_conv2)`);
  }
  return keras;
}

/** Position of a Keras layer name in VGG19_LAYERS (-1 when unknown). */
export function layerIndex(kerasName: string): number {
  return VGG19_LAYERS.findIndex((l) => l.name === kerasName);
}

/** The paper's short name of a Keras layer name: `block4_conv2` → `conv4_2`. */
export function shortLayerName(kerasName: string): string {
  const m = /^block([1-5])_conv([1-4])$/.exec(kerasName);
  return m ? `conv${m[1]}_${m[2]}` : kerasName;
}

/** Smallest image side that still has at least one pixel at the deepest of these Keras layers. */
export function minSideFor(kerasNames: readonly string[]): number {
  const deepest = Math.max(...kerasNames.map(layerIndex));
  const pools = VGG19_LAYERS.slice(0, Math.max(0, deepest)).filter((l) => l.lastInBlock).length;
  return 2 ** pools;
}
