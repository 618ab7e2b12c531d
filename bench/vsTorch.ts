/**
 * `npm run bench -- vs-torch [--sizes 128,256,512] [--backends onnx,wasm] [--evals 5] [--warmup 2]
 * [--torch-device cpu|cuda] [--torch-script PATH] [--python /usr/bin/python3]`: runs
 * ../shared/bench/torch_gatys.py (same loss, same sizes) and Atelier in the same run, and prints
 * seconds per evaluation and the ratio Atelier/PyTorch per size and backend (< 1 = Atelier faster).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmtS, intFlag, parseFlags } from './lib/args.js';
import { engineOptions, runEngineBench } from './engine.js';
import { TORCH_STYLE_WEIGHT } from './lib/gatysModel.js';

interface TorchResult {
  s_per_eval: number;
  device: string;
  device_name: string;
  torch: string;
  threads: number;
  size: number;
  peak_rss_mib: number;
  peak_gpu_mib?: number;
}

/** ../shared/bench/torch_gatys.py beside the checkout (or beside a bundle), when present. */
function defaultTorchScript(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../../shared/bench/torch_gatys.py'), path.resolve(here, 'torch_gatys.py'), path.resolve(process.cwd(), '../shared/bench/torch_gatys.py')];
  return candidates.find(existsSync) ?? candidates[0];
}

function runTorch(python: string, script: string, args: string[]): TorchResult {
  const r = spawnSync(python, [script, ...args], { encoding: 'utf8' });
  if (r.error) throw new Error(`${python}: ${r.error.message}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) {
    const last = r.stderr.trim().split('\n').pop() ?? `exit code ${r.status}`;
    throw new Error(last);
  }
  return JSON.parse(line) as TorchResult;
}

/** Entry point. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const opts = engineOptions(new Map([['backends', 'onnx,wasm'], ...flags]));
  const python = flags.get('python') ?? process.env.ATELIER_PYTHON ?? '/usr/bin/python3';
  const script = flags.get('torch-script') ?? defaultTorchScript();
  const device = flags.get('torch-device') ?? 'cpu';
  const threads = intFlag(flags, 'torch-threads', os.availableParallelism());

  console.log(`vs-torch: same loss (content relu4_2, style relu1_1..relu5_1, Gram/(C·H·W), style weight ${TORCH_STYLE_WEIGHT}), sizes ${opts.sizes.join(',')}`);
  const torch = new Map<number, TorchResult>();
  let torchSkip: string | undefined;
  if (!existsSync(script)) torchSkip = `no ${script}`;
  else {
    const probe = spawnSync(python, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      torchSkip = `PyTorch is missing (${python}: ${(probe.error?.message ?? probe.stderr.trim().split('\n').pop()) || 'import failed'}); on Debian: apt-get install -y python3-torch python3-torchvision libopenblas0-pthread`;
    }
  }
  if (torchSkip) console.log(`torch: skipped: ${torchSkip}`);
  else {
    for (const size of opts.sizes) {
      const args = ['--device', device, '--size', String(size), '--evals', String(opts.evals), '--warmup', String(opts.warmup), '--threads', String(threads), '--style-weight', String(TORCH_STYLE_WEIGHT)];
      try {
        const t = runTorch(python, script, args);
        torch.set(size, t);
        console.log(`torch  ${String(size).padStart(4)}²  ${fmtS(t.s_per_eval).padStart(6)} s/eval  (torch ${t.torch} on ${t.device_name}, ${t.threads} threads; rss ${t.peak_rss_mib.toFixed(0)} MiB${t.peak_gpu_mib ? `, gpu ${t.peak_gpu_mib.toFixed(0)} MiB` : ''})`);
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
