/** Loads VGG-19 weights from a Keras .h5 file or a TF.js layers-model directory, validated, as tensors. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { VggWeights } from '../engine/contract.js';
import { WeightsError } from './errors.js';
import { isHdf5File, readKerasH5 } from './h5.js';
import { readTfjsLayers } from './tfjsLayers.js';
import { validateRawLayers, type RawLayer } from './validate.js';

/** The two weight formats Atelier reads. */
export type WeightsFormat = 'keras-h5' | 'tfjs-layers';

/** Weights read and validated but not yet turned into tensors. */
export interface InspectedWeights {
  layers: RawLayer[];
  /** Absolute path of the file or directory read. */
  source: string;
  format: WeightsFormat;
}

/** Loaded weights: tensors (owned by the caller; `Vgg19.dispose()` or `disposeWeights`), provenance and covered layers. */
export interface LoadedWeights {
  weights: VggWeights;
  source: string;
  format: WeightsFormat;
  /** Keras layer names covered, in VGG-19 order. */
  layers: string[];
}

/** Detects the format of a path: a directory or .json file → TF.js layers; an HDF5 file → Keras. */
export async function detectWeightsFormat(source: string): Promise<WeightsFormat> {
  let st;
  try {
    st = await stat(source);
  } catch {
    throw new WeightsError('weights_not_found', `weights not found: ${source} does not exist`);
  }
  if (st.isDirectory() || source.toLowerCase().endsWith('.json')) return 'tfjs-layers';
  if (await isHdf5File(source)) return 'keras-h5';
  throw new WeightsError('bad_weights', `${source}: not a Keras .h5 file or a TF.js layers-model directory`);
}

/** Reads and validates weights without creating tensors (used by install and status). */
export async function inspectWeights(source: string): Promise<InspectedWeights> {
  const abs = path.resolve(source);
  const format = await detectWeightsFormat(abs);
  const raw = format === 'keras-h5' ? await readKerasH5(abs) : await readTfjsLayers(abs);
  return { layers: validateRawLayers(raw, abs), source: abs, format };
}

/** Disposes every tensor of a VggWeights map. */
export function disposeWeights(weights: VggWeights): void {
  for (const { kernel, bias } of weights.values()) {
    kernel.dispose();
    bias.dispose();
  }
}

/** Turns validated raw layers into tensors (VGG-19 order). */
export function rawLayersToWeights(layers: RawLayer[]): VggWeights {
  const weights: VggWeights = new Map();
  try {
    for (const l of layers) {
      const kernel = tf.tensor4d(l.kernel, l.kernelShape as [number, number, number, number], 'float32');
      let bias: tf.Tensor1D;
      try {
        bias = tf.tensor1d(l.bias, 'float32');
      } catch (err) {
        kernel.dispose();
        throw err;
      }
      weights.set(l.name, { kernel, bias });
    }
  } catch (err) {
    disposeWeights(weights);
    throw err;
  }
  return weights;
}

/** Loads a Keras .h5 file or TF.js layers-model directory (or its model.json) as validated VGG-19 weights. */
export async function loadWeights(source: string): Promise<LoadedWeights> {
  const inspected = await inspectWeights(source);
  return {
    weights: rawLayersToWeights(inspected.layers),
    source: inspected.source,
    format: inspected.format,
    layers: inspected.layers.map((l) => l.name),
  };
}
