/**
 * The `onnx` accelerator (ONNX Runtime CPU kernels, companion/src/engine/onnx/): the hand-written
 * backward graph gives the same loss terms and gradient as TF.js's autodiff on the cpu backend,
 * for max and average pooling, odd sizes, several content/style layers; and it leaks no tensor.
 * Skips with the reason when onnxruntime-node cannot load (an optional dependency), and fails
 * instead when ATELIER_REQUIRE_ONNX=1 (.ci/run sets it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Vgg19 } from '../../companion/src/engine/vgg19.js';
import { createObjective, disposeEvaluation, type Evaluation } from '../../companion/src/engine/objective.js';
import { stylize } from '../../companion/src/engine/stylize.js';
import { CancelledError } from '../../companion/src/engine/errors.js';
import type { ObjectiveAccelerator } from '../../companion/src/engine/accelerator.js';
import { createOrtAccelerator } from '../../companion/src/engine/onnx/ortObjective.js';
import { loadOrt, requireOrt } from '../helpers/ortAvailable.js';
import { parseStylizeParams, type StylizeParamsInput } from '../../shared/params.js';
import { createSmallVggWeights } from '../helpers/smallVgg.js';
import { maxRelErr } from '../helpers/maxRelErr.js';

const available = await loadOrt('onnx accelerator');
const ort = available.ort;
requireOrt('onnx accelerator', available);

let accelerator: ObjectiveAccelerator;
let content: tf.Tensor3D;
let style: tf.Tensor3D;

beforeAll(async () => {
  await tf.setBackend('cpu');
  if (ort) accelerator = createOrtAccelerator(ort, { threads: 2 });
  content = tf.randomUniform([37, 45, 3], 0, 255, 'float32', 1) as tf.Tensor3D;
  style = tf.randomUniform([40, 32, 3], 0, 255, 'float32', 2) as tf.Tensor3D;
});
afterAll(async () => {
  tf.dispose([content, style]);
  await accelerator?.dispose();
});

interface Read {
  loss: number;
  terms: number[];
  grad: Float32Array;
}

async function read(e: Evaluation): Promise<Read> {
  const r = {
    loss: (await e.loss.data())[0],
    terms: [(await e.terms.content.data())[0], (await e.terms.style.data())[0], (await e.terms.tv.data())[0]],
    grad: (await e.grad.data()) as Float32Array,
  };
  disposeEvaluation(e);
  return r;
}

/** Loss, terms and gradient through TF.js and through the accelerator, same weights, same image. */
async function both(p: StylizeParamsInput, seed: number, opts: { accelerator?: ObjectiveAccelerator; flat?: boolean } = {}): Promise<{ ref: Read; acc: Read }> {
  const params = parseStylizeParams({ size: 45, styleWeight: 1e3, tvWeight: 10, ...p });
  // flat: a constant image with one bright square, so that pooling windows hold equal maxima.
  const x = opts.flat
    ? (tf.tidy(() => tf.pad(tf.fill([1, 9, 9, 3], 220), [[0, 0], [10, 18], [12, 24], [0, 0]], 90)) as tf.Tensor4D)
    : (tf.randomUniform([1, 37, 45, 3], 0, 255, 'float32', seed) as tf.Tensor4D);
  const plain = new Vgg19(createSmallVggWeights({ channels: 4, seed }));
  const fast = new Vgg19(createSmallVggWeights({ channels: 4, seed }), { accelerator: opts.accelerator ?? accelerator });
  try {
    const a = await createObjective(plain, { content, styles: [style], params });
    const b = await createObjective(fast, { content, styles: [style], params });
    const ref = await read(await a.evaluate(x));
    const acc = await read(await b.evaluate(x));
    a.dispose();
    b.dispose();
    return { ref, acc };
  } finally {
    plain.dispose();
    fast.dispose();
    x.dispose();
  }
}

function expectSame({ ref, acc }: { ref: Read; acc: Read }): void {
  console.log(`onnx vs tfjs: loss ${Math.abs(acc.loss - ref.loss) / ref.loss}, grad ${maxRelErr(acc.grad, ref.grad)}`);
  expect(Math.abs(acc.loss - ref.loss) / ref.loss).toBeLessThan(1e-4);
  for (let i = 0; i < 3; i++) expect(Math.abs(acc.terms[i] - ref.terms[i]) / Math.max(ref.terms[i], 1e-12)).toBeLessThan(1e-4);
  expect(maxRelErr(acc.grad, ref.grad)).toBeLessThan(1e-4);
}

describe.skipIf(!ort)('onnx accelerator', () => {
  it('max pooling, default layers (conv4_2; conv1_1..conv5_1), odd size', async () => {
    expectSame(await both({}, 3));
  });

  it('average pooling, several content layers, weighted layers', async () => {
    expectSame(
      await both(
        { pooling: 'avg', contentLayers: ['conv2_2', 'conv4_2'], contentLayerWeights: [1, 3], styleLayers: ['conv1_1', 'conv3_1', 'conv5_1'], styleLayerWeights: [3, 2, 1] },
        4,
      ),
    );
  });

  it('computes the targets\' features (forward-only graph) as TF.js does, max and avg pooling', async () => {
    const model = new Vgg19(createSmallVggWeights({ channels: 4, seed: 11 }));
    const image = tf.expandDims(content, 0) as tf.Tensor4D;
    const layers = ['block1_conv1', 'block3_conv2', 'block5_conv1'];
    try {
      for (const pooling of ['max', 'avg'] as const) {
        const a = await model.featuresOf(image, layers, pooling);
        const b = await accelerator.features(model, image, layers, pooling);
        for (const l of layers) {
          expect(b.get(l)!.shape).toEqual(a.get(l)!.shape);
          expect(maxRelErr((await b.get(l)!.data()) as Float32Array, (await a.get(l)!.data()) as Float32Array)).toBeLessThan(1e-5);
        }
        tf.dispose([...a.values(), ...b.values()]);
      }
    } finally {
      image.dispose();
      model.dispose();
    }
  });

  it('the TV term alone (its loss and gradient are in the graph too)', async () => {
    expectSame(await both({ contentWeight: 0, styleWeight: 0, tvWeight: 1 }, 9));
  });

  it('first-maximum masks (the WebGPU provider\'s max-pool backward) match too, ties included', async () => {
    const masked = createOrtAccelerator(ort!, { threads: 2, maxPoolBackward: 'mask' });
    expectSame(await both({}, 7, { accelerator: masked }));
    expectSame(await both({}, 8, { accelerator: masked, flat: true }));
    expectSame(await both({}, 8, { flat: true }));
  });

  it('leaks no tensor over creation, evaluations and disposal', async () => {
    const before = tf.memory().numTensors;
    await both({}, 5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stylize() through the accelerator gives the TF.js result, and leaks nothing after success, failure and cancel', async () => {
    const before = tf.memory().numTensors;
    const params = parseStylizeParams({ size: 45, iterations: 4, styleWeight: 1e3, scales: 2 });
    const plain = new Vgg19(createSmallVggWeights({ channels: 4, seed: 6 }));
    const fast = new Vgg19(createSmallVggWeights({ channels: 4, seed: 6 }), { accelerator });
    try {
      const a = await stylize(plain, { content, styles: [style], params });
      const b = await stylize(fast, { content, styles: [style], params });
      expect(b.evaluations).toBe(a.evaluations);
      expect(Math.abs(b.losses.total - a.losses.total) / a.losses.total).toBeLessThan(1e-3);
      expect(maxRelErr((await b.image.data()) as Float32Array, (await a.image.data()) as Float32Array)).toBeLessThan(1e-3);
      tf.dispose([a.image, b.image]);

      const ctrl = new AbortController();
      const run = stylize(fast, { content, styles: [style], params: parseStylizeParams({ size: 45, iterations: 50 }), signal: ctrl.signal, onProgress: (p) => p.iteration === 2 && ctrl.abort() });
      await expect(run).rejects.toBeInstanceOf(CancelledError);

      // Fails after the accelerated objective exists: init 'image' without an image.
      await expect(stylize(fast, { content, styles: [style], params: parseStylizeParams({ size: 45, init: 'image' }) })).rejects.toThrow(/init/);
    } finally {
      plain.dispose();
      fast.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
