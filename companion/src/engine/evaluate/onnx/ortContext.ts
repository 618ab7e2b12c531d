/**
 * What every ONNX Runtime evaluator shares: the loaded module, the execution provider and its
 * options, the network's weights converted for the graphs, and how sessions are opened.
 */
import type * as Ort from 'onnxruntime-node';
import type * as tf from '@tensorflow/tfjs';
import type { LossDescription } from '../../loss/description.js';
import type { LayerPlan } from '../../loss/resolveLayers.js';
import type { Vgg19 } from '../../network/vgg19.js';
import { graphKernels, type GraphKernels, type MaxPoolBackward } from './vggGraph.js';

/** The parts of onnxruntime-node used here. */
export type OrtModule = Pick<typeof Ort, 'InferenceSession' | 'Tensor' | 'env'>;
export type OrtSession = Ort.InferenceSession;
export type OrtTensor = Ort.Tensor;

/** The ONNX Runtime execution providers Atelier runs its graphs on. */
export type OrtProvider = 'cpu' | 'webgpu' | 'cuda';
/** How each provider is named to people. */
export const PROVIDER_LABEL: Record<OrtProvider, string> = { cpu: 'CPU', webgpu: 'WebGPU', cuda: 'CUDA' };

/** One runtime's settings, and the network's graph kernels. */
export interface OrtContext {
  ort: OrtModule;
  threads: number;
  provider: OrtProvider;
  maxPoolBackward: MaxPoolBackward;
  /** Layer i's kernels for the graphs (converted once per network). */
  kernels: (i: number) => GraphKernels;
}

/** How a session is used. */
export interface SessionUse {
  /** `once`: run a single time (light optimisation); `repeated`: every evaluation (full optimisation). */
  runs: 'once' | 'repeated';
  /**
   * Release working memory after each run (CPU) instead of keeping it in the session's arena: for
   * image-sized graphs run once per evaluation (the tiled TV), whose memory must not stay held.
   * Crop sessions keep their arena: a crop's working memory follows the tile, and re-faulting it
   * in on every run (page faults, zeroing) slowed every pass measurably.
   */
  releaseMemory?: boolean;
  /**
   * Outputs left in device memory (WebGPU: `gpu-buffer` tensors, which the next run takes as inputs
   * without a copy); the others come back to the host. Ignored on the CPU, where all memory is the host's.
   */
  outputsOnDevice?: readonly string[];
}

/** Opens a session on the context's provider. */
export function openSession(ctx: OrtContext, bytes: Uint8Array, use: SessionUse): Promise<OrtSession> {
  return ctx.ort.InferenceSession.create(bytes, {
    intraOpNumThreads: ctx.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // The full level's layout passes cost more than they save on a graph run once.
    graphOptimizationLevel: use.runs === 'once' ? 'extended' : 'all',
    executionProviders: [ctx.provider],
    ...(use.releaseMemory && ctx.provider === 'cpu' ? { enableCpuMemArena: false } : {}),
    ...(use.outputsOnDevice && ctx.provider === 'webgpu' ? { preferredOutputLocation: Object.fromEntries(use.outputsOnDevice.map((name) => [name, 'gpu-buffer' as const])) } : {}),
  });
}

/** Converted kernels per network, made once (the weights never change). */
export function kernelCache(): (model: Vgg19) => (i: number) => GraphKernels {
  const kernels = new WeakMap<Vgg19, Map<number, GraphKernels>>();
  return (model) => (i) => {
    let m = kernels.get(model);
    if (!m) kernels.set(model, (m = new Map()));
    let k = m.get(i);
    if (!k) m.set(i, (k = graphKernels(model.hostWeights(i))));
    return k;
  };
}

/** A float32 ORT tensor over host data. */
export function floatTensor(ctx: OrtContext, data: Float32Array, dims: readonly number[]): OrtTensor {
  return new ctx.ort.Tensor('float32', data, dims);
}

/** Reads a scalar output. */
export const scalarOf = (t: OrtTensor): number => (t.data as Float32Array)[0];

/** Runs a session and disposes its outputs after `use` reads them. */
export async function runAndRead<T>(session: OrtSession, feeds: Record<string, OrtTensor>, use: (out: Record<string, OrtTensor>) => T): Promise<T> {
  const out = await session.run(feeds);
  try {
    return use(out);
  } finally {
    for (const t of Object.values(out)) t.dispose();
  }
}

/** What an ONNX Runtime objective is built from. The tensors stay owned by the caller until `release`. */
export interface OrtObjectiveSetup {
  height: number;
  width: number;
  loss: LossDescription;
  plan: LayerPlan;
  /** The content image at this size, RGB 0..255 [H,W,3]. */
  content: tf.Tensor3D;
  /** Blended style targets A_l per style layer [C,C]. */
  styleTargets: Map<string, tf.Tensor2D>;
  /** Once it is aborted, tiled evaluations stop between tiles and the device optimiser between iterations, with CancelledError. */
  signal?: AbortSignal;
  /** Called by the objective's dispose (frees what the caller handed over). */
  release(): void;
}
