/**
 * `npm run bench -- vs-torch [--sizes 128,256,512] [--backends onnx,wasm] [--evals 5] [--warmup 2]
 * [--torch-device cpu|cuda] [--torch-script PATH] [--python /usr/bin/python3]`: runs
 * ../shared/bench/torch_gatys.py (same loss, same sizes) and Atelier in the same run, and prints
 * seconds per evaluation and the ratio Atelier/PyTorch per size and backend (< 1 = Atelier faster).
 */
import { fmtS, parseFlags } from './lib/args.js';
import { engineOptions, runEngineBench } from './engine.js';
import { TORCH_STYLE_WEIGHT } from './lib/gatysModel.js';
import { describeTorch, runTorch, torchBaseline, type TorchResult } from './lib/torchBaseline.js';

/** Entry point. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const opts = engineOptions(new Map([['backends', 'onnx,wasm'], ...flags]));
  const baseline = torchBaseline(flags);

  console.log(`vs-torch: same loss (content relu4_2, style relu1_1..relu5_1, Gram/(C·H·W), style weight ${TORCH_STYLE_WEIGHT}), sizes ${opts.sizes.join(',')}`);
  const torch = new Map<number, TorchResult>();
  if (baseline.skip) console.log(`torch: skipped: ${baseline.skip}`);
  else {
    for (const size of opts.sizes) {
      try {
        const t = runTorch(baseline, size, opts.evals, opts.warmup);
        torch.set(size, t);
        console.log(describeTorch(t));
      } catch (err) {
        console.log(`torch  ${String(size).padStart(4)}²  failed: ${(err as Error).message}`);
      }
    }
  }

  const ours = await runEngineBench(opts);
  console.log('\nsize   backend  atelier s/eval  torch s/eval  ratio atelier/torch');
  for (const m of ours) {
    const t = torch.get(m.size);
    const ratio = t ? (m.sPerEval / t.s_per_eval).toFixed(2) : 'n/a';
    console.log(`${String(m.size).padStart(4)}²  ${m.backend.padEnd(7)}  ${fmtS(m.sPerEval).padStart(14)}  ${(t ? fmtS(t.s_per_eval) : '-').padStart(12)}  ${ratio.padStart(19)}`);
  }
}
