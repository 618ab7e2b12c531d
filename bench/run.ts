/**
 * Benchmark dispatcher: `npm run bench -- NAME [flags]` runs bench/<name>.ts's `main(argv)`.
 * Benchmarks print figures; they never pass or fail on time. Add a line to BENCHES for a new one.
 */
type Main = (argv: string[]) => Promise<void>;

const BENCHES: Record<string, { about: string; load: () => Promise<{ main: Main }> }> = {
  engine: { about: 'seconds per VGG-19 loss+gradient evaluation and peak memory, per backend and size', load: () => import('./engine.js') },
  'vs-torch': { about: 'the same, side by side with ../shared/bench/torch_gatys.py (PyTorch)', load: () => import('./vsTorch.js') },
  server: { about: 'end-to-end job latency through the companion vs the engine directly, and time to first preview', load: () => import('./server.js') },
  ops: { about: 'fast ops (custom gradients, fused conv) vs stock TF.js ops, same loss+gradient', load: () => import('./ops.js') },
  adam: { about: 'wall time of N Adam iterations through the engine (compare torch_gatys.py --adam-iters)', load: () => import('./adam.js') },
  schedule: { about: 'time to a delivered image: candidate schedules vs PyTorch L-BFGS (300 evals) on the same loss, judged on the PNGs', load: () => import('./schedule.js') },
  'queued-memory': { about: 'memory held by N queued submissions of a 63 MP all-zero PNG, and the answers', load: () => import('./queuedMemory.js') },
  'parallel-uploads': { about: "peak RSS while one team sends N large uploads at once, with and without the per-team upload cap", load: () => import('./parallelUploads.js') },
  'preset-timing': { about: 'cross-team timing oracle of the preset store: already-stored vs new bytes', load: () => import('./presetTiming.js') },
  compose: { about: 'images that already exist (schedule runs, stylize outputs) side by side in one PNG', load: () => import('./compose.js') },
  tiling: { about: 'exact tiled gradients: seconds per evaluation and peak device/host memory vs image size', load: () => import('./tiling.js') },
  estimates: { about: "the plugin's estimate of each quality level vs the job's actual time, for 3 layer sizes, through the learning companion", load: () => import('./estimates.js') },
  cli: { about: 'start-to-exit time of atelier --help, token show, presets list (compiled and through tsx)', load: () => import('./cli.js') },
  'measure-child': { about: '(internal) one measurement in a fresh process', load: () => import('./measureChild.js') },
};

async function run(): Promise<void> {
  const [name, ...argv] = process.argv.slice(2);
  const bench = name ? BENCHES[name] : undefined;
  if (!bench) {
    const list = Object.entries(BENCHES)
      .filter(([n]) => n !== 'measure-child')
      .map(([n, b]) => `  ${n.padEnd(10)} ${b.about}`)
      .join('\n');
    process.stderr.write(`${name ? `unknown benchmark "${name}"\n` : ''}usage: npm run bench -- NAME [flags]\n${list}\n`);
    process.exitCode = 2;
    return;
  }
  await (await bench.load()).main(argv);
}

run().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
