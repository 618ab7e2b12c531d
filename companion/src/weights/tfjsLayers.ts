/**
 * Reads VGG-19 convolution weights from a TF.js layers-model directory: `model.json`'s weightsManifest
 * (groups of shard paths + weight specs) and the binary shards, decoded by tf.io.decodeWeights (which
 * handles dtypes and uint8/uint16/float16 quantization) without tf.loadLayersModel or a network.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { WeightsError } from './errors.js';
import { isVggConvLayer, TOP_LAYERS, type RawLayer } from './validate.js';

type WeightSpec = tf.io.WeightsManifestEntry;

interface ManifestGroup {
  paths: string[];
  weights: WeightSpec[];
}

/** `model.json` of a directory, or the file itself when given a .json path. */
export function modelJsonPath(source: string, isDirectory: boolean): string {
  return isDirectory ? path.join(source, 'model.json') : source;
}

function parseManifest(json: unknown, bad: (m: string) => WeightsError): ManifestGroup[] {
  const manifest = (json as { weightsManifest?: unknown } | null)?.weightsManifest;
  if (!Array.isArray(manifest)) throw bad('model.json has no "weightsManifest" array (not a TF.js layers model)');
  for (const g of manifest as ManifestGroup[]) {
    if (!g || !Array.isArray(g.paths) || !Array.isArray(g.weights)) throw bad('a weightsManifest group lacks "paths" or "weights"');
    for (const p of g.paths) {
      if (typeof p !== 'string' || p.length === 0 || path.isAbsolute(p) || p.split(/[\\/]/).includes('..')) {
        throw bad(`shard path ${JSON.stringify(p)} must be a plain relative file name`);
      }
    }
    for (const w of g.weights) {
      if (!w || typeof w.name !== 'string' || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw bad(`weight spec ${JSON.stringify(w?.name ?? w)} has no valid name/shape`);
      }
    }
  }
  return manifest as ManifestGroup[];
}

/** Splits `block1_conv1/kernel` (also `vgg19/block1_conv1/kernel:0`) into layer and variable. */
export function splitWeightName(name: string): { layer: string; variable: string } {
  const parts = name.replace(/:\d+$/, '').split('/');
  return { layer: parts.length >= 2 ? parts[parts.length - 2] : '', variable: parts[parts.length - 1] };
}

/** Decodes one group's weights (tensors released before returning); a wrong shard length is an error. */
function decodeGroup(g: ManifestGroup, buf: Buffer, bad: (m: string) => WeightsError): Map<string, { values: Float32Array; shape: number[] }> {
  const data = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  let tensors: tf.NamedTensorMap;
  try {
    tensors = tf.io.decodeWeights(data, g.weights);
  } catch (err) {
    throw bad(`shards of group ${g.paths.join(',')} are too short for, or do not fit, their weight specs (${buf.length} bytes): ${(err as Error).message}`);
  }
  try {
    const out = new Map<string, { values: Float32Array; shape: number[] }>();
    for (const spec of g.weights) {
      const t = tensors[spec.name];
      if (t.dtype !== 'float32') throw bad(`weight ${spec.name}: dtype ${t.dtype} is not float32`);
      // A copy: a backend may hand out a view of memory that dispose() frees.
      out.set(spec.name, { values: new Float32Array(t.dataSync()), shape: spec.shape });
    }
    return out;
  } finally {
    tf.dispose(tensors);
  }
}

/** Reads the convolution layers of a TF.js layers model (directory or model.json path; unvalidated). */
export async function readTfjsLayers(source: string): Promise<RawLayer[]> {
  const isDir = (await stat(source)).isDirectory();
  const jsonPath = modelJsonPath(source, isDir);
  const dir = path.dirname(jsonPath);
  const bad = (m: string): WeightsError => new WeightsError('bad_weights', `${source}: ${m}`);
  let text: string;
  try {
    text = await readFile(jsonPath, 'utf8');
  } catch {
    throw bad('no model.json (not a TF.js layers-model directory)');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw bad(`model.json is not valid JSON (${(err as Error).message})`);
  }
  const groups = parseManifest(json, bad);
  const byLayer = new Map<string, Partial<Pick<RawLayer, 'kernel' | 'kernelShape' | 'bias' | 'biasShape'>>>();
  for (const g of groups) {
    const shards: Buffer[] = [];
    for (const p of g.paths) {
      try {
        shards.push(await readFile(path.join(dir, p)));
      } catch {
        throw bad(`shard file ${p} named in model.json is missing`);
      }
    }
    const decoded = decodeGroup(g, Buffer.concat(shards), bad);
    for (const [name, { values, shape }] of decoded) {
      const { layer, variable } = splitWeightName(name);
      if (TOP_LAYERS.has(layer)) continue;
      if (!isVggConvLayer(layer)) throw bad(`unknown weight "${name}" (expected VGG-19 layers block1_conv1..block5_conv4)`);
      const entry = byLayer.get(layer) ?? {};
      if (variable === 'kernel') Object.assign(entry, { kernel: values, kernelShape: shape });
      else if (variable === 'bias') Object.assign(entry, { bias: values, biasShape: shape });
      else throw bad(`unknown weight "${name}" (expected <layer>/kernel or <layer>/bias)`);
      byLayer.set(layer, entry);
    }
  }
  return [...byLayer].map(([name, e]) => {
    if (!e.kernel || !e.bias) throw bad(`layer ${name} lacks its ${e.kernel ? 'bias' : 'kernel'}`);
    return { name, kernel: e.kernel, kernelShape: e.kernelShape!, bias: e.bias, biasShape: e.biasShape! };
  });
}
