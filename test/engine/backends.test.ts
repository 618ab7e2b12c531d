/**
 * Backends: `auto` chooses and explains; cpu, wasm and webgpu agree on the Gatys loss and its
 * gradient (≤1e-4 relative) on a small VGG-shaped model. The webgpu part skips with the reason when
 * there is no adapter, and fails instead when ATELIER_REQUIRE_WEBGPU=1; it also checks the tiled
 * objective (4 tiles) against the untiled cpu reference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, describeBackend, tfBackendOf, type BackendInfo, type ConcreteBackend } from '../../companion/src/engine/runtime/backend.js';
import { CONCRETE_BACKENDS } from '../../companion/src/engine/runtime/backendNames.js';
import { cudaProviderMissing, importOrt } from '../../companion/src/engine/runtime/backends/onnx.js';
import { EngineError } from '../../companion/src/engine/errors.js';
import { VGG19_LAYERS } from '../../companion/src/engine/network/layers.js';
import { Vgg19 } from '../../companion/src/engine/network/vgg19.js';
import { createObjective, disposeEvaluation } from '../../companion/src/engine/evaluate/objective.js';
import { createTiledObjective } from '../../companion/src/engine/evaluate/tiledObjective.js';
import type { OrtRuntime } from '../../companion/src/engine/evaluate/onnx/ortRuntime.js';
import { createScaleObjective } from '../../companion/src/engine/evaluate/chooseEvaluator.js';
import { parseStylizeParams } from '../../shared/params.js';
import type { VggWeights } from '../../companion/src/engine/types.js';
import { REQUIRE_WEBGPU, webgpuAvailability } from '../helpers/webgpuAvailable.js';
import { maxRelErr } from '../helpers/maxRelErr.js';

/** Deterministic pseudo-random numbers (mulberry32), identical on every backend. */
function randomArray(n: number, seed: number, scale: number, offset = 0): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale + offset;
  }
  return out;
}

/** A VGG-19-shaped model with `base` channels in block 1 (doubling to 8·base), as plain arrays. */
function smallModelArrays(base: number): Array<{ name: string; shape: [number, number, number, number]; kernel: Float32Array; bias: Float32Array }> {
  const width = (c: number) => Math.max(1, Math.round((c / 64) * base));
  return VGG19_LAYERS.map((layer, i) => {
    const cin = layer.inChannels === 3 ? 3 : width(layer.inChannels);
    const cout = width(layer.outChannels);
    const shape: [number, number, number, number] = [3, 3, cin, cout];
    return {
      name: layer.name,
      shape,
      kernel: randomArray(9 * cin * cout, 100 + i, Math.sqrt(6 / (9 * cin))),
      bias: randomArray(cout, 200 + i, 0.1),
    };
  });
}

const SIZE = 32;
const MODEL = smallModelArrays(4);
const CONTENT = randomArray(SIZE * SIZE * 3, 1, 127.5, 127.5);
const STYLE = randomArray(SIZE * SIZE * 3, 2, 127.5, 127.5);
const IMAGE = randomArray(SIZE * SIZE * 3, 3, 127.5, 127.5);

interface Result {
  loss: number;
  terms: [number, number, number];
  grad: Float32Array;
}

/**
 * Loss, terms and gradient of the default objective on the active backend (evaluated in tiles of
 * `tile` px when given, see tiledObjective.ts); leaves no tensors behind.
 */
async function evaluateOnActiveBackend(tile = 0, runtime?: OrtRuntime): Promise<Result> {
  const before = tf.memory().numTensors;
  const weights: VggWeights = new Map(MODEL.map((l) => [l.name, { kernel: tf.tensor4d(l.kernel, l.shape), bias: tf.tensor1d(l.bias) }]));
  const model = new Vgg19(weights);
  const content = tf.tensor3d(CONTENT, [SIZE, SIZE, 3]);
  const style = tf.tensor3d(STYLE, [SIZE, SIZE, 3]);
  const x = tf.tensor4d(IMAGE, [1, SIZE, SIZE, 3]);
  const params = parseStylizeParams({ size: SIZE, styleWeight: 1e4, tvWeight: 1 });
  const options = { content, styles: [style], params };
  const objective = runtime
    ? await createScaleObjective(model, { ...options, params: { ...params, tile } }, runtime)
    : tile > 0
      ? await createTiledObjective(model, { ...options, tile })
      : await createObjective(model, options);
  const e = await objective.evaluate(x);
  const result: Result = {
    loss: (await e.loss.data())[0],
    terms: [(await e.terms.content.data())[0], (await e.terms.style.data())[0], (await e.terms.tv.data())[0]],
    grad: (await e.grad.data()) as Float32Array,
  };
  disposeEvaluation(e);
  objective.dispose();
  model.dispose();
  tf.dispose([content, style, x]);
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

function relative(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
}

function expectAgreement(got: Result, ref: Result): void {
  expect(relative(got.loss, ref.loss)).toBeLessThanOrEqual(1e-4);
  for (let i = 0; i < 3; i++) expect(relative(got.terms[i], ref.terms[i])).toBeLessThanOrEqual(1e-4);
  expect(maxRelErr(got.grad, ref.grad)).toBeLessThanOrEqual(1e-4);
}

describe('backends', () => {
  const started = new Map<ConcreteBackend, BackendInfo>();
  let reference: Result;

  async function use(name: ConcreteBackend): Promise<BackendInfo> {
    const info = started.get(name) ?? (await initBackend(name));
    started.set(name, info);
    expect(await tf.setBackend(tfBackendOf(name))).toBe(true);
    return info;
  }

  beforeAll(async () => {
    await use('cpu');
    reference = await evaluateOnActiveBackend();
    expect(Number.isFinite(reference.loss) && reference.loss > 0).toBe(true);
  });

  afterAll(async () => {
    for (const info of started.values()) await info.shutdown();
  });

  it('auto picks an available backend, says which, and why the others were skipped', async () => {
    const info = await initBackend('auto');
    started.set(info.name, info);
    expect(tf.getBackend()).toBe(tfBackendOf(info.name));
    expect(info.device.length).toBeGreaterThan(0);
    console.log(`auto: ${describeBackend(info)}`);
    const skipped = new Map(info.skipped.map((s) => [s.name, s.reason]));
    expect([...skipped.keys()].sort()).toEqual(CONCRETE_BACKENDS.filter((n) => n !== info.name).sort());
    for (const name of CONCRETE_BACKENDS) {
      if (name !== info.name) expect(skipped.get(name), `reason for ${name}`).toBeTruthy();
    }
    // onnx-cuda comes first and is passed over (CUDA's libraries are not here) with what is missing and the fix.
    const cudaMissing = cudaProviderMissing();
    if (cudaMissing) {
      expect(info.skipped[0]).toEqual({ name: 'onnx-cuda', reason: cudaMissing });
      expect(cudaMissing).toMatch(/missing \(run: atelier gpu install cuda\)|not installed: npm install onnxruntime-node/);
    }
    // Without a hardware GPU adapter, the first CPU backend that starts wins: onnx, where ONNX Runtime is installed.
    const adapter = await webgpuAvailability();
    if (cudaMissing && !(adapter.available && !adapter.software) && (await importOrt().then(() => true, () => false))) {
      expect(info.name).toBe('onnx');
      // No adapter: both WebGPU backends give the probe's reason; a software one: they come after the CPU backends.
      if (adapter.available) expect(skipped.get('webgpu')).toMatch(/^not tried: onnx comes first \(software adapter \(.*\), slower than the CPU backends\)$/);
      else expect(adapter.reason).toContain(skipped.get('webgpu'));
      expect(skipped.get('onnx-webgpu')).toBe(skipped.get('webgpu'));
      expect(skipped.get('wasm')).toBe('not tried: onnx comes first');
    } else console.log('auto: not checked that onnx wins (a GPU, CUDA, or no ONNX Runtime here)');
    // tfjs-node(-gpu) are opt-in installs and are not installed here.
    if (info.name !== 'cuda' && info.name !== 'native') {
      expect(skipped.get('cuda')).toBe('not installed: npm install @tensorflow/tfjs-node-gpu');
      expect(skipped.get('native')).toBe('not installed: npm install @tensorflow/tfjs-node');
    }
  });

  it('a named backend that cannot start is an EngineError backend_unavailable with the reason', async () => {
    const err = await initBackend('cuda').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('backend_unavailable');
    expect((err as EngineError).message).toContain('npm install @tensorflow/tfjs-node-gpu');
    await expect(initBackend('metal' as never)).rejects.toMatchObject({ code: 'bad_input' });
  });

  it('wasm (threaded, SIMD) agrees with cpu on loss and gradient', async () => {
    const info = await use('wasm');
    expect(info.device).toMatch(/wasm SIMD, \d+ threads?/);
    expectAgreement(await evaluateOnActiveBackend(), reference);
  });

  it('onnx (ONNX Runtime CPU kernels for the loss, untiled and tiled; wasm for the rest) agrees with cpu on loss and gradient', async () => {
    const info = await use('onnx');
    expect(info.device).toMatch(/ONNX Runtime [\d.]+ \(CPU, \d+ threads?\) \+ TF\.js wasm/);
    expect(info.runtime).toBeDefined();
    expectAgreement(await evaluateOnActiveBackend(0, info.runtime), reference);
    // Tile by tile, as ONNX Runtime pass graphs.
    expectAgreement(await evaluateOnActiveBackend(16, info.runtime), reference);
  });

  it('wasm with one thread starts the plain SIMD build', async () => {
    // The threaded module is already loaded in this process; a fresh process checks the single-threaded build.
    const { execFileSync } = await import('node:child_process');
    const script = [
      "import { initBackend } from './companion/src/engine/runtime/backend.ts';",
      'const info = await initBackend("wasm", { wasmThreads: 1 });',
      'console.log(info.device); await info.shutdown();',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(out).toMatch(/wasm SIMD, 1 thread\b/);
  });

  it('webgpu agrees with cpu on loss and gradient (skips without an adapter unless ATELIER_REQUIRE_WEBGPU=1)', async (ctx) => {
    const probe = await webgpuAvailability();
    if (!probe.available) {
      if (REQUIRE_WEBGPU) throw new Error(`ATELIER_REQUIRE_WEBGPU=1 but webgpu is unavailable: ${probe.reason}`);
      console.log(`webgpu skipped: ${probe.reason}`);
      ctx.skip();
      return;
    }
    const info = await use('webgpu');
    console.log(`webgpu on ${info.device}${info.software ? ' (software)' : ''}`);
    expectAgreement(await evaluateOnActiveBackend(), reference);
    // The tiled objective accumulates its gradient on the device (no synchronous read-back on WebGPU).
    expectAgreement(await evaluateOnActiveBackend(16), reference);
  });

  it('onnx-webgpu (the same graphs, untiled and tiled, on ONNX Runtime\'s WebGPU provider) agrees with cpu (skips without an adapter unless ATELIER_REQUIRE_WEBGPU=1)', async (ctx) => {
    const probe = await webgpuAvailability();
    if (!probe.available) {
      if (REQUIRE_WEBGPU) throw new Error(`ATELIER_REQUIRE_WEBGPU=1 but webgpu is unavailable: ${probe.reason}`);
      console.log(`onnx-webgpu skipped: ${probe.reason}`);
      ctx.skip();
      return;
    }
    const info = await use('onnx-webgpu');
    expect(info.device).toMatch(/^GPU through ONNX Runtime [\d.]+ \(WebGPU\)/);
    expectAgreement(await evaluateOnActiveBackend(0, info.runtime), reference);
    // The tiled pass graphs on the WebGPU provider (mask max-pool backward).
    expectAgreement(await evaluateOnActiveBackend(16, info.runtime), reference);
  });
});
