/** Weights loading: real Keras .h5 vs TF.js files from ../shared, and validation errors on generated files. */
import { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  describeLayers,
  disposeWeights,
  loadWeights,
  WeightsError,
  type RawLayer,
} from '../../companion/src/weights/index.js';
import { makeRawLayers, writeKerasH5, writeTfjsDir } from '../helpers/kerasH5.js';
import { sharedMissing, sharedPath } from '../helpers/sharedData.js';

const SHARED_MODEL = sharedPath('models/vgg19-block1-3');
const SHARED_H5 = path.join(SHARED_MODEL, 'vgg19_block1-3_notop.h5');
const sharedAbsent = sharedMissing('models/vgg19-block1-3/vgg19_block1-3_notop.h5', 'models/vgg19-block1-3/model.json');

const dir = mkdtempSync(path.join(tmpdir(), 'atelier-weights-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const tmp = (name: string): string => path.join(dir, `${n++}-${name}`);

async function expectBad(source: string, pattern: RegExp, code = 'bad_weights'): Promise<void> {
  const base = tf.memory().numTensors;
  const err = await loadWeights(source).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WeightsError);
  expect((err as WeightsError).code).toBe(code);
  expect((err as Error).message).toMatch(pattern);
  expect((err as Error).message).not.toContain('\n');
  expect(tf.memory().numTensors).toBe(base);
}

async function h5With(layers: RawLayer[], opts: Parameters<typeof writeKerasH5>[2] = {}): Promise<string> {
  const f = tmp('w.h5');
  await writeKerasH5(f, layers, opts);
  return f;
}

describe('real VGG-19 block1-3 weights from ../shared', () => {
  it('the .h5 and TF.js loaders give identical tensors with the right shapes', async (ctx) => {
    if (sharedAbsent) return ctx.skip(sharedAbsent);
    const base = tf.memory().numTensors;
    const h5 = await loadWeights(SHARED_H5);
    const js = await loadWeights(SHARED_MODEL);
    try {
      const expected = ['block1_conv1', 'block1_conv2', 'block2_conv1', 'block2_conv2', 'block3_conv1', 'block3_conv2', 'block3_conv3', 'block3_conv4'];
      expect(h5.layers).toEqual(expected);
      expect(js.layers).toEqual(expected);
      expect([...h5.weights.keys()]).toEqual(expected);
      expect([h5.format, js.format]).toEqual(['keras-h5', 'tfjs-layers']);
      expect(h5.source).toBe(SHARED_H5);
      const channels = [64, 64, 128, 128, 256, 256, 256, 256];
      let inC = 3;
      expected.forEach((name, i) => {
        const a = h5.weights.get(name)!;
        const b = js.weights.get(name)!;
        expect(a.kernel.shape).toEqual([3, 3, inC, channels[i]]);
        expect(a.bias.shape).toEqual([channels[i]]);
        expect(b.kernel.shape).toEqual(a.kernel.shape);
        const ka = a.kernel.dataSync();
        const kb = b.kernel.dataSync();
        let maxDiff = 0;
        for (let j = 0; j < ka.length; j++) maxDiff = Math.max(maxDiff, Math.abs(ka[j] - kb[j]));
        const ba = a.bias.dataSync();
        const bb = b.bias.dataSync();
        for (let j = 0; j < ba.length; j++) maxDiff = Math.max(maxDiff, Math.abs(ba[j] - bb[j]));
        expect(maxDiff).toBe(0);
        inC = channels[i];
      });
      // Real weights, not zeros.
      const k = h5.weights.get('block1_conv1')!.kernel.dataSync();
      expect(Math.max(...Array.from(k).map(Math.abs))).toBeGreaterThan(0.1);
      expect(describeLayers(h5.layers)).toBe('block1_conv1..block3_conv4 (8 layers)');
      // model.json given directly also works.
      const direct = await loadWeights(path.join(SHARED_MODEL, 'model.json'));
      expect(direct.layers).toEqual(expected);
      disposeWeights(direct.weights);
    } finally {
      disposeWeights(h5.weights);
      disposeWeights(js.weights);
    }
    expect(tf.memory().numTensors).toBe(base);
  });
});

describe('generated Keras .h5 files', () => {
  it('reads a partial model with weightless layers (input, pooling) and exact values', async () => {
    const layers = makeRawLayers(3, 2);
    const f = await h5With(layers, { extraLayers: ['input_1', 'block1_pool'] });
    const base = tf.memory().numTensors;
    const w = await loadWeights(f);
    expect(w.layers).toEqual(['block1_conv1', 'block1_conv2', 'block2_conv1']);
    expect(w.format).toBe('keras-h5');
    expect(Array.from(w.weights.get('block1_conv2')!.kernel.dataSync())).toEqual(Array.from(layers[1].kernel));
    expect(Array.from(w.weights.get('block2_conv1')!.bias.dataSync())).toEqual(Array.from(layers[2].bias));
    expect(tf.memory().numTensors).toBe(base + 6);
    disposeWeights(w.weights);
    expect(tf.memory().numTensors).toBe(base);
  });

  it('layer order in the file does not matter; the result is in VGG-19 order', async () => {
    const layers = makeRawLayers(3, 2);
    const w = await loadWeights(await h5With([layers[2], layers[0], layers[1]]));
    expect([...w.weights.keys()]).toEqual(['block1_conv1', 'block1_conv2', 'block2_conv1']);
    disposeWeights(w.weights);
  });

  it('converts float64 datasets and ignores the classifier head (fc1)', async () => {
    const layers = makeRawLayers(2, 3);
    const fc1: RawLayer = { name: 'fc1', kernel: new Float32Array(6), kernelShape: [2, 3], bias: new Float32Array(3), biasShape: [3] };
    const w = await loadWeights(await h5With([...layers, fc1], { float64: true }));
    expect(w.layers).toEqual(['block1_conv1', 'block1_conv2']);
    expect(Array.from(w.weights.get('block1_conv1')!.bias.dataSync())).toEqual(Array.from(layers[0].bias));
    disposeWeights(w.weights);
  });

  it('bad_weights: a group without weight_names', async () => {
    await expectBad(await h5With(makeRawLayers(2), { omitWeightNames: ['block1_conv2'] }), /block1_conv2 has no attribute "weight_names"/);
  });

  it('bad_weights: no root layer_names', async () => {
    await expectBad(await h5With(makeRawLayers(2), { omitLayerNames: true }), /layer_names/);
  });

  it('bad_weights: kernel that is not 3x3', async () => {
    const layers = makeRawLayers(2);
    layers[0] = { ...layers[0], kernel: new Float32Array(5 * 5 * 3 * 2), kernelShape: [5, 5, 3, 2] };
    await expectBad(await h5With(layers), /block1_conv1: kernel shape \[5,5,3,2\] is not \[3,3,in,out\]/);
  });

  it('bad_weights: channels that do not chain', async () => {
    const layers = makeRawLayers(2, 2);
    layers[1] = { ...layers[1], kernel: new Float32Array(9 * 4 * 2), kernelShape: [3, 3, 4, 2] };
    await expectBad(await h5With(layers), /block1_conv2: kernel shape \[3,3,4,2\] takes 4 input channels, but block1_conv1 outputs 2/);
  });

  it('bad_weights: the first layer does not take RGB', async () => {
    const layers = makeRawLayers(1, 2);
    layers[0] = { ...layers[0], kernel: new Float32Array(9 * 4 * 2), kernelShape: [3, 3, 4, 2] };
    await expectBad(await h5With(layers), /the RGB input has 3/);
  });

  it('bad_weights: bias that does not match the kernel', async () => {
    const layers = makeRawLayers(1, 2);
    layers[0] = { ...layers[0], bias: new Float32Array(5), biasShape: [5] };
    await expectBad(await h5With(layers), /bias shape \[5\] does not match/);
  });

  it('bad_weights: a gap in the layers', async () => {
    const layers = makeRawLayers(3, 2);
    await expectBad(await h5With([layers[0], layers[2]]), /block1_conv2 is missing/);
  });

  it('bad_weights: unknown layer with weights', async () => {
    const layers = makeRawLayers(1, 2);
    const odd = { ...makeRawLayers(1, 2)[0], name: 'dense_7' };
    await expectBad(await h5With([...layers, odd]), /unknown layer "dense_7"/);
  });

  it('bad_weights: NaN values', async () => {
    const layers = makeRawLayers(1, 2);
    layers[0].kernel[3] = NaN;
    await expectBad(await h5With(layers), /NaN/);
  });

  it('bad_weights: a truncated .h5 names the HDF5 reason', async () => {
    const full = await h5With(makeRawLayers(3, 16));
    const f = tmp('truncated.h5');
    const bytes = readFileSync(full);
    writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectBad(f, /could not be opened \(File has been truncated\)/);
  });

  it('bad_weights: a text file named .h5; weights_not_found: a missing path', async () => {
    const f = tmp('notes.h5');
    writeFileSync(f, 'not hdf5 at all\n');
    await expectBad(f, /not a Keras \.h5 file or a TF\.js layers-model directory/);
    await expectBad(tmp('missing.h5'), /does not exist/, 'weights_not_found');
  });
});

describe('TF.js layers-model directories', () => {
  it('a generated directory loads with the same values as the .h5', async () => {
    const layers = makeRawLayers(4, 3, 7);
    const d = tmp('tfjs');
    writeTfjsDir(d, layers);
    const f = await h5With(layers);
    const a = await loadWeights(d);
    const b = await loadWeights(f);
    expect(a.format).toBe('tfjs-layers');
    expect(a.layers).toEqual(b.layers);
    for (const name of a.layers) {
      expect(Array.from(a.weights.get(name)!.kernel.dataSync())).toEqual(Array.from(b.weights.get(name)!.kernel.dataSync()));
    }
    disposeWeights(a.weights);
    disposeWeights(b.weights);
  });

  it('reads several weights and several shards per group', async () => {
    const layers = makeRawLayers(2, 2);
    const d = tmp('tfjs-multi');
    mkdirSync(d);
    const all = Buffer.concat(layers.flatMap((l) => [Buffer.from(l.kernel.buffer), Buffer.from(l.bias.buffer)]));
    writeFileSync(path.join(d, 'g-shard1of2'), all.subarray(0, 101)); // split at an odd, unaligned offset
    writeFileSync(path.join(d, 'g-shard2of2'), all.subarray(101));
    const weights = layers.flatMap((l) => [
      { name: `${l.name}/kernel`, shape: l.kernelShape, dtype: 'float32' },
      { name: `${l.name}/bias`, shape: l.biasShape, dtype: 'float32' },
    ]);
    writeFileSync(path.join(d, 'model.json'), JSON.stringify({ weightsManifest: [{ paths: ['g-shard1of2', 'g-shard2of2'], weights }] }));
    const w = await loadWeights(d);
    expect(Array.from(w.weights.get('block1_conv2')!.kernel.dataSync())).toEqual(Array.from(layers[1].kernel));
    disposeWeights(w.weights);
  });

  it('bad_weights: missing shard, short shard, path escaping the directory, no manifest, bad JSON', async () => {
    const layers = makeRawLayers(2, 2);
    const missing = tmp('tfjs-missing');
    writeTfjsDir(missing, layers);
    rmSync(path.join(missing, 'group2-shard1of1'));
    await expectBad(missing, /shard file group2-shard1of1 named in model\.json is missing/);

    const short = tmp('tfjs-short');
    writeTfjsDir(short, layers);
    const shard = path.join(short, 'group1-shard1of1');
    writeFileSync(shard, readFileSync(shard).subarray(0, 20));
    await expectBad(short, /too short/);

    const escape = tmp('tfjs-escape');
    writeTfjsDir(escape, layers);
    const m = JSON.parse(readFileSync(path.join(escape, 'model.json'), 'utf8'));
    m.weightsManifest[0].paths = ['../secret'];
    writeFileSync(path.join(escape, 'model.json'), JSON.stringify(m));
    await expectBad(escape, /must be a plain relative file name/);

    const noManifest = tmp('tfjs-nomanifest');
    mkdirSync(noManifest);
    writeFileSync(path.join(noManifest, 'model.json'), '{"modelTopology":{}}');
    await expectBad(noManifest, /no "weightsManifest"/);

    const badJson = tmp('tfjs-badjson');
    mkdirSync(badJson);
    writeFileSync(path.join(badJson, 'model.json'), '{oops');
    await expectBad(badJson, /not valid JSON/);

    await expectBad(dir, /no model\.json/);
  });

  it('bad_weights: shape problems are caught the same way as for .h5', async () => {
    const layers = makeRawLayers(2, 2);
    layers[1] = { ...layers[1], kernel: new Float32Array(9 * 5 * 2), kernelShape: [3, 3, 5, 2] };
    const d = tmp('tfjs-chain');
    writeTfjsDir(d, layers);
    await expectBad(d, /takes 5 input channels, but block1_conv1 outputs 2/);
  });
});

describe('describeLayers', () => {
  it('summarises a layer list', () => {
    expect(describeLayers([])).toBe('no layers');
    expect(describeLayers(['block1_conv1'])).toBe('block1_conv1 (1 layer)');
    expect(describeLayers(['block1_conv1', 'block1_conv2'])).toBe('block1_conv1..block1_conv2 (2 layers)');
    const all = makeRawLayers(16).map((l) => l.name);
    expect(describeLayers(all)).toBe('block1_conv1..block5_conv4 (16 layers, complete VGG-19)');
  });
});
