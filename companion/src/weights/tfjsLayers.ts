/**
 * Reads VGG-19 convolution weights from a TF.js layers-model directory: `model.json`'s weightsManifest
 * (groups of shard paths + weight specs) and the binary shards, parsed directly (no tf.loadLayersModel, no network).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { WeightsError } from './errors.js';
import { isVggConvLayer, TOP_LAYERS, type RawLayer } from './validate.js';

interface WeightSpec {
  name: string;
  shape: number[];
  dtype?: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

interface ManifestGroup {
  paths: string[];
  weights: WeightSpec[];
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };

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

/** Decodes one weight's bytes to float32 (float32, or uint8/uint16 affine-quantised). */
function decode(spec: WeightSpec, bytes: Buffer, bad: (m: string) => WeightsError): Float32Array {
  const q = spec.quantization;
  if (q) {
    if ((q.dtype === 'uint8' || q.dtype === 'uint16') && typeof q.scale === 'number' && typeof q.min === 'number') {
      const src = q.dtype === 'uint8' ? new Uint8Array(bytes) : new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = src[i] * q.scale + q.min;
      return out;
    }
    throw bad(`weight ${spec.name}: quantization ${q.dtype} is not supported (use float32 or uint8/uint16)`);
  }
  if ((spec.dtype ?? 'float32') !== 'float32') throw bad(`weight ${spec.name}: dtype ${spec.dtype} is not float32`);
  // Copy: shard buffers may be unaligned for a Float32Array view.
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
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
    const buf = Buffer.concat(shards);
    let offset = 0;
    for (const spec of g.weights) {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const dtype = spec.quantization?.dtype ?? spec.dtype ?? 'float32';
      const size = count * (BYTES[dtype] ?? NaN);
      if (!Number.isFinite(size)) throw bad(`weight ${spec.name}: unknown dtype ${dtype}`);
      if (offset + size > buf.length) throw bad(`shards of group ${g.paths.join(',')} are too short for weight ${spec.name} (${buf.length} bytes)`);
      const bytes = buf.subarray(offset, offset + size);
      offset += size;
      const { layer, variable } = splitWeightName(spec.name);
      if (TOP_LAYERS.has(layer)) continue;
      if (!isVggConvLayer(layer)) throw bad(`unknown weight "${spec.name}" (expected VGG-19 layers block1_conv1..block5_conv4)`);
      const entry = byLayer.get(layer) ?? {};
      if (variable === 'kernel') Object.assign(entry, { kernel: decode(spec, bytes, bad), kernelShape: spec.shape });
      else if (variable === 'bias') Object.assign(entry, { bias: decode(spec, bytes, bad), biasShape: spec.shape });
      else throw bad(`unknown weight "${spec.name}" (expected <layer>/kernel or <layer>/bias)`);
      byLayer.set(layer, entry);
    }
    if (offset !== buf.length) throw bad(`shards of group ${g.paths.join(',')} hold ${buf.length} bytes but the manifest describes ${offset}`);
  }
  return [...byLayer].map(([name, e]) => {
    if (!e.kernel || !e.bias) throw bad(`layer ${name} lacks its ${e.kernel ? 'bias' : 'kernel'}`);
    return { name, kernel: e.kernel, kernelShape: e.kernelShape!, bias: e.bias, biasShape: e.biasShape! };
  });
}
