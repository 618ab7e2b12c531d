/**
 * Measures seconds per loss+gradient evaluation of the torch-matched Gatys workload on one backend
 * at one size, in a fresh child process (so that peak memory belongs to that run alone).
 */
import { spawn } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type ConcreteBackend } from '../../companion/src/engine/backend.js';
import { disposeEvaluation } from '../../companion/src/engine/objective.js';
import { createGatysWorkload } from './gatysModel.js';

/** What to measure. */
export interface MeasureRequest {
  backend: ConcreteBackend;
  size: number;
  evals: number;
  warmup: number;
  wasmThreads?: number;
}

/** One measurement. Memory figures are peaks over the run, in MiB. */
export interface Measurement {
  backend: ConcreteBackend;
  device: string;
  software: boolean;
  size: number;
  /** Median seconds per evaluation after warm-up, and every timed evaluation. */
  sPerEval: number;
  times: number[];
  /** Seconds from backend start to the first evaluation's end (shader compilation, weight packing). */
  firstEvalS: number;
  loss: number;
  peakRssMiB: number;
  /** TF.js's peak bytes of live tensors during one evaluation (tf.profile). */
  peakTensorMiB: number;
  /** wasm: size of the wasm heap; webgpu: bytes the backend allocated on the GPU. */
  backendMiB?: number;
}

const MiB = 1 << 20;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function backendBytes(): number | undefined {
  const b = tf.backend() as unknown as { wasm?: { wasmMemory?: WebAssembly.Memory; HEAPU8?: Uint8Array } };
  if (b.wasm) return b.wasm.wasmMemory?.buffer.byteLength ?? b.wasm.HEAPU8?.buffer.byteLength;
  const m = tf.memory() as unknown as { numBytesAllocatedInGPU?: number; numBytesInGPU?: number };
  return m.numBytesAllocatedInGPU ?? m.numBytesInGPU;
}

/** Runs the measurement in this process (the backend is started and shut down here). */
export async function measureHere(req: MeasureRequest): Promise<Measurement> {
  const t0 = performance.now();
  const info = await initBackend(req.backend, { wasmThreads: req.wasmThreads });
  try {
    const work = await createGatysWorkload(req.size);
    let backendPeak = backendBytes() ?? 0;
    const times: number[] = [];
    let loss = NaN;
    let firstEvalS = 0;
    for (let i = 0; i < req.warmup + req.evals; i++) {
      const start = performance.now();
      const e = work.objective.evaluate(work.x);
      loss = (await e.loss.data())[0];
      await e.grad.data();
      const s = (performance.now() - start) / 1000;
      if (i === 0) firstEvalS = (performance.now() - t0) / 1000;
      if (i >= req.warmup) times.push(s);
      backendPeak = Math.max(backendPeak, backendBytes() ?? 0);
      disposeEvaluation(e);
    }
    const profile = await tf.profile(() => disposeEvaluation(work.objective.evaluate(work.x)));
    backendPeak = Math.max(backendPeak, backendBytes() ?? 0);
    work.dispose();
    return {
      backend: info.name,
      device: info.device,
      software: info.software,
      size: req.size,
      sPerEval: median(times),
      times,
      firstEvalS,
      loss,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      peakTensorMiB: profile.peakBytes / MiB,
      backendMiB: backendPeak ? backendPeak / MiB : undefined,
    };
  } finally {
    await info.shutdown();
  }
}

/** Runs the measurement in a child process (same Node flags, e.g. tsx's loader); rejects with its stderr on failure. */
export function measureInChild(req: MeasureRequest): Promise<Measurement> {
  const entry = process.argv[1];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, entry, 'measure-child', JSON.stringify(req)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{"backend"'));
      if (code === 0 && line) resolve(JSON.parse(line) as Measurement);
      else {
        const lines = err.split('\n').map((l) => l.trim());
        const reason = lines.filter((l) => l.startsWith('bench: ')).pop()?.slice(7) ?? lines.filter((l) => /Error\b/.test(l)).pop();
        reject(new Error(reason ?? `exit code ${code}`));
      }
    });
  });
}

/** Entry point of the child: measures and prints the JSON line. */
export async function measureChildMain(arg: string): Promise<void> {
  const m = await measureHere(JSON.parse(arg) as MeasureRequest);
  process.stdout.write(JSON.stringify(m) + '\n');
}
