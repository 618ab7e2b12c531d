/**
 * `npm run bench -- schedule [--sizes 256,512] [--pairs tubingen:starry_night,golden_gate:the_scream,tubingen:shipwreck]
 * [--schedules 'default;scales=1,iterations=300'] [--torch-evals 300] [--baselines pytorch,lbfgsb]
 * [--compose FILE.png [--compose-cell PX] [--compose-palette true]] [--baseline-cache DIR] [--backend onnx] [--python /usr/bin/python3]`
 *
 * Time to a delivered image: for each size and content × style pair from ../shared/images, runs the
 * baselines for N evaluations of the same loss (../shared/bench/torch_ref.py optim: PyTorch's
 * L-BFGS, unconstrained and clipped at the end as the tutorial does; SciPy's L-BFGS-B, kept in
 * 0..255 throughout, the strongest classical peer) and each candidate schedule of `atelier stylize`
 * as whole commands (start-up included), then judges every delivered PNG with the same independent
 * evaluator (torch_ref.py eval). Losses are compared with L-BFGS-B's (when it runs), wall times with
 * PyTorch's. `--compose` writes, for the largest size, one PNG with a row per pair: content | style
 * | each baseline | each schedule (bench/lib/compose.ts). `--baseline-cache DIR` keeps each baseline's
 * PNG and wall time there and reuses them in later runs (the baselines do not change while
 * schedules are tuned; their times are then those of the run that made them). The loss is the issue's:
 * real VGG-19 block1-3 weights, content conv3_2, style conv1_1,conv2_1,conv3_1, α=1, β=100, γ=1e4.
 * Inputs are pre-sized with Lanczos (the content to the output size, the style to the same longer
 * side) so both programs see the same pixels. Prints figures; never passes or fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmtS, intFlag, intList, parseFlags } from './lib/args.js';
import { median, runCommand } from './lib/child.js';
import { composeGrid, type GridCell } from './lib/compose.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const shared = path.resolve(repo, '../shared');
const WEIGHTS = path.join(shared, 'models/vgg19-block1-3/vgg19_block1-3_notop.h5');
const TORCH_REF = path.join(shared, 'bench/torch_ref.py');
/** The CLI as installed (compiled by `npm run build`) when built, else through tsx as in a clone. */
const COMPILED_CLI = path.join(repo, 'dist/cli/atelier.mjs');
const LOSS = { contentLayers: 'conv3_2', styleLayers: 'conv1_1,conv2_1,conv3_1', alpha: 1, beta: 100, gamma: 1e4 };

interface Judged {
  total: number;
  style: number;
  content: number;
}

/** Runs a command that must succeed; resolves with its stdout and the wall time of the whole command. */
async function timed(cmd: string, args: string[]): Promise<{ stdout: string; seconds: number }> {
  const r = await runCommand(cmd, args);
  if (r.code !== 0) throw new Error(`${path.basename(cmd)} exited ${r.code}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  return r;
}

const lastJson = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop() ?? 'null') as T;

/** Writes `name`'s image with its longer side `side` (PIL Lanczos, as torch_ref.py resizes) to dir; returns the path and size. */
function presize(python: string, name: string, side: number, dir: string): { file: string; width: number; height: number } {
  const file = path.join(dir, `${name}-${side}.png`);
  const code = `import sys,json\nfrom PIL import Image\nim=Image.open(sys.argv[1]).convert('RGB')\ns=int(sys.argv[2])/max(im.size)\nw,h=max(1,round(im.size[0]*s)),max(1,round(im.size[1]*s))\nim.resize((w,h),Image.LANCZOS).save(sys.argv[3])\nprint(json.dumps([w,h]))`;
  const r = spawnSync(python, ['-c', code, path.join(shared, 'images', `${name}.jpg`), String(side), file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pre-sizing ${name}: ${r.stderr.trim().split('\n').pop()}`);
  const [width, height] = JSON.parse(r.stdout) as [number, number];
  return { file, width, height };
}

/** `k=v,k=v` → `--k v --k v` (camelCase keys become kebab-case flags); 'default' → no flags. */
function scheduleFlags(spec: string): string[] {
  if (spec === 'default') return [];
  return spec.split(',').flatMap((kv) => {
    const [k, v] = kv.split('=');
    return [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, v];
  });
}

/** The peers every schedule is measured against: torch_ref.py optim with the same loss and evaluation budget. */
const BASELINES = {
  pytorch: { label: (evals: number) => `PyTorch L-BFGS ${evals}`, args: [] as string[], imports: 'torch, h5py, PIL' },
  lbfgsb: { label: (evals: number) => `SciPy L-BFGS-B ${evals}`, args: ['--optimizer', 'lbfgsb'], imports: 'torch, h5py, PIL, scipy' },
} as const;
type BaselineName = keyof typeof BASELINES;

/** One delivered image of a pair: judged loss and wall time. */
interface Row {
  label: string;
  png: string;
  judged: Judged;
  seconds: number;
  reported?: string;
}

/**
 * Runs a baseline that writes `png`, or, when `png` and its timing (png + '.json') are already
 * there (`--baseline-cache DIR`), reuses them; resolves with the run's wall seconds.
 */
async function cachedRun(png: string, run: () => Promise<{ seconds: number }>): Promise<number> {
  const timing = `${png}.json`;
  if (existsSync(png) && existsSync(timing)) return (JSON.parse(readFileSync(timing, 'utf8')) as { seconds: number }).seconds;
  const { seconds } = await run();
  writeFileSync(timing, JSON.stringify({ seconds }));
  return seconds;
}

/** Entry point. */
export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const sizes = intList(flags.get('sizes'), [256, 512]);
  const pairs = (flags.get('pairs') ?? 'tubingen:starry_night,golden_gate:the_scream,tubingen:shipwreck').split(',').map((p) => p.split(':') as [string, string]);
  const schedules = (flags.get('schedules') ?? 'default;scales=1,iterations=300').split(';').filter(Boolean);
  const torchEvals = intFlag(flags, 'torch-evals', 300);
  const baselines = (flags.get('baselines') ?? 'pytorch,lbfgsb').split(',').filter(Boolean) as BaselineName[];
  for (const b of baselines) if (!(b in BASELINES)) throw new Error(`unknown baseline "${b}" (known: ${Object.keys(BASELINES).join(', ')})`);
  const composeTo = flags.get('compose');
  const cacheDir = flags.get('baseline-cache');
  const backend = flags.get('backend') ?? 'onnx';
  const python = flags.get('python') ?? process.env.ATELIER_PYTHON ?? '/usr/bin/python3';
  for (const need of [WEIGHTS, TORCH_REF]) {
    if (!existsSync(need)) {
      console.log(`schedule: skipped: ${need} is missing (it comes with the shared folder beside the checkout)`);
      return;
    }
  }
  for (const b of baselines) {
    const probe = spawnSync(python, ['-c', `import ${BASELINES[b].imports}`], { encoding: 'utf8' });
    if (probe.status !== 0) {
      console.log(`schedule: skipped: ${b} needs Python modules ${BASELINES[b].imports} (${python}); on Debian: apt-get install -y python3-torch python3-h5py python3-pil python3-scipy libopenblas0-pthread`);
      return;
    }
  }
  // Losses are compared with the strongest peer present, wall times with PyTorch's (the tutorial's recipe).
  const lossRef: BaselineName | undefined = baselines.includes('lbfgsb') ? 'lbfgsb' : baselines[0];
  const timeRef: BaselineName | undefined = baselines.includes('pytorch') ? 'pytorch' : baselines[0];
  const lossFlags = ['--alpha', String(LOSS.alpha), '--beta', String(LOSS.beta), '--gamma', String(LOSS.gamma)];
  const atelierLoss = ['--content-layers', LOSS.contentLayers, '--style-layers', LOSS.styleLayers, '--content-weight', String(LOSS.alpha), '--style-weight', String(LOSS.beta), '--tv-weight', String(LOSS.gamma)];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'atelier-schedule-'));
  if (cacheDir) mkdirSync(cacheDir, { recursive: true });
  const ratios = new Map<string, { loss: number[]; time: number[] }>();
  const grid: GridCell[][] = [];
  // The compiled CLI is a module exporting main(argv), as the installed bin calls it.
  const compiled = existsSync(COMPILED_CLI);
  const cli = compiled
    ? ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(COMPILED_CLI).href)}); process.exitCode = await m.main(process.argv.slice(1));`, '--']
    : [path.join(repo, 'bin/atelier.js')];
  const lossCol = lossRef ? `×${lossRef}` : '';
  const timeCol = timeRef ? `×${timeRef}` : '';
  console.log(`atelier: ${compiled ? 'the compiled CLI (dist/cli, as installed)' : 'bin/atelier.js through tsx (run npm run build to time the compiled CLI)'}`);
  console.log(`schedule: ${backend}, ${os.cpus().length} cores; loss: content ${LOSS.contentLayers}, style ${LOSS.styleLayers}, α=${LOSS.alpha} β=${LOSS.beta} γ=${LOSS.gamma}; baselines: ${baselines.map((b) => BASELINES[b].label(torchEvals)).join(', ') || 'none'}; losses ${lossCol || '-'}, wall times ${timeCol || '-'}`);
  try {
    for (const size of sizes) {
      for (const [contentName, styleName] of pairs) {
        const content = presize(python, contentName, size, dir);
        const style = presize(python, styleName, size, dir);
        const tag = `${size}-${contentName}-${styleName}`;
        const judge = async (png: string): Promise<Judged> =>
          lastJson<Judged>((await timed(python, [TORCH_REF, 'eval', content.file, style.file, png, '--weights', WEIGHTS, ...lossFlags])).stdout);
        const peers = new Map<BaselineName, Row>();
        for (const b of baselines) {
          const png = path.join(cacheDir ?? dir, `${b}-${tag}-${torchEvals}.png`);
          const seconds = await cachedRun(png, () => timed(python, [TORCH_REF, 'optim', content.file, style.file, png, '--weights', WEIGHTS, '--width', String(content.width), '--height', String(content.height), '--evals', String(torchEvals), ...lossFlags, ...BASELINES[b].args]));
          peers.set(b, { label: BASELINES[b].label(torchEvals), png, judged: await judge(png), seconds });
        }
        const rows: Array<Row | { label: string; failed: string }> = [...peers.values()];
        for (const [i, spec] of schedules.entries()) {
          const png = path.join(dir, `atelier-${tag}-${i}.png`);
          const args = [...cli, 'stylize', content.file, style.file, '-o', png, '--weights', WEIGHTS, '--size', String(size), '--backend', backend, '--json', ...atelierLoss, ...scheduleFlags(spec)];
          try {
            const run = await timed(process.execPath, args);
            const reported = lastJson<{ losses: Judged; evaluations: number }>(run.stdout);
            rows.push({ label: spec, png, judged: await judge(png), seconds: run.seconds, reported: `${reported.losses.total.toFixed(0)} (${reported.evaluations} evals)` });
          } catch (err) {
            rows.push({ label: spec, failed: (err as Error).message });
          }
        }
        console.log(`\n${size} px  ${contentName} × ${styleName} (${content.width}×${content.height})`);
        console.log(`  ${'run'.padEnd(34)} ${'delivered'.padStart(10)} ${'(style)'.padStart(9)} ${lossCol.padStart(8)} ${'wall s'.padStart(8)} ${timeCol.padStart(9)}  reported`);
        for (const row of rows) {
          if ('failed' in row) {
            console.log(`  ${row.label.padEnd(34)} failed: ${row.failed}`);
            continue;
          }
          const lossRatio = lossRef ? row.judged.total / peers.get(lossRef)!.judged.total : NaN;
          const timeRatio = timeRef ? row.seconds / peers.get(timeRef)!.seconds : NaN;
          const r = ratios.get(`${size} ${row.label}`) ?? { loss: [], time: [] };
          r.loss.push(lossRatio);
          r.time.push(timeRatio);
          ratios.set(`${size} ${row.label}`, r);
          console.log(`  ${row.label.padEnd(34)} ${row.judged.total.toFixed(0).padStart(10)} ${row.judged.style.toFixed(1).padStart(9)} ${lossRatio.toFixed(2).padStart(8)} ${fmtS(row.seconds).padStart(8)} ${timeRatio.toFixed(2).padStart(9)}  ${row.reported ?? ''}`);
        }
        if (composeTo && size === Math.max(...sizes)) {
          const done = rows.filter((r): r is Row => !('failed' in r));
          grid.push([
            { file: content.file, label: `content: ${contentName}` },
            { file: style.file, label: `style: ${styleName}` },
            ...done.map((r) => ({ file: r.png, label: `${r.label === 'default' ? 'Atelier default' : r.label}: ${r.judged.total.toFixed(0)}, ${fmtS(r.seconds)} s` })),
          ]);
        }
      }
    }
    console.log(`\nmedians over the pairs (delivered loss ${lossCol}, wall time ${timeCol}, in the same run):`);
    for (const [key, r] of ratios) console.log(`  ${key.padEnd(40)} loss ×${median(r.loss).toFixed(2)}  time ×${median(r.time).toFixed(2)}  (worst: loss ×${Math.max(...r.loss).toFixed(2)}, time ×${Math.max(...r.time).toFixed(2)})`);
    if (composeTo && grid.length > 0) {
      const bytes = await composeGrid(grid, path.resolve(composeTo), intFlag(flags, 'compose-cell', Math.max(...sizes)), flags.get('compose-palette') === 'true');
      console.log(`\ncomposed ${grid.length} pair(s) at ${Math.max(...sizes)} px into ${composeTo} (${(bytes / 1024).toFixed(0)} KiB)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
