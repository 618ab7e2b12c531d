/** Test helper: writes small Keras-layout VGG weight files (.h5 via h5wasm, TF.js layers dirs) from raw layers. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadH5wasm } from '../../companion/src/weights/h5.js';
import type { RawLayer } from '../../companion/src/weights/validate.js';
import { VGG19_LAYERS } from '../../companion/src/engine/network/layers.js';

/** Deterministic random VGG-shaped raw layers: first `count` layers, `width` output channels each. */
export function makeRawLayers(count: number, width = 2, seed = 1): RawLayer[] {
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  let inC = 3;
  return VGG19_LAYERS.slice(0, count).map((l) => {
    const kernelShape = [3, 3, inC, width];
    inC = width;
    return {
      name: l.name,
      kernel: Float32Array.from({ length: 9 * kernelShape[2] * width }, rnd),
      kernelShape,
      bias: Float32Array.from({ length: width }, rnd),
      biasShape: [width],
    };
  });
}

/** Options to damage a written .h5 file for validation tests. */
export interface WriteH5Options {
  /** Layer names whose group gets no `weight_names` attribute. */
  omitWeightNames?: string[];
  /** Extra entries of the root `layer_names` (e.g. input_1, block1_pool) written as weightless groups. */
  extraLayers?: string[];
  /** Skip the root `layer_names` attribute. */
  omitLayerNames?: boolean;
  /** Write float64 datasets instead of float32. */
  float64?: boolean;
}

/** Writes raw layers as a Keras weights .h5 file (root `layer_names`, per-group `weight_names`, `<layer>_W_1:0`/`<layer>_b_1:0`). */
export async function writeKerasH5(file: string, layers: RawLayer[], opts: WriteH5Options = {}): Promise<void> {
  const h5 = await loadH5wasm();
  const f = new h5.File(file, 'w');
  try {
    const names = [...(opts.extraLayers ?? []), ...layers.map((l) => l.name)];
    if (!opts.omitLayerNames) f.create_attribute('layer_names', names);
    for (const extra of opts.extraLayers ?? []) {
      const g = f.create_group(extra);
      g.create_attribute('weight_names', [] as string[], [0], 'S10');
    }
    for (const l of layers) {
      const g = f.create_group(l.name);
      const w = `${l.name}_W_1:0`;
      const b = `${l.name}_b_1:0`;
      if (!opts.omitWeightNames?.includes(l.name)) g.create_attribute('weight_names', [w, b]);
      const dtype = opts.float64 ? '<d' : '<f';
      g.create_dataset({ name: w, data: opts.float64 ? Float64Array.from(l.kernel) : l.kernel, shape: l.kernelShape, dtype });
      g.create_dataset({ name: b, data: opts.float64 ? Float64Array.from(l.bias) : l.bias, shape: l.biasShape, dtype });
    }
  } finally {
    f.close();
  }
}

/** Writes raw layers as a TF.js layers-model directory (model.json + one shard per layer). */
export function writeTfjsDir(dir: string, layers: RawLayer[]): void {
  mkdirSync(dir, { recursive: true });
  const weightsManifest = layers.map((l, i) => {
    const shard = `group${i + 1}-shard1of1`;
    writeFileSync(path.join(dir, shard), Buffer.concat([Buffer.from(l.kernel.buffer, l.kernel.byteOffset, l.kernel.byteLength), Buffer.from(l.bias.buffer, l.bias.byteOffset, l.bias.byteLength)]));
    return {
      paths: [shard],
      weights: [
        { name: `${l.name}/kernel`, shape: l.kernelShape, dtype: 'float32' },
        { name: `${l.name}/bias`, shape: l.biasShape, dtype: 'float32' },
      ],
    };
  });
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest }));
}
