/**
 * `--backend auto`'s order and choice as pure functions: the GPU tiers (onnx-cuda, then the WebGPU
 * backends on a hardware adapter) are covered here without a GPU, by giving the facts and which
 * backends start.
 */
import { describe, expect, it } from 'vitest';
import { autoOrder, firstThatStarts, type AutoFacts } from '../../companion/src/engine/runtime/autoOrder.js';
import { CONCRETE_BACKENDS, type ConcreteBackend } from '../../companion/src/engine/runtime/backendNames.js';

const CUDA_MISSING = "ONNX Runtime's CUDA provider cannot load: libcudnn.so.9 missing (install cuDNN 9 for CUDA 12)";
const NO_ADAPTER = 'no WebGPU adapter';
const H100 = { device: 'NVIDIA H100', software: false };
const LAVAPIPE = { device: 'llvmpipe (LLVM 15.0.7, 256 bits)', software: true };

const names = (facts: AutoFacts): ConcreteBackend[] => autoOrder(facts).map((s) => s.name);

/** A `start` for firstThatStarts where exactly the `working` backends start (the others throw their name). */
const startOnly =
  (...working: ConcreteBackend[]) =>
  async (name: ConcreteBackend): Promise<string> => {
    if (!working.includes(name)) throw new Error(`${name} failed\nstack`);
    return `started ${name}`;
  };

describe('autoOrder', () => {
  it('on a hardware GPU with CUDA: onnx-cuda, onnx-webgpu, webgpu, then the CPU backends — CONCRETE_BACKENDS order', () => {
    const steps = autoOrder({ cudaMissing: null, adapter: H100 });
    expect(steps.map((s) => s.name)).toEqual(['onnx-cuda', 'onnx-webgpu', 'webgpu', 'cuda', 'native', 'onnx', 'wasm', 'cpu']);
    expect(steps.map((s) => s.name)).toEqual(CONCRETE_BACKENDS);
    expect(steps.every((s) => !s.unavailable && !s.after)).toBe(true);
  });

  it('passes over onnx-cuda with what is missing, and the WebGPU backends with the reason there is no adapter', () => {
    const steps = autoOrder({ cudaMissing: CUDA_MISSING, adapter: { reason: NO_ADAPTER } });
    expect(steps.map((s) => s.name)).toEqual(CONCRETE_BACKENDS);
    expect(steps.filter((s) => s.unavailable)).toEqual([
      { name: 'onnx-cuda', unavailable: CUDA_MISSING },
      { name: 'onnx-webgpu', unavailable: NO_ADAPTER },
      { name: 'webgpu', unavailable: NO_ADAPTER },
    ]);
  });

  it('moves the WebGPU backends after wasm on a software adapter, saying why', () => {
    const steps = autoOrder({ cudaMissing: CUDA_MISSING, adapter: LAVAPIPE });
    expect(steps.map((s) => s.name)).toEqual(['onnx-cuda', 'cuda', 'native', 'onnx', 'wasm', 'onnx-webgpu', 'webgpu', 'cpu']);
    expect(steps.find((s) => s.name === 'webgpu')?.after).toBe(`software adapter (${LAVAPIPE.device}), slower than the CPU backends`);
    expect(names({ cudaMissing: null, adapter: LAVAPIPE })[0]).toBe('onnx-cuda');
  });
});

describe('firstThatStarts', () => {
  it('a CUDA machine: onnx-cuda wins; every other backend is not tried, in order', async () => {
    const r = await firstThatStarts(autoOrder({ cudaMissing: null, adapter: H100 }), startOnly('onnx-cuda', 'onnx-webgpu', 'webgpu', 'onnx', 'wasm', 'cpu'));
    expect([r.name, r.started]).toEqual(['onnx-cuda', 'started onnx-cuda']);
    expect(r.skipped).toEqual(CONCRETE_BACKENDS.slice(1).map((name) => ({ name, reason: 'not tried: onnx-cuda comes first' })));
  });

  it('CUDA libraries present but its provider does not start: the hardware adapter goes to onnx-webgpu, and webgpu when that fails too', async () => {
    const steps = autoOrder({ cudaMissing: null, adapter: H100 });
    const r = await firstThatStarts(steps, startOnly('onnx-webgpu', 'webgpu', 'onnx', 'wasm', 'cpu'));
    expect(r.name).toBe('onnx-webgpu');
    expect(r.skipped.slice(0, 2)).toEqual([
      { name: 'onnx-cuda', reason: 'onnx-cuda failed' },
      { name: 'webgpu', reason: 'not tried: onnx-webgpu comes first' },
    ]);
    expect((await firstThatStarts(steps, startOnly('webgpu', 'wasm', 'cpu'))).name).toBe('webgpu');
  });

  it('no GPU: the first CPU backend that starts, with every reason; the software adapter after wasm', async () => {
    const noGpu = await firstThatStarts(autoOrder({ cudaMissing: CUDA_MISSING, adapter: { reason: NO_ADAPTER } }), startOnly('onnx', 'wasm', 'cpu'));
    expect(noGpu.name).toBe('onnx');
    expect(noGpu.skipped).toEqual([
      { name: 'onnx-cuda', reason: CUDA_MISSING },
      { name: 'onnx-webgpu', reason: NO_ADAPTER },
      { name: 'webgpu', reason: NO_ADAPTER },
      { name: 'cuda', reason: 'cuda failed' },
      { name: 'native', reason: 'native failed' },
      { name: 'wasm', reason: 'not tried: onnx comes first' },
      { name: 'cpu', reason: 'not tried: onnx comes first' },
    ]);
    const soft = await firstThatStarts(autoOrder({ cudaMissing: CUDA_MISSING, adapter: LAVAPIPE }), startOnly('webgpu', 'cpu'));
    expect(soft.name).toBe('webgpu');
    expect(soft.skipped.map((s) => s.name)).toEqual(['onnx-cuda', 'cuda', 'native', 'onnx', 'wasm', 'onnx-webgpu', 'cpu']);
  });

  it('rejects with every reason when nothing starts', async () => {
    await expect(firstThatStarts(autoOrder({ cudaMissing: CUDA_MISSING, adapter: { reason: NO_ADAPTER } }), startOnly())).rejects.toThrow(
      /^no backend could start: onnx-cuda: .*libcudnn.*; onnx-webgpu: no WebGPU adapter; .*; cpu: cpu failed$/,
    );
  });
});
