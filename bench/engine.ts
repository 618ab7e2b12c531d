/**
 * `npm run bench -- engine [--sizes 128,256,512] [--backends webgpu,onnx,wasm,cpu] [--evals 5] [--warmup 2]
 * [--threads N] [--budget-s 900]`: for each backend that initialises, the median seconds per
 * loss+gradient evaluation through VGG-19 (real widths, random weights, the torch_gatys.py loss) and
 * peak memory. A size is skipped (with the estimate printed) when the previous size's timing
 * predicts more than --budget-s seconds for it.
 */
import { CONCRETE_BACKENDS, type ConcreteBackend } from '../companion/src/engine/runtime/backendNames.js';
import { fmtS, intFlag, intList, parseFlags } from './lib/args.js';
import { backendMemoryLabel } from './lib/child.js';
import { measureInChild, type Measurement } from './lib/measure.js';

/** Options shared with vs-torch. */
export interface EngineBenchOptions {
  sizes: number[];
  backends: ConcreteBackend[];
  evals: number;
  warmup: number;
  threads?: number;
  budgetS: number;
}

const BACKENDS: readonly ConcreteBackend[] = CONCRETE_BACKENDS;

/** Parses the flags common to engine and vs-torch. */
export function engineOptions(flags: Map<string, string>): EngineBenchOptions {
  const backends = (flags.get('backends') ?? 'webgpu,onnx,wasm,cpu').split(',').map((b) => b.trim()) as ConcreteBackend[];
  for (const b of backends) if (!BACKENDS.includes(b)) throw new Error(`unknown backend "${b}" (one of ${BACKENDS.join(', ')})`);
  const threads = flags.has('threads') ? intFlag(flags, 'threads', 0) : undefined;
  return {
    sizes: intList(flags.get('sizes'), [128, 256, 512]),
    backends,
    evals: Math.max(1, intFlag(flags, 'evals', 5)),
    warmup: intFlag(flags, 'warmup', 2),
    threads,
    budgetS: intFlag(flags, 'budget-s', 900),
  };
}

/** One line per measurement. */
export function formatMeasurement(m: Measurement): string {
  const mem = [`rss ${m.peakRssMiB.toFixed(0)} MiB`, `tensors ${m.peakTensorMiB.toFixed(0)} MiB`];
  if (m.backendMiB !== undefined) mem.push(`${backendMemoryLabel(m.backend)} ${m.backendMiB.toFixed(0)} MiB`);
  return `${m.backend.padEnd(6)} ${String(m.size).padStart(4)}²  ${fmtS(m.sPerEval).padStart(6)} s/eval  (first ${fmtS(m.firstEvalS)} s; ${mem.join(', ')})`;
}

/** Runs every backend × size (each in a fresh process) and returns the measurements; prints as it goes. */
export async function runEngineBench(opts: EngineBenchOptions, log: (line: string) => void = console.log): Promise<Measurement[]> {
  const results: Measurement[] = [];
  for (const backend of opts.backends) {
    let prev: Measurement | undefined;
    for (const size of [...opts.sizes].sort((a, b) => a - b)) {
      if (prev) {
        const estimate = prev.sPerEval * (size / prev.size) ** 2 * (opts.evals + opts.warmup + 1);
        if (estimate > opts.budgetS) {
          log(`${backend.padEnd(6)} ${String(size).padStart(4)}²  skipped: estimated ${fmtS(estimate)} s > --budget-s ${opts.budgetS}`);
          continue;
        }
      }
      try {
        const m = await measureInChild({ backend, size, evals: opts.evals, warmup: opts.warmup, wasmThreads: opts.threads });
        if (!prev) log(`${backend}: ${m.device}${m.software ? ' [software adapter]' : ''}`);
        log(formatMeasurement(m));
        results.push(m);
        prev = m;
      } catch (err) {
        log(`${backend.padEnd(6)} ${String(size).padStart(4)}²  unavailable: ${(err as Error).message}`);
        if (!prev) break;
      }
    }
  }
  return results;
}

/** Entry point. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const opts = engineOptions(flags);
  console.log(`engine bench: VGG-19 to conv5_1, torch_gatys.py loss, sizes ${opts.sizes.join(',')}, ${opts.warmup} warm-up + ${opts.evals} timed evaluations (median)`);
  const results = await runEngineBench(opts);
  if (flags.has('json')) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(flags.get('json')!, JSON.stringify(results, null, 2));
  }
}
