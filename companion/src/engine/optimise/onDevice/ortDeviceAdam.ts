/**
 * Adam with its state resident on the device (ONNX Runtime's WebGPU provider; the untiled scales
 * of an Adam run, as ../../evaluate/chooseEvaluator.ts decides). One session runs the loss, its gradient and
 * Adam's projected step (adamGraph.ts) per iteration; its x', m', v' outputs stay in GPU buffers
 * and are the next run's inputs, the previous ones released at once. The targets are constants of
 * that graph, uploaded once. Only the three loss terms (scalars) come back every iteration.
 *
 * The image comes to the host only when asked (previews, the end of a scale) through a second,
 * one-node session that copies it into a CPU output: onnxruntime-node 1.30 cannot download a
 * gpu-buffer tensor itself — its binding's `download` throws a C string ("not implemented"), so
 * Tensor.getData() on one ends the process.
 *
 * Graph capture is not used: onnxruntime-node 1.30 cannot turn it on. Its WebGPU provider options
 * reject `enableGraphCapture` ("WebGPU EP has an unrecognized option"), and a session config entry
 * (`extra: { ep: { webgpuexecutionprovider: { enableGraphCapture: '1' } } }`) is added after the
 * binding has appended the provider, which read its configuration then: ONNX Runtime's verbose log
 * still says "WebGPU EP graph capture enable: 0".
 *
 * L-BFGS stays on the host (TF.js): its line search and two-loop recursion need vector operations
 * and loss values between evaluations, which this one-graph-per-iteration loop does not have.
 * On the CPU provider the same loop runs with the state in host memory (used by the tests).
 */
import * as tf from '@tensorflow/tfjs';
import { checkpoint } from '../../cancel.js';
import { EngineError } from '../../errors.js';
import { TERMS, weightedTotal } from '../../loss/description.js';
import type { AdamOptions } from '../adam.js';
import { adamSettings, biasCorrections, type AdamState } from '../adamStep.js';
import { project } from '../box.js';
import type { ScaleRun } from '../types.js';
import type { LossTerms } from '../../types.js';
import { ADAM_STATE_OUTPUTS, adamNames, buildAdamStepGraph } from './adamGraph.js';
import { GraphBuilder } from '../../evaluate/onnx/graphBuilder.js';
import { floatTensor, openSession, runAndRead, scalarOf, type OrtContext, type OrtObjectiveSetup, type OrtSession, type OrtTensor } from '../../evaluate/onnx/ortContext.js';
import { hostTargets } from '../../evaluate/onnx/ortObjective.js';

/** What the device-resident optimiser starts from. */
export interface DeviceAdamOptions {
  adam: AdamOptions;
  /** The starting image [1,H,W,3] (projected onto the box first, as the TF.js optimiser does); stays the caller's. */
  init: tf.Tensor4D;
}

const NOT_READ: LossTerms = { content: NaN, style: NaN, tv: NaN, total: NaN };

/** A graph that copies its input `x` to its output `x_host` (which the session leaves on the host). */
function hostCopyGraph(dims: number[]): Uint8Array {
  const g = new GraphBuilder();
  g.output('x_host', g.input('x', dims), dims);
  return g.encode();
}

/** Adam on the device for one image size. On failure, releases what it opened; `setup` stays the caller's until then. */
export async function createOrtDeviceAdam(ctx: OrtContext, setup: OrtObjectiveSetup, opts: DeviceAdamOptions): Promise<ScaleRun> {
  const { height, width, loss } = setup;
  const dims = [1, height, width, 3];
  const settings = adamSettings(opts.adam);
  const sessions: OrtSession[] = [];
  let stepSession: OrtSession;
  let copySession: OrtSession;
  let state: AdamState<OrtTensor>;
  try {
    const targets = await hostTargets(ctx, setup);
    const bytes = buildAdamStepGraph({ height, width, loss, maxPoolBackward: ctx.maxPoolBackward, weights: ctx.kernels, targets, adam: settings, bounds: opts.adam.bounds });
    sessions.push((stepSession = await openSession(ctx, bytes, { runs: 'repeated', outputsOnDevice: ADAM_STATE_OUTPUTS })));
    sessions.push((copySession = await openSession(ctx, hostCopyGraph(dims), { runs: 'repeated' })));
    const start = tf.tidy(() => (opts.adam.bounds ? project(opts.adam.bounds, opts.init) : tf.clone(opts.init)));
    const pixels = await start.data().finally(() => start.dispose()) as Float32Array;
    // The first run uploads these; from then on the state is the previous run's device outputs.
    state = { x: floatTensor(ctx, pixels, dims), m: floatTensor(ctx, new Float32Array(pixels.length), dims), v: floatTensor(ctx, new Float32Array(pixels.length), dims) };
  } catch (err) {
    for (const s of sessions) void s.release();
    throw err;
  }

  const stepFeeds = (s: AdamState<OrtTensor>, t: number): Record<string, OrtTensor> => {
    const c = biasCorrections(settings, t);
    return {
      x: s.x,
      [adamNames.m]: s.m,
      [adamNames.v]: s.v,
      [adamNames.firstCorrection]: floatTensor(ctx, Float32Array.of(c.first), []),
      [adamNames.secondCorrection]: floatTensor(ctx, Float32Array.of(c.second), []),
    };
  };
  const readTerms = (out: Record<string, OrtTensor>): LossTerms => {
    const terms = { content: scalarOf(out.content), style: scalarOf(out.style), tv: scalarOf(out.tv) };
    return { ...terms, total: weightedTotal(loss, terms) };
  };
  const disposeState = (s: AdamState<OrtTensor>) => [s.x, s.m, s.v].forEach((t) => t.dispose());

  let terms = NOT_READ;
  let iterations = 0;
  let hostImage: tf.Tensor4D | undefined; // the current iterate on the host, downloaded once per iterate
  let disposed = false;
  return {
    get terms() {
      return terms;
    },
    get iterations() {
      return iterations;
    },
    get evaluations() {
      return iterations;
    },
    async step() {
      await checkpoint(setup.signal);
      const out = await stepSession.run(stepFeeds(state, iterations + 1));
      disposeState(state);
      state = { x: out[adamNames.xNext], m: out[adamNames.mNext], v: out[adamNames.vNext] };
      iterations++;
      try {
        terms = readTerms(out);
      } finally {
        for (const name of TERMS) out[name].dispose();
      }
      hostImage?.dispose();
      hostImage = undefined;
      return { converged: false };
    },
    async image() {
      hostImage ??= await runAndRead(copySession, { x: state.x }, (out) => tf.tensor4d(out.x_host.data as Float32Array, [1, height, width, 3]));
      return hostImage;
    },
    async termsAt(x) {
      if (x.shape[1] !== height || x.shape[2] !== width) throw new EngineError('bad_input', `the image is ${x.shape[2]}x${x.shape[1]}; this optimiser is for ${width}x${height}`);
      // The step graph's terms are those at its input x; the step it also takes is dropped.
      const pixels = (await x.data()) as Float32Array;
      const zeros = new Float32Array(pixels.length);
      const at = { x: floatTensor(ctx, pixels, dims), m: floatTensor(ctx, zeros, dims), v: floatTensor(ctx, zeros, dims) };
      return runAndRead(stepSession, stepFeeds(at, 1), readTerms);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      // Device buffers before the sessions whose provider allocated them.
      disposeState(state);
      hostImage?.dispose();
      for (const s of sessions) void s.release();
      setup.release();
    },
  };
}
