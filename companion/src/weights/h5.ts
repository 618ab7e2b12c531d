/**
 * Reads VGG-19 convolution weights from a Keras HDF5 file with h5wasm (Node build: host filesystem).
 * Layout: root attribute `layer_names`; each layer group's attribute `weight_names` names its datasets
 * (kernel HWIO float32, then bias). Files saved with `model.save()` keep the same layout under `model_weights`.
 */
import fs from 'node:fs';
import { open } from 'node:fs/promises';
import type { Dataset, File as H5File, Group } from 'h5wasm';
import { WeightsError } from './errors.js';
import { isVggConvLayer, TOP_LAYERS, type RawLayer } from './validate.js';

type H5Module = typeof import('h5wasm');

let h5wasmModule: Promise<H5Module> | null = null;

/** Loads and initialises h5wasm's Node build once. */
export function loadH5wasm(): Promise<H5Module> {
  h5wasmModule ??= (async () => {
    const mod = (await import('h5wasm/node')) as unknown as H5Module;
    await mod.ready;
    return mod;
  })();
  return h5wasmModule;
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** True when the file starts with the HDF5 signature (at 0, or after a user block of 512·2^k bytes). */
export async function isHdf5File(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.alloc(8);
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      await fh.read(buf, 0, 8, offset);
      if (buf.equals(HDF5_SIGNATURE)) return true;
      if (offset >= 1 << 20) break;
    }
    return false;
  } finally {
    await fh.close();
  }
}

/**
 * Runs synchronous h5wasm calls with the HDF5 library's stderr diagnostics (dozens of lines per failure,
 * written straight to fd 2) captured instead of printed; returns the value and the last diagnostic reason.
 */
function quietHdf5<T>(fn: () => T): { value?: T; error?: unknown; reason: string | null } {
  const original = fs.writeSync;
  let captured = '';
  const patched = function (this: unknown, fd: number, data: unknown, ...rest: unknown[]): number {
    if (fd !== 2) return (original as (...a: unknown[]) => number).call(fs, fd, data, ...rest);
    if (typeof data === 'string') {
      captured += data;
      return data.length;
    }
    const view = data as ArrayBufferView;
    const offset = typeof rest[0] === 'number' ? rest[0] : 0;
    const length = typeof rest[1] === 'number' ? rest[1] : view.byteLength - offset;
    captured += Buffer.from(view.buffer, view.byteOffset + offset, length).toString('utf8');
    return length;
  };
  fs.writeSync = patched as typeof fs.writeSync;
  try {
    return { value: fn(), reason: lastReason(captured) };
  } catch (error) {
    return { error, reason: lastReason(captured) };
  } finally {
    fs.writeSync = original;
  }
}

/** The innermost "minor:" line of an HDF5 error stack, e.g. "File has been truncated". */
function lastReason(diag: string): string | null {
  const minors = [...diag.matchAll(/minor: (.+)/g)].map((m) => m[1].trim());
  return minors.length ? minors[minors.length - 1] : null;
}

function asStrings(v: unknown): string[] | null {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  return null;
}

function readAttrStrings(g: Group, name: string): string[] | null {
  if (!Object.keys(g.attrs).includes(name)) return null;
  return asStrings(g.get_attribute(name, true));
}

function readFloat(ds: Dataset, where: string, bad: (m: string) => WeightsError): { data: Float32Array; shape: number[] } {
  const shape = ds.shape ?? [];
  const dtype = ds.metadata;
  if (dtype.type !== 1 /* H5T_FLOAT */) throw bad(`${where} is not a floating-point dataset`);
  const v = ds.value;
  let data: Float32Array;
  if (v instanceof Float32Array) data = v;
  else if (v instanceof Float64Array) data = Float32Array.from(v);
  else throw bad(`${where} has an unsupported data type`);
  return { data, shape };
}

/** Reads the convolution layers of a Keras .h5 file (unvalidated, file order). */
export async function readKerasH5(file: string): Promise<RawLayer[]> {
  const bad = (m: string): WeightsError => new WeightsError('bad_weights', `${file}: ${m}`);
  if (!(await isHdf5File(file))) throw bad('not an HDF5 file');
  const h5 = await loadH5wasm();
  const r = quietHdf5(() => readLayers(h5, file, bad));
  if (r.error !== undefined) {
    if (r.error instanceof WeightsError) {
      throw r.reason && r.error.message.endsWith(NOT_OPENED) ? bad(`${NOT_OPENED} (${r.reason})`) : r.error;
    }
    throw bad(`HDF5 read failed${r.reason ? ` (${r.reason})` : ''}: ${(r.error as Error)?.message ?? String(r.error)}`);
  }
  return r.value!;
}

const NOT_OPENED = 'the HDF5 file could not be opened';

function readLayers(h5: H5Module, file: string, bad: (m: string) => WeightsError): RawLayer[] {
  const f: H5File = new h5.File(file, 'r');
  if (typeof f.file_id === 'bigint' ? f.file_id < 0n : Number(f.file_id) < 0) throw bad(NOT_OPENED);
  try {
    let root: Group = f;
    let layerNames = readAttrStrings(f, 'layer_names');
    if (!layerNames && f.keys().includes('model_weights')) {
      root = f.get('model_weights') as Group;
      layerNames = readAttrStrings(root, 'layer_names');
    }
    if (!layerNames) throw bad('no root attribute "layer_names" (not a Keras weights file)');
    const out: RawLayer[] = [];
    for (const name of layerNames) {
      const g = root.get(name);
      if (!(g instanceof h5.Group)) throw bad(`layer_names lists "${name}" but the file has no group with that name`);
      const group = g;
      const weightNames = readAttrStrings(group, 'weight_names');
      if (!weightNames) throw bad(`layer ${name} has no attribute "weight_names"`);
      if (weightNames.length === 0 || TOP_LAYERS.has(name)) continue; // input, pooling, classifier head
      if (!isVggConvLayer(name)) throw bad(`unknown layer "${name}" with weights (expected VGG-19 layers block1_conv1..block5_conv4)`);
      if (weightNames.length !== 2) throw bad(`layer ${name} has ${weightNames.length} weights, expected a kernel and a bias`);
      const arrays = weightNames.map((wn) => {
        const ds = group.get(wn);
        if (!(ds instanceof h5.Dataset)) throw bad(`layer ${name}: dataset "${wn}" named in weight_names is missing`);
        return readFloat(ds, `${name}/${wn}`, bad);
      });
      const kernel = arrays.find((a) => a.shape.length === 4);
      const bias = arrays.find((a) => a.shape.length === 1);
      if (!kernel || !bias) {
        throw bad(`layer ${name}: expected a 4-D kernel and a 1-D bias, got shapes ${arrays.map((a) => `[${a.shape.join(',')}]`).join(' and ')}`);
      }
      out.push({ name, kernel: kernel.data, kernelShape: kernel.shape, bias: bias.data, biasShape: bias.shape });
    }
    return out;
  } finally {
    f.close();
  }
}
