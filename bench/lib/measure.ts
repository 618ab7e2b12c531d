/**
 * Measures seconds per loss+gradient evaluation of the torch-matched Gatys workload on one backend
 * at one size, in a fresh child process (so that peak memory belongs to that run alone).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type ConcreteBackend } from '../../companion/src/engine/runtime/backend.js';
import { disposeEvaluation } from '../../companion/src/engine/evaluate/objective.js';
import { backendBytes, median, runChildJson } from './child.js';
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

/** Runs the measurement in this process (the backend is started and shut down here). */
export async function measureHere(req: MeasureRequest): Promise<Measurement> {
  const t0 = performance.now();
  const info = await initBackend(req.backend, { wasmThreads: req.wasmThreads });
  try {
    const work = await createGatysWorkload(req.size, 'max', info.runtime);
    let backendPeak = backendBytes() ?? 0;
    const times: number[] = [];
    let loss = NaN;
    let firstEvalS = 0;
    for (let i = 0; i < req.warmup + req.evals; i++) {
      const start = performance.now();
      const e = await work.objective.evaluate(work.x);
      loss = (await e.loss.data())[0];
      await e.grad.data();
      const s = (performance.now() - start) / 1000;
      if (i === 0) firstEvalS = (performance.now() - t0) / 1000;
      if (i >= req.warmup) times.push(s);
      backendPeak = Math.max(backendPeak, backendBytes() ?? 0);
      disposeEvaluation(e);
    }
    let liveAfterEval = 0;
    const profile = await tf.profile(async () => {
      const e = await work.objective.evaluate(work.x);
      liveAfterEval = tf.memory().numBytes;
      disposeEvaluation(e);
    });
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
      // tf.profile's peak counts kernel outputs only: tensors made from host data (onnx) show in the live total.
      peakTensorMiB: Math.max(Number.isFinite(profile.peakBytes) ? profile.peakBytes : 0, liveAfterEval) / MiB,
      backendMiB: backendPeak ? backendPeak / MiB : undefined,
    };
  } finally {
    await info.shutdown();
  }
}

/** Runs the measurement in a child process (same Node flags, e.g. tsx's loader); rejects with its stderr on failure. */
export function measureInChild(req: MeasureRequest): Promise<Measurement> {
  return runChildJson<Measurement>(['measure-child', JSON.stringify(req)], '{"backend"');
}

/** Entry point of the child: measures and prints the JSON line. */
export async function measureChildMain(arg: string): Promise<void> {
  const m = await measureHere(JSON.parse(arg) as MeasureRequest);
  process.stdout.write(JSON.stringify(m) + '\n');
}
