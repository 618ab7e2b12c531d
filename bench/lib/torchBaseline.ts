/**
 * ../shared/bench/torch_gatys.py, the PyTorch timing baseline (same loss, random weights), run from
 * a benchmark in the same run as Atelier: where it is, whether PyTorch can run it, and one run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmtS } from './args.js';
import { TORCH_STYLE_WEIGHT } from './gatysModel.js';

/** What torch_gatys.py prints (its last line, JSON). */
export interface TorchResult {
  s_per_eval: number;
  device: string;
  device_name: string;
  torch: string;
  threads: number;
  size: number;
  peak_rss_mib: number;
  peak_gpu_mib?: number;
}

/** How to run the baseline: --python, --torch-script, --torch-device, --torch-threads. */
export interface TorchBaseline {
  python: string;
  script: string;
  device: string;
  threads: number;
  /** Why it cannot run here, when it cannot. */
  skip?: string;
}

/** ../shared/bench/torch_gatys.py beside the checkout (or beside a bundle), when present. */
function defaultTorchScript(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../../../shared/bench/torch_gatys.py'), path.resolve(here, '../torch_gatys.py'), path.resolve(process.cwd(), '../shared/bench/torch_gatys.py')];
  return candidates.find(existsSync) ?? candidates[0];
}

/** The baseline as the flags say, with the reason it cannot run when it cannot. */
export function torchBaseline(flags: Map<string, string>): TorchBaseline {
  const python = flags.get('python') ?? process.env.ATELIER_PYTHON ?? '/usr/bin/python3';
  const script = flags.get('torch-script') ?? defaultTorchScript();
  const device = flags.get('torch-device') ?? 'cpu';
  const threads = Number(flags.get('torch-threads') ?? os.availableParallelism());
  const base = { python, script, device, threads };
  if (!existsSync(script)) return { ...base, skip: `no ${script}` };
  const probe = spawnSync(python, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return { ...base, skip: `PyTorch is missing (${python}: ${(probe.error?.message ?? probe.stderr.trim().split('\n').pop()) || 'import failed'}); on Debian: apt-get install -y python3-torch python3-torchvision libopenblas0-pthread` };
  }
  return base;
}

/** One untiled run of torch_gatys.py at size² (median of `evals` after `warmup`). */
export function runTorch(b: TorchBaseline, size: number, evals: number, warmup: number): TorchResult {
  const args = ['--device', b.device, '--size', String(size), '--evals', String(evals), '--warmup', String(warmup), '--threads', String(b.threads), '--style-weight', String(TORCH_STYLE_WEIGHT)];
  const r = spawnSync(b.python, [b.script, ...args], { encoding: 'utf8' });
  if (r.error) throw new Error(`${b.python}: ${r.error.message}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(r.stderr.trim().split('\n').pop() ?? `exit code ${r.status}`);
  return JSON.parse(line) as TorchResult;
}

/** One line describing a baseline run. */
export function describeTorch(t: TorchResult): string {
  return `torch  ${String(t.size).padStart(4)}²  ${fmtS(t.s_per_eval).padStart(6)} s/eval  (torch ${t.torch} on ${t.device_name}, ${t.threads} threads; rss ${t.peak_rss_mib.toFixed(0)} MiB${t.peak_gpu_mib ? `, gpu ${t.peak_gpu_mib.toFixed(0)} MiB` : ''})`;
}
