/**
 * The `onnx` accelerator: the content and style terms and their gradient run in ONNX Runtime's CPU
 * kernels (one graph per image size, gatysGraph.ts, TV term included); TF.js keeps the image, the
 * targets and the optimiser. Same loss and gradient as objective.ts (tested against the cpu backend).
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type * as Ort from 'onnxruntime-node';
import type { AcceleratedObjectiveSetup, ObjectiveAccelerator } from '../accelerator.js';
import { sizedObjective, type Evaluation, type Objective } from '../objective.js';
import type { Vgg19 } from '../vgg19.js';
import { buildFeaturesGraph, buildGatysGraph, contentTargetInput, graphKernels, styleTargetInput, type GraphKernels } from './gatysGraph.js';

/** The parts of onnxruntime-node used here. */
export type OrtModule = Pick<typeof Ort, 'InferenceSession' | 'Tensor' | 'env'>;

/** The ONNX Runtime execution providers Atelier runs its graphs on. */
export type OrtProvider = 'cpu' | 'webgpu' | 'cuda';
/** How each provider is named to people. */
export const PROVIDER_LABEL: Record<OrtProvider, string> = { cpu: 'CPU', webgpu: 'WebGPU', cuda: 'CUDA' };

/** Options of the accelerator. */
export interface OrtAcceleratorOptions {
  /** Intra-op threads (default: every available core). */
  threads?: number;
  /** Host bytes an untiled evaluation may use (default: half of total memory; 1024² needs ~6 GiB). */
  memoryLimitBytes?: number;
  /** ONNX Runtime execution provider (default cpu; webgpu runs the graph on the GPU through Dawn, cuda through CUDA 12 + cuDNN 9). */
  provider?: OrtProvider;
  /** Max-pooling backward (gatysGraph.ts; default: unpool on cpu, mask on the GPU providers: webgpu lacks MaxPool's indices, cuda MaxUnpool). */
  maxPoolBackward?: 'unpool' | 'mask';
}

/** Creates the accelerator over a loaded onnxruntime-node module. */
export function createOrtAccelerator(ort: OrtModule, opts: OrtAcceleratorOptions = {}): ObjectiveAccelerator {
  const threads = opts.threads ?? Math.max(1, os.availableParallelism());
  const provider = opts.provider ?? 'cpu';
  const maxPoolBackward = opts.maxPoolBackward ?? (provider === 'cpu' ? 'unpool' : 'mask');
  const version = (ort.env as { versions?: { node?: string } }).versions?.node ?? '';
  // Converted kernels per network, made once (the weights never change).
  const kernels = new WeakMap<Vgg19, Map<number, GraphKernels>>();
  const kernelsOf = (model: Vgg19) => (i: number): GraphKernels => {
    let m = kernels.get(model);
    if (!m) kernels.set(model, (m = new Map()));
    let k = m.get(i);
    if (!k) m.set(i, (k = graphKernels(model.hostWeights(i))));
    return k;
  };
  return {
    description: `ONNX Runtime${version ? ` ${version}` : ''} (${provider === 'cpu' ? `CPU, ${threads} thread${threads === 1 ? '' : 's'}` : PROVIDER_LABEL[provider]})`,
    memoryLimitBytes: opts.memoryLimitBytes ?? Math.floor(os.totalmem() * 0.5),
    createObjective: (model, setup) => createOrtObjective(ort, kernelsOf(model), setup, { threads, provider, maxPoolBackward }),
    async features(model, image, layers, pooling) {
      const [, height, width] = image.shape;
      const bytes = buildFeaturesGraph({ height, width, pooling, layers, weights: kernelsOf(model) });
      // One run: light graph optimisation (the full level's layout passes cost more than they save here).
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, executionProviders: [provider], graphOptimizationLevel: 'extended' });
      try {
        const out = await session.run({ x: new ort.Tensor('float32', (await image.data()) as Float32Array, [1, height, width, 3]) });
        try {
          return new Map(layers.map((l) => [l, tf.tensor4d(out[`feat_${l}`].data as Float32Array, out[`feat_${l}`].dims as [number, number, number, number])]));
        } finally {
          for (const t of Object.values(out)) t.dispose();
        }
      } finally {
        await session.release();
      }
    },
    async dispose() {},
  };
}

async function createOrtObjective(
  ort: OrtModule,
  weights: (i: number) => GraphKernels,
  setup: AcceleratedObjectiveSetup,
  { threads, provider, maxPoolBackward }: { threads: number; provider: OrtProvider; maxPoolBackward: 'unpool' | 'mask' },
): Promise<Objective> {
  const { height, width, plan, params } = setup;
  const graph = buildGatysGraph({
    height,
    width,
    pooling: params.pooling,
    content: plan.content.map((layer, i) => ({ layer, weight: plan.contentWeights[i] })),
    style: plan.style.map((layer, i) => ({ layer, weight: plan.styleWeights[i] })),
    contentWeight: params.contentWeight,
    styleWeight: params.styleWeight,
    tvWeight: params.tvWeight,
    maxPoolBackward,
    weights,
  });
  const session = await ort.InferenceSession.create(graph.bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    executionProviders: [provider],
  });
  try {
    // Targets on the host, once: Grams as they are, content features NHWC → NCHW.
    const feeds: Record<string, Ort.Tensor> = {};
    for (const l of plan.style) {
      const g = setup.grams.get(l)!;
      feeds[styleTargetInput(l)] = new ort.Tensor('float32', (await g.data()) as Float32Array, g.shape);
    }
    for (const l of plan.content) {
      const nchw = tf.transpose(setup.contentFeatures.get(l)!, [0, 3, 1, 2]);
      try {
        feeds[contentTargetInput(l)] = new ort.Tensor('float32', (await nchw.data()) as Float32Array, graph.featureShape(l));
      } finally {
        nchw.dispose();
      }
    }
    let released = false;
    return sizedObjective({ height, width, layers: plan }, {
      async evaluate(x) {
        const pixels = (await x.data()) as Float32Array;
        const out = await session.run({ ...feeds, x: new ort.Tensor('float32', pixels, [1, height, width, 3]) });
        try {
          const [content, style, tv] = [out.content, out.style, out.tv].map((t) => (t.data as Float32Array)[0]);
          const total = params.contentWeight * content + params.styleWeight * style + params.tvWeight * tv;
          return {
            loss: tf.scalar(total),
            grad: tf.tensor4d(out.grad.data as Float32Array, [1, height, width, 3]),
            terms: { content: tf.scalar(content), style: tf.scalar(style), tv: tf.scalar(tv) },
          } satisfies Evaluation;
        } finally {
          for (const t of Object.values(out)) t.dispose();
        }
      },
      dispose() {
        if (released) return;
        released = true;
        void session.release();
        setup.release();
      },
    });
  } catch (err) {
    await session.release();
    throw err;
  }
}
