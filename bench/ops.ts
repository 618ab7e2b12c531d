/**
 * `npm run bench -- ops [--backend wasm] [--size 128] [--reps 3] [--profile 1]`: the fast ops (ops.ts: fused
 * conv+bias+ReLU, input-gradient as a forward conv with the flipped kernel, transpose-free Gram)
 * against the stock TF.js ops, same VGG-19 loss+gradient (random weights, real widths, conv1_1..
 * conv5_1 Gram + conv4_2 content), alternating, in one process: median seconds and the speed-up.
 * With `--profile 1`: instead, per-kernel milliseconds (tf.profile) of one evaluation of the real
 * objective (bench/lib/gatysModel.ts, the vs-torch workload), summed by kernel and by kernel+shape.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type ConcreteBackend } from '../companion/src/engine/runtime/backend.js';
import { VGG19_LAYERS } from '../companion/src/engine/network/layers.js';
import { inputGradientKernel, conv3x3Relu } from '../companion/src/engine/network/ops.js';
import { gram } from '../companion/src/engine/loss/gram.js';
import { fmtS, intFlag, parseFlags } from './lib/args.js';
import { createGatysWorkload, randomVggWeights } from './lib/gatysModel.js';
import { disposeEvaluation } from '../companion/src/engine/evaluate/objective.js';

const STYLE = new Set(['block1_conv1', 'block2_conv1', 'block3_conv1', 'block4_conv1', 'block5_conv1']);

function stockGram(f: tf.Tensor4D): tf.Tensor2D {
  const [, h, w, c] = f.shape;
  const m = tf.reshape(f, [h * w, c]) as tf.Tensor2D;
  return tf.div(tf.matMul(m, m, true, false), h * w * c);
}

/** Entry point. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const size = intFlag(flags, 'size', 128);
  const reps = Math.max(1, intFlag(flags, 'reps', 3));
  const info = await initBackend((flags.get('backend') ?? 'wasm') as ConcreteBackend);
  if (flags.has('profile') && flags.get('profile') !== '0') {
    await profile(size, info.device);
    await info.shutdown();
    return;
  }
  const weights = randomVggWeights();
  const backs = new Map([...weights].map(([n, w]) => [n, inputGradientKernel(w.kernel)]));
  const x = tf.randomUniform([1, size, size, 3], -120, 120, 'float32', 3) as tf.Tensor4D;
  const loss = (fast: boolean) => (img: tf.Tensor) => {
    let h = img as tf.Tensor4D;
    let total = tf.scalar(0);
    for (const layer of VGG19_LAYERS) {
      const w = weights.get(layer.name)!;
      h = fast ? conv3x3Relu(h, w.kernel, w.bias, backs.get(layer.name)) : (tf.relu(tf.add(tf.conv2d(h, w.kernel, 1, 'same'), w.bias)) as tf.Tensor4D);
      if (STYLE.has(layer.name)) total = tf.add(total, tf.mul(tf.mean(tf.square(fast ? gram(h) : stockGram(h))), 2e5));
      if (layer.name === 'block4_conv2') total = tf.add(total, tf.mean(tf.square(h)));
      if (layer.name === 'block5_conv1') break;
      if (layer.lastInBlock) h = tf.maxPool(h, 2, 2, 'valid');
    }
    return total as tf.Scalar;
  };
  const time = async (fast: boolean): Promise<number> => {
    const t0 = performance.now();
    const { value, grad } = tf.valueAndGrad(loss(fast))(x);
    await grad.data();
    tf.dispose([value, grad]);
    return (performance.now() - t0) / 1000;
  };
  await time(true);
  await time(false);
  const fast: number[] = [];
  const stock: number[] = [];
  for (let i = 0; i < reps; i++) {
    fast.push(await time(true));
    stock.push(await time(false));
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(`ops on ${info.name} (${info.device}), ${size}², ${reps} alternating reps (median):`);
  console.log(`  stock tf ops ${fmtS(med(stock))} s/eval   fast ops ${fmtS(med(fast))} s/eval   speed-up ${(med(stock) / med(fast)).toFixed(1)}x`);
  tf.dispose([x, ...backs.values()]);
  for (const w of weights.values()) tf.dispose([w.kernel, w.bias]);
  await info.shutdown();
}

/** Prints where one evaluation of the real objective spends its time, per kernel (gradient closures that run JS, e.g. pool2x2's, show only in the wall time). */
async function profile(size: number, device: string): Promise<void> {
  const work = await createGatysWorkload(size);
  for (let i = 0; i < 2; i++) disposeEvaluation(await work.objective.evaluate(work.x));
  const t0 = performance.now();
  const prof = await tf.profile(async () => disposeEvaluation(await work.objective.evaluate(work.x)));
  const wall = performance.now() - t0;
  const byName = new Map<string, { ms: number; n: number }>();
  const byShape = new Map<string, { ms: number; n: number }>();
  for (const k of prof.kernels) {
    // 'unnamed scope' = a customGrad forward: its kernels are listed on their own too.
    if (k.name === 'unnamed scope') continue;
    const ms = Number(await k.kernelTimeMs);
    for (const [map, key] of [
      [byName, k.name],
      [byShape, `${k.name} ${JSON.stringify(k.inputShapes)}`],
    ] as const) {
      const e = map.get(key) ?? { ms: 0, n: 0 };
      e.ms += ms;
      e.n++;
      map.set(key, e);
    }
  }
  const total = [...byName.values()].reduce((s, e) => s + e.ms, 0);
  console.log(`profile of one evaluation at ${size}² on ${device}: wall ${wall.toFixed(0)} ms, kernels ${total.toFixed(0)} ms`);
  const top = (map: Map<string, { ms: number; n: number }>, n: number) =>
    [...map].sort((a, b) => b[1].ms - a[1].ms).slice(0, n).forEach(([k, e]) => console.log(`  ${e.ms.toFixed(1).padStart(8)} ms ${String(e.n).padStart(3)}x  ${k}`));
  console.log('by kernel:');
  top(byName, 15);
  console.log('by kernel and input shapes:');
  top(byShape, 20);
  work.dispose();
}
