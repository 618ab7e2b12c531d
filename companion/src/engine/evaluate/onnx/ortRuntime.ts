/**
 * ONNX Runtime as the engine's compute runtime: it evaluates the loss and its gradient (untiled, or
 * tile by tile), and computes the targets' features, on one execution provider (CPU through MLAS,
 * WebGPU through Dawn, CUDA through cuDNN). TF.js keeps the image, the targets between scales and
 * the optimiser — except for Adam on WebGPU, whose step runs in the loss graph with the image and
 * the moments on the device (ortDeviceAdam.ts). Every session it opens is released by the
 * objective's (or device optimiser's) dispose or before returning.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { Objective } from '../objective.js';
import type { Vgg19 } from '../../network/vgg19.js';
import { kernelCache, PROVIDER_LABEL, type OrtContext, type OrtModule, type OrtObjectiveSetup, type OrtProvider } from './ortContext.js';
import { createOrtObjective, hostFeatures } from './ortObjective.js';
import { createOrtTiledObjective, tiledGramsOrt } from './ortTiledObjective.js';
import type { MaxPoolBackward } from './vggGraph.js';
import { ORT_MEMORY_SHARE } from '../tiling.js';

export { PROVIDER_LABEL, type OrtModule, type OrtObjectiveSetup, type OrtProvider };

/** The ONNX Runtime compute runtime. */
export interface OrtRuntime {
  /** e.g. "ONNX Runtime 1.30.0 (CPU, 2 threads)". */
  readonly description: string;
  readonly provider: OrtProvider;
  /** Bytes an untiled evaluation may use (host memory); larger images are tiled. */
  readonly memoryLimitBytes: number;
  /** The untiled objective (tile 0) or the exact tiled one. */
  createObjective(model: Vgg19, setup: OrtObjectiveSetup, tile: number): Promise<Objective>;
  /** The context its evaluators run in, for a network: optimisers that run inside ONNX Runtime (the device Adam) build their graphs on it. */
  context(model: Vgg19): OrtContext;
  /** ReLU outputs [1,h,w,C] at `layers` of an RGB 0..255 image [1,H,W,3]. Caller disposes. */
  features(model: Vgg19, image: tf.Tensor4D, layers: string[], pooling: 'max' | 'avg'): Promise<Map<string, tf.Tensor4D>>;
  /** Gram matrices G_l [C,C] of an RGB 0..255 image [1,H,W,3], tile by tile (exact). Caller disposes. */
  tiledGrams(model: Vgg19, image: tf.Tensor4D, layers: string[], pooling: 'max' | 'avg', tile: number): Promise<Map<string, tf.Tensor2D>>;
  /** Releases what the runtime itself holds (each objective releases its own sessions). */
  dispose(): Promise<void>;
}

/** Options of the runtime. */
export interface OrtRuntimeOptions {
  /** Intra-op threads (default: every available core). */
  threads?: number;
  /** Host bytes an untiled evaluation may use (default: half of total memory; 1024² needs ~6 GiB). */
  memoryLimitBytes?: number;
  /** Execution provider (default cpu). */
  provider?: OrtProvider;
  /** Max-pooling backward (vggGraph.ts; default: unpool on cpu, mask on the GPU providers: webgpu lacks MaxPool's indices, cuda MaxUnpool). */
  maxPoolBackward?: MaxPoolBackward;
}

/** Creates the runtime over a loaded onnxruntime-node module. */
export function createOrtRuntime(ort: OrtModule, opts: OrtRuntimeOptions = {}): OrtRuntime {
  const threads = opts.threads ?? Math.max(1, os.availableParallelism());
  const provider = opts.provider ?? 'cpu';
  const maxPoolBackward = opts.maxPoolBackward ?? (provider === 'cpu' ? 'unpool' : 'mask');
  const version = (ort.env as { versions?: { node?: string } }).versions?.node ?? '';
  const kernelsOf = kernelCache();
  const context = (model: Vgg19): OrtContext => ({ ort, threads, provider, maxPoolBackward, kernels: kernelsOf(model) });
  return {
    description: `ONNX Runtime${version ? ` ${version}` : ''} (${provider === 'cpu' ? `CPU, ${threads} thread${threads === 1 ? '' : 's'}` : PROVIDER_LABEL[provider]})`,
    provider,
    memoryLimitBytes: opts.memoryLimitBytes ?? Math.floor(os.totalmem() * ORT_MEMORY_SHARE),
    createObjective: (model, setup, tile) => (tile > 0 ? createOrtTiledObjective(context(model), { ...setup, tile }) : createOrtObjective(context(model), setup)),
    context,
    async features(model, image, layers, pooling) {
      const [, height, width] = image.shape;
      const feats = await hostFeatures(context(model), (await image.data()) as Float32Array, height, width, layers, pooling, 'nhwc');
      return new Map([...feats].map(([l, f]) => [l, tf.tensor4d(f.data, f.dims as [number, number, number, number])]));
    },
    async tiledGrams(model, image, layers, pooling, tile) {
      const [, height, width] = image.shape;
      const grams = await tiledGramsOrt(context(model), (await image.data()) as Float32Array, height, width, layers, pooling, tile);
      return new Map([...grams].map(([l, g]) => [l, tf.tensor2d(g, [Math.sqrt(g.length), Math.sqrt(g.length)])]));
    },
    async dispose() {},
  };
}
