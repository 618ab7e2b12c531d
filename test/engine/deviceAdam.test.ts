/**
 * Adam on the device (onnx/ortDeviceAdam.ts: the loss, its gradient and Adam's projected step in
 * one graph, the image and moments fed from one run to the next) against Adam on the host (TF.js's
 * optimiser over the ORT objective on the same provider): the same iterates and losses (≤ 1e-3
 * relative) at an odd size with a small VGG. On the CPU provider always; on WebGPU (lavapipe in CI)
 * also that the state stays in gpu-buffer tensors, that stylize() takes this path and gives the host
 * path's result, and that no TF.js tensor, ORT session or device tensor is left after success,
 * failure and cancel. The WebGPU part skips with the reason without an adapter, and fails instead
 * when ATELIER_REQUIRE_WEBGPU=1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Vgg19 } from '../../companion/src/engine/network/vgg19.js';
import { chooseEvaluator, createScaleObjective, withOrtSetup } from '../../companion/src/engine/evaluate/chooseEvaluator.js';
import { createOrtDeviceAdam } from '../../companion/src/engine/optimise/onDevice/ortDeviceAdam.js';
import { createScaleRun, type ScaleRun } from '../../companion/src/engine/optimise/scaleRun.js';
import { stylize } from '../../companion/src/engine/stylize.js';
import { CancelledError } from '../../companion/src/engine/errors.js';
import { createAdam } from '../../companion/src/engine/optimise/adam.js';
import { PIXEL_BOX } from '../../companion/src/engine/optimise/box.js';
import { readScalars } from '../../companion/src/engine/optimise/types.js';
import { resolveLayers } from '../../companion/src/engine/loss/resolveLayers.js';
import { uninstallNavigatorGpu } from '../../companion/src/engine/runtime/backends/webgpu.js';
import { createOrtRuntime, type OrtProvider, type OrtRuntime } from '../../companion/src/engine/evaluate/onnx/ortRuntime.js';
import { parseStylizeParams, type StylizeParamsInput } from '../../shared/params.js';
import { loadOrt, requireOrt } from '../helpers/ortAvailable.js';
import { countingOrt } from '../helpers/countingOrt.js';
import { REQUIRE_WEBGPU, webgpuAvailability } from '../helpers/webgpuAvailable.js';
import { createSmallVggWeights } from '../helpers/smallVgg.js';
import { maxRelErr } from '../helpers/maxRelErr.js';

const available = await loadOrt('device Adam');
requireOrt('device Adam', available);
const webgpu = await webgpuAvailability();
uninstallNavigatorGpu(); // the probe's Dawn instance would keep the process alive; ORT has its own
if (!webgpu.available) console.log(`device Adam on WebGPU skipped: ${webgpu.reason}`);
describe.runIf(REQUIRE_WEBGPU && !webgpu.available)('device Adam on WebGPU (required)', () => {
  it('finds a WebGPU adapter', () => {
    throw new Error(`ATELIER_REQUIRE_WEBGPU=1 but webgpu is unavailable: ${webgpu.reason}`);
  });
});

const counted = available.ort ? countingOrt(available.ort) : undefined;
const runtimes = new Map<OrtProvider, OrtRuntime>();
const runtimeOn = (provider: OrtProvider) => runtimes.get(provider) ?? runtimes.set(provider, createOrtRuntime(counted!.ort, { threads: 2, provider })).get(provider)!;
let content: tf.Tensor3D;
let style: tf.Tensor3D;
let model: Vgg19;

beforeAll(async () => {
  await tf.setBackend('cpu');
  content = tf.randomUniform([37, 45, 3], 0, 255, 'float32', 1) as tf.Tensor3D;
  style = tf.randomUniform([40, 32, 3], 0, 255, 'float32', 2) as tf.Tensor3D;
  model = new Vgg19(createSmallVggWeights({ channels: 4, seed: 6 }));
});
afterAll(async () => {
  tf.dispose([content, style]);
  model?.dispose();
  for (const r of runtimes.values()) await r.dispose();
});

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
const adamParams = (p: StylizeParamsInput = {}) => parseStylizeParams({ size: 45, optimizer: 'adam', learningRate: 4, styleWeight: 1e3, tvWeight: 10, ...p });

const scaleOptions = (params = adamParams()) => ({ content, styles: [style], params, layers: resolveLayers(params, model.availableLayers) });

/** Loss totals after each of N iterations and the final image, with the loss there. */
interface Trace {
  /** Each iteration's loss (at the iterate it started from). */
  totals: number[];
  image: Float32Array;
  finalTotal: number;
}

/** N iterations of Adam on the host: TF.js's optimiser over the scale's ORT objective. */
async function hostAdam(runtime: OrtRuntime, iterations: number, init: tf.Tensor4D): Promise<Trace> {
  const opts = scaleOptions();
  const objective = await createScaleObjective(model, opts, runtime);
  const totalAt = async (x: tf.Tensor) => {
    const e = await objective.evaluate(x as tf.Tensor4D);
    const [loss] = await readScalars([e.loss, e.terms.content, e.terms.style, e.terms.tv]);
    return { loss, grad: e.grad };
  };
  const opt = createAdam(init, totalAt, { learningRate: opts.params.learningRate, bounds: PIXEL_BOX });
  try {
    const totals: number[] = [];
    for (let i = 0; i < iterations; i++) {
      await opt.step();
      totals.push(opt.last!.loss);
    }
    const final = await totalAt(opt.x);
    final.grad.dispose();
    return { totals, image: (await opt.x.data()) as Float32Array, finalTotal: final.loss };
  } finally {
    opt.dispose();
    objective.dispose();
  }
}

/** N iterations of a scale run; `onDevice` is how many device tensors it must hold after each step. */
async function traceRun(run: ScaleRun, iterations: number, onDevice: number): Promise<Trace> {
  try {
    const totals: number[] = [];
    for (let i = 0; i < iterations; i++) {
      await run.step();
      totals.push(run.terms.total);
      expect(counted!.onDevice()).toBe(onDevice);
    }
    const image = await run.image();
    const finalTotal = (await run.termsAt(image)).total;
    return { totals, image: (await image.data()) as Float32Array, finalTotal };
  } finally {
    run.dispose();
  }
}

function expectSameTrace(device: Trace, host: Trace, label: string): void {
  const worstTotal = Math.max(...device.totals.map((t, i) => relative(t, host.totals[i])), relative(device.finalTotal, host.finalTotal));
  const image = maxRelErr(device.image, host.image);
  console.log(`${label}: losses ${worstTotal.toExponential(2)}, image ${image.toExponential(2)} (relative to the host path)`);
  expect(host.totals.at(-1)).toBeLessThan(host.totals[0]); // the runs compared actually descend
  expect(worstTotal).toBeLessThan(1e-3);
  expect(image).toBeLessThan(1e-3);
}

/** The same N iterations on the device and on the host, from the same image; nothing left behind. */
async function compareWithHost(provider: OrtProvider, onDevice: number): Promise<void> {
  const runtime = runtimeOn(provider);
  const before = { tensors: tf.memory().numTensors, sessions: counted!.open() };
  const init = tf.randomUniform([1, 37, 45, 3], -20, 275, 'float32', 5) as tf.Tensor4D; // partly outside the box: the first projection counts too
  try {
    const opts = scaleOptions();
    const run =
      provider === 'webgpu'
        ? await createScaleRun(model, { ...opts, init, planned: 6 }, runtime)
        : await withOrtSetup(model, opts, runtime, (setup) => createOrtDeviceAdam(runtime.context(model), setup, { adam: { learningRate: opts.params.learningRate, bounds: PIXEL_BOX }, init }));
    const device = await traceRun(run, 6, onDevice);
    expectSameTrace(device, await hostAdam(runtime, 6, init), `device Adam on ${provider}`);
  } finally {
    init.dispose();
  }
  await new Promise((r) => setTimeout(r, 10)); // releases are asynchronous
  expect(tf.memory().numTensors).toBe(before.tensors);
  expect(counted!.open()).toBe(before.sessions);
  expect(counted!.onDevice()).toBe(0);
}

describe.skipIf(!available.ort)('Adam on the device', () => {
  it('is chosen for Adam at untiled scales on WebGPU only', () => {
    const layers = ['block4_conv2', 'block1_conv1', 'block5_conv1'];
    const on = (provider: OrtProvider, p: StylizeParamsInput) => chooseEvaluator(model, runtimeOn(provider), 37, 45, { params: adamParams(p), layers }).adamOnDevice;
    expect(on('webgpu', {})).toBe(true);
    expect(on('webgpu', { optimizer: 'lbfgs' })).toBe(false);
    expect(on('webgpu', { tile: 24 })).toBe(false);
    expect(on('cpu', {})).toBe(false);
    expect(chooseEvaluator(model, undefined, 37, 45, { params: adamParams(), layers }).adamOnDevice).toBe(false);
  });

  it('on the CPU provider (state in host memory), 6 iterations match TF.js Adam over the ORT objective', async () => {
    await compareWithHost('cpu', 0);
  });
});

describe.skipIf(!available.ort || !webgpu.available)('Adam on the device: WebGPU', () => {
  it('keeps x, m and v in gpu-buffer tensors, and 6 iterations match TF.js Adam over the WebGPU objective', async () => {
    console.log(`WebGPU adapter: ${webgpu.device}${webgpu.software ? ' (software)' : ''}`);
    await compareWithHost('webgpu', 3);
  });

  it('stylize() takes it, gives the host path\'s result (previews, two scales), and leaks nothing after success, failure and cancel', async () => {
    const before = { tensors: tf.memory().numTensors, sessions: counted!.open() };
    const params = adamParams({ iterations: 4, scales: 2, previewEvery: 2 });
    const previews: number[] = [];
    const onDevice = await stylize(model, { content, styles: [style], params, onProgress: (p) => p.preview && previews.push(p.iteration) }, runtimeOn('webgpu'));
    const onHost = await stylize(model, { content, styles: [style], params }, runtimeOn('cpu'));
    try {
      expect(previews).toEqual([1, 2, 4, 6, 8, 1, 2, 4]);
      expect(onDevice.evaluations).toBe(onHost.evaluations);
      expect(relative(onDevice.losses.total, onHost.losses.total)).toBeLessThan(1e-3);
      expect(maxRelErr((await onDevice.image.data()) as Float32Array, (await onHost.image.data()) as Float32Array)).toBeLessThan(1e-3);
    } finally {
      tf.dispose([onDevice.image, onHost.image]);
    }

    const ctrl = new AbortController();
    const cancelled = stylize(model, { content, styles: [style], params: adamParams({ iterations: 50 }), signal: ctrl.signal, onProgress: (p) => p.iteration === 2 && ctrl.abort() }, runtimeOn('webgpu'));
    await expect(cancelled).rejects.toBeInstanceOf(CancelledError);
    const failing = stylize(model, { content, styles: [style], params: adamParams({ iterations: 50, previewEvery: 1 }), onProgress: (p) => {
      if (p.iteration === 3) throw new Error('the listener failed');
    } }, runtimeOn('webgpu'));
    await expect(failing).rejects.toThrow('the listener failed');

    await new Promise((r) => setTimeout(r, 10));
    expect(tf.memory().numTensors).toBe(before.tensors);
    expect(counted!.open()).toBe(before.sessions);
    expect(counted!.onDevice()).toBe(0);
  });
});
