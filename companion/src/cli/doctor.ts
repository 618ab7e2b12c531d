/** `atelier doctor [--json]`: what this machine can run, and the fix for what blocks the default job (exit code 1). */
import { execFile } from 'node:child_process';
import { Option, type Command } from 'commander';
import { DEFAULT_PORT } from '../../../shared/protocol.js';
import type { BackendCheck } from '../doctor.js';
import type { ConcreteBackend } from '../engine/contract.js';
import { dataDirOption } from './dataDirOption.js';
import { intOption } from './parsers.js';
import { UsageError } from './usageError.js';

interface DoctorFlags {
  json?: boolean;
  dataDir?: string;
  port?: number;
  backends: boolean;
  logLevel?: string;
  checkBackend?: ConcreteBackend;
  weights?: string;
  queue?: string;
  database?: string;
}

/** Parses a service URL flag: one of `schemes`, else a usage error (exit 2). */
function serviceUrlOption(flag: string, schemes: string[]): (value: string) => string {
  return (value) => {
    let scheme = '';
    try {
      scheme = new URL(value).protocol.replace(/:$/, '');
    } catch {
      // not a URL: refused below
    }
    if (!schemes.includes(scheme)) throw new UsageError(`${flag}: expected a ${schemes.map((s) => `${s}://`).join(' or ')} URL, got '${value}'`);
    return value;
  };
}

/**
 * Times one backend in a fresh `atelier doctor --check-backend NAME` process: backends then never
 * share a process (starting one after another has shut down is not what the CLI ever does), and a
 * crash in a native library costs one line of the report, not the report.
 */
function checkInChild(name: ConcreteBackend, weightsPath: string | null, show: boolean): Promise<BackendCheck> {
  const args = [process.argv[1], 'doctor', '--check-backend', name, ...(weightsPath ? ['--weights', weightsPath] : []), ...(show ? ['--log-level', 'debug'] : [])];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 600_000 }, (err, stdout, stderr) => {
      if (show) process.stderr.write(stderr);
      try {
        resolve(JSON.parse(stdout) as BackendCheck);
      } catch {
        resolve({ name, status: 'unavailable', reason: `its check crashed: ${(stderr.trim().split('\n').pop() || err?.message) ?? 'no output'}` });
      }
    });
  });
}

/** Adds the `doctor` options and action. */
export function configure(cmd: Command): void {
  dataDirOption(cmd.option('--json', 'print one JSON object instead of text'), 'data dir to check')
    .option('--port <n>', `port 'serve' would use (default ${DEFAULT_PORT})`, intOption('--port'))
    .option('--no-backends', 'do not start or time the backends (fast)')
    .option('--queue <url>', "a team server's job queue to check: redis://[:PASSWORD@]HOST:PORT", serviceUrlOption('--queue', ['redis', 'rediss']))
    .option('--database <url>', "a team server's database to check: postgres://USER[:PASSWORD]@HOST:PORT/DB", serviceUrlOption('--database', ['postgres', 'postgresql']))
    .option('--log-level <level>', "'debug' also shows native libraries' own output (Dawn's Vulkan warnings)")
    .addOption(new Option('--check-backend <name>', '(internal) time one backend, print its JSON').hideHelp())
    .addOption(new Option('--weights <path>', '(internal) weights for --check-backend').hideHelp())
    .action(async (flags: DoctorFlags) => {
      const [{ runDoctor, checkBackend, DOCTOR_SIZE }, { showNativeOutput }] = await Promise.all([import('../doctor.js'), import('../nativeOutput.js')]);
      const show = showNativeOutput(flags.logLevel);
      if (flags.checkBackend) {
        process.stdout.write(`${JSON.stringify(await checkBackend(flags.checkBackend, flags.weights ?? null, show))}\n`);
        return;
      }
      const report = await runDoctor({ dataDir: flags.dataDir, port: flags.port, backends: flags.backends, showNativeOutput: show, check: checkInChild, queue: flags.queue, database: flags.database });
      if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else process.stdout.write(formatReport(report, DOCTOR_SIZE));
      if (!report.ok) process.exitCode = 1;
    });
}

type Report = Awaited<ReturnType<typeof import('../doctor.js').runDoctor>>;

const mark = (ok: boolean): string => (ok ? 'ok  ' : 'FAIL');

/** The report as aligned text lines, problems and their fixes last. */
function formatReport(r: Report, size: number): string {
  const lines = [`${mark(r.node.ok)} Node.js ${r.node.version}`];
  lines.push(`     GPU adapters: ${r.gpuAdapters.length ? r.gpuAdapters.map((a) => `${a.powerPreference}: ${a.device}${a.software ? ' [software]' : ''}`).join('; ') : (r.gpuError ?? 'none')}`);
  for (const b of r.backends) {
    const speed = b.secondsPerEvaluation !== undefined ? `, ${b.secondsPerEvaluation.toFixed(3)} s per evaluation at ${size}²` : '';
    const what = b.status === 'available' ? `available on ${b.device}${speed}${b.reason ? ` (${b.reason})` : ''}` : `${b.status}: ${b.reason}`;
    lines.push(`     backend ${b.name.padEnd(11)} ${what}`);
  }
  if (r.auto) lines.push(`     --backend auto chooses ${r.auto.name} (the first of the backends above, in this order, that starts)`);
  lines.push(`${mark(r.weights.installed)} weights: ${r.weights.installed ? `${r.weights.path} (${r.weights.layers.length} layers: ${r.weights.layers[0]}..${r.weights.layers.at(-1)})` : 'not installed'}`);
  lines.push(`${mark(r.dataDir.writable)} data dir: ${r.dataDir.path} (${r.dataDir.exists ? 'exists' : 'created on first use'}, ${r.dataDir.writable ? 'writable' : 'NOT writable'})`);
  lines.push(`     port ${r.port.port}: ${r.port.free ? 'free' : 'in use'}`);
  lines.push(`     pairing token: ${r.token.present ? `present (${r.token.path})` : 'not created yet'}`);
  for (const [what, name, s] of [['queue', 'Redis', r.services.queue], ['database', 'PostgreSQL', r.services.database]] as const) {
    if (s) lines.push(`${mark(s.reachable)} ${what}: ${s.reachable ? `${name} ${s.version} at ${s.url}` : `${s.url} not reachable: ${s.reason}`}`);
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  for (const p of r.problems) lines.push(`problem: ${p.problem}; fix: ${p.fix}`);
  lines.push(r.ok ? 'Atelier can run here.' : 'Atelier cannot run its default job here until the problems above are fixed.');
  return `${lines.join('\n')}\n`;
}
