/**
 * The untiled ONNX Runtime objective: one loss-and-gradient graph per image size (gatysGraph.ts),
 * targets fed once from the host; TF.js keeps the image and the optimiser. Same loss and gradient
 * as the TF.js reference (tested against it).
 */
import * as tf from '@tensorflow/tfjs';
import { weightedTotal } from '../../loss/description.js';
import { sizedObjective, type Evaluation, type Objective } from '../objective.js';
import { buildFeaturesGraph, buildGatysGraph, featuresOutput } from './gatysGraph.js';
import { names } from './lossGraph.js';
import { floatTensor, openSession, runAndRead, scalarOf, type OrtContext, type OrtObjectiveSetup, type OrtTensor } from './ortContext.js';

/** Features of an RGB 0..255 image [1,H,W,3] at `layers`, as host tensors in the graph's layout (one run). */
export async function hostFeatures(
  ctx: OrtContext,
  pixels: Float32Array,
  height: number,
  width: number,
  layers: string[],
  pooling: 'max' | 'avg',
  layout: 'nhwc' | 'nchw',
): Promise<Map<string, { data: Float32Array; dims: number[] }>> {
  const session = await openSession(ctx, buildFeaturesGraph({ height, width, pooling, layers, weights: ctx.kernels, layout }), { runs: 'once' });
  try {
    return await runAndRead(session, { x: floatTensor(ctx, pixels, [1, height, width, 3]) }, (out) =>
      new Map(layers.map((l) => [l, { data: out[featuresOutput(l)].data as Float32Array, dims: [...out[featuresOutput(l)].dims] }])),
    );
  } finally {
    await session.release();
  }
}

/** A scale's targets on the host, by the name of the graph value each one is. */
export type HostTargets = Map<string, { data: Float32Array; dims: number[] }>;

/** The targets, computed once per scale: the blended Grams as they are, the content features in the graphs' layout (NCHW). */
export async function hostTargets(ctx: OrtContext, setup: OrtObjectiveSetup): Promise<HostTargets> {
  const { height, width, loss } = setup;
  const targets: HostTargets = new Map();
  for (const { layer } of loss.style) {
    const a = setup.styleTargets.get(layer)!;
    targets.set(names.styleTarget(layer), { data: (await a.data()) as Float32Array, dims: a.shape });
  }
  const contentPixels = (await setup.content.data()) as Float32Array;
  const contentLayers = loss.content.map((c) => c.layer);
  for (const [layer, f] of await hostFeatures(ctx, contentPixels, height, width, contentLayers, loss.pooling, 'nchw')) {
    targets.set(names.contentTarget(layer), f);
  }
  return targets;
}

/** The untiled objective for one image size. */
export async function createOrtObjective(ctx: OrtContext, setup: OrtObjectiveSetup): Promise<Objective> {
  const { height, width, loss, plan } = setup;
  const bytes = buildGatysGraph({ height, width, loss, maxPoolBackward: ctx.maxPoolBackward, weights: ctx.kernels });
  // Fed from the host at every evaluation.
  const feeds: Record<string, OrtTensor> = {};
  for (const [name, t] of await hostTargets(ctx, setup)) feeds[name] = floatTensor(ctx, t.data, t.dims);
  const session = await openSession(ctx, bytes, { runs: 'repeated' });
  let released = false;
  return sizedObjective({ height, width, layers: plan }, {
    async evaluate(x) {
      const pixels = (await x.data()) as Float32Array;
      return runAndRead(session, { ...feeds, x: floatTensor(ctx, pixels, [1, height, width, 3]) }, (out) => {
        const terms = { content: scalarOf(out.content), style: scalarOf(out.style), tv: scalarOf(out.tv) };
        return {
          loss: tf.scalar(weightedTotal(loss, terms)),
          grad: tf.tensor4d(out.grad.data as Float32Array, [1, height, width, 3]),
          terms: { content: tf.scalar(terms.content), style: tf.scalar(terms.style), tv: tf.scalar(terms.tv) },
        } satisfies Evaluation;
      });
    },
    dispose() {
      if (released) return;
      released = true;
      void session.release();
      setup.release();
    },
  });
}
