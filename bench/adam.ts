/**
 * `npm run bench -- adam [--backend webgpu] [--size 512] [--iterations 500] [--warmup 5]`: wall time of
 * N Adam iterations through the engine's own driver (`stylize`, progress on), VGG-19 at real widths
 * with random weights and the torch_gatys.py loss, so it compares with
 * `python3 ../shared/bench/torch_gatys.py --device cuda --size 512 --adam-iters 500` (its `adam_s`).
 * Shader compilation and weight upload are excluded by a short warm-up run first.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type ConcreteBackend } from '../companion/src/engine/runtime/backend.js';
import { Vgg19 } from '../companion/src/engine/network/vgg19.js';
import { stylize } from '../companion/src/engine/stylize.js';
import { parseStylizeParams } from '../shared/params.js';
import { fmtS, intFlag, parseFlags } from './lib/args.js';
import { randomVggWeights, TORCH_STYLE_WEIGHT } from './lib/gatysModel.js';

/** Runs the benchmark and prints one line per run, then a JSON summary. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const backendName = (flags.get('backend') ?? 'webgpu') as ConcreteBackend;
  const size = intFlag(flags, 'size', 512);
  const iterations = intFlag(flags, 'iterations', 500);
  const warmup = intFlag(flags, 'warmup', 5);
  const info = await initBackend(backendName);
  try {
    const model = new Vgg19(randomVggWeights());
    const content = tf.randomUniform([size, size, 3], 0, 255, 'float32', 1) as tf.Tensor3D;
    const style = tf.randomUniform([size, size, 3], 0, 255, 'float32', 2) as tf.Tensor3D;
    const run = async (n: number) => {
      const params = parseStylizeParams({
        size,
        iterations: n,
        // One scale, as torch_gatys.py's --adam-iters runs.
        scales: 1,
        optimizer: 'adam',
        learningRate: 10,
        contentWeight: 1,
        styleWeight: TORCH_STYLE_WEIGHT,
        tvWeight: 0,
      });
      let progressEvents = 0;
      const t0 = performance.now();
      const result = await stylize(model, { content, styles: [style], params, onProgress: () => progressEvents++ }, info.runtime);
      await result.image.data();
      const seconds = (performance.now() - t0) / 1000;
      result.image.dispose();
      return { seconds, loss: result.losses.total, evaluations: result.evaluations, progressEvents };
    };
    const t0 = performance.now();
    await run(warmup);
    const warmS = (performance.now() - t0) / 1000;
    const r = await run(iterations);
    console.log(
      `${info.name} (${info.device}) ${size}²: ${iterations} Adam iterations in ${fmtS(r.seconds)} s ` +
        `(${fmtS((r.seconds / iterations) * 1000)} ms/iteration; warm-up ${fmtS(warmS)} s; final loss ${r.loss.toPrecision(4)})`,
    );
    console.log(
      JSON.stringify({ tool: 'atelier', bench: 'adam', backend: info.name, device: info.device, size, adam_iters: iterations, adam_s: r.seconds, warmup_s: warmS, loss: r.loss, peak_rss_mib: process.resourceUsage().maxRSS / 1024 }),
    );
    model.dispose();
    tf.dispose([content, style]);
  } finally {
    await info.shutdown();
  }
}
