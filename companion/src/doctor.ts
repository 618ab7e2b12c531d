/**
 * `atelier doctor`'s checks: can this machine run the default job (a stylization with the installed
 * weights on the best backend), and serve the plugin? Each check says what it found and, when
 * something blocks the default job, the fix. Printing is cli/doctor.ts's business.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { DEFAULT_PORT } from '../../shared/protocol.js';
import { NO_ADAPTER, Vgg19, autoOrder, cudaProviderMissing, firstThatStarts, initBackend, measureSpeed, type ConcreteBackend, type Skip } from './engine/index.js';
import { PACKAGE_NAME } from '../../shared/defaults.js';
import { listGpuAdapters, quietWebGpuProbe, type SeenAdapter } from './gpuProbe.js';
import { quietLibraries } from './nativeOutput.js';
import { resolveDataDir } from './io/dataDir.js';
import { probePostgres, probeRedis, type ServiceCheck } from './serviceProbes.js';
import { tokenPath } from './token.js';
import { INSTALL_COMMAND, loadWeights, weightsStatus } from './weights/index.js';

/** Node.js major version Atelier needs (package.json `engines`). */
export const MIN_NODE_MAJOR = 20;
/** Side of the square image each backend is timed on. */
export const DOCTOR_SIZE = 128;

/** One backend: could it start, on what, and how fast is one loss+gradient evaluation at 128². */
export interface BackendCheck {
  name: ConcreteBackend;
  status: 'available' | 'unavailable' | 'not tried';
  device?: string;
  reason?: string;
  /** Seconds per evaluation (the second one, after a warm-up); absent without weights. */
  secondsPerEvaluation?: number;
}

/** Everything doctor found. `problems` block the default job; `notes` do not. */
export interface DoctorReport {
  ok: boolean;
  node: { version: string; ok: boolean };
  /** The backends in the order `--backend auto` tries them here. */
  backends: BackendCheck[];
  /** What `--backend auto` would choose from these checks, and why not the others; null when none starts or they were not tried. */
  auto: { name: ConcreteBackend; skipped: Skip[] } | null;
  gpuAdapters: SeenAdapter[];
  gpuError?: string;
  weights: { installed: boolean; path: string | null; layers: string[] };
  dataDir: { path: string; exists: boolean; writable: boolean };
  port: { port: number; free: boolean };
  token: { present: boolean; path: string };
  /** A team server's services, when given: the job queue (Redis) and the database (PostgreSQL). */
  services: { queue?: ServiceCheck; database?: ServiceCheck };
  problems: Array<{ problem: string; fix: string }>;
  notes: string[];
}

/** Whether `port` can be bound on 127.0.0.1 right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Writable folder, or the nearest existing parent for a folder that does not exist yet (created on first use). */
function writable(dir: string): boolean {
  let d = dir;
  while (!existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  try {
    accessSync(d, constants.W_OK);
    return statSync(d).isDirectory();
  } catch {
    return false;
  }
}

/** Starts one backend, times one evaluation of the default loss at 128² with the weights (when given), releases everything. */
export async function checkBackend(name: ConcreteBackend, weightsPath: string | null, showNativeOutput: boolean): Promise<BackendCheck> {
  quietLibraries(showNativeOutput);
  let backend;
  try {
    backend = await initBackend(name, { probeWebGpu: quietWebGpuProbe(showNativeOutput) });
  } catch (err) {
    return { name, status: 'unavailable', reason: (err as Error).message.replace(/^backend \S+ is not available: /, '') };
  }
  const device = `${backend.device}${backend.software ? ' [software]' : ''}`;
  try {
    if (!weightsPath) return { name, status: 'available', device };
    const { weights } = await loadWeights(weightsPath);
    const model = new Vgg19(weights);
    try {
      // One warm-up evaluation, then one timed: the probe every speed figure comes from.
      const { secondsPerEvaluation } = await measureSpeed(model, 1, backend.runtime, DOCTOR_SIZE);
      return { name, status: 'available', device, secondsPerEvaluation };
    } finally {
      model.dispose();
    }
  } catch (err) {
    return { name, status: 'unavailable', device, reason: `started, but an evaluation failed: ${(err as Error).message.split('\n')[0]}` };
  } finally {
    await backend.shutdown();
  }
}

/**
 * Runs every check. `backends: false` skips starting them (fast); the report then says so. `check`
 * times one backend (default: in this process; the CLI gives each backend a fresh process).
 */
export async function runDoctor(
  opts: { dataDir?: string; port?: number; showNativeOutput?: boolean; backends?: boolean; check?: typeof checkBackend; queue?: string; database?: string } = {},
): Promise<DoctorReport> {
  const check = opts.check ?? checkBackend;
  const problems: DoctorReport['problems'] = [];
  const notes: string[] = [];
  const show = opts.showNativeOutput === true;

  const nodeMajor = Number(process.versions.node.split('.')[0]);
  const node = { version: process.versions.node, ok: nodeMajor >= MIN_NODE_MAJOR };
  if (!node.ok) problems.push({ problem: `Node.js ${node.version} is too old`, fix: `install Node.js ${MIN_NODE_MAJOR} or newer` });

  const dataPath = resolveDataDir(opts.dataDir);
  const dataDir = { path: dataPath, exists: existsSync(dataPath), writable: writable(dataPath) };
  if (!dataDir.writable) problems.push({ problem: `the data dir ${dataPath} is not writable`, fix: `make it writable, or point ATELIER_HOME at a writable folder` });

  const st = weightsStatus({ home: dataPath });
  const weights = { installed: st.installed, path: st.path, layers: st.layers };
  if (!st.installed) problems.push({ problem: 'the VGG-19 weights are not installed', fix: `${INSTALL_COMMAND}   (or ${INSTALL_COMMAND} --from FILE.h5)` });

  let gpuAdapters: SeenAdapter[] = [];
  let gpuError: string | undefined;
  try {
    gpuAdapters = await listGpuAdapters({ showNativeOutput: show });
  } catch (err) {
    gpuError = (err as Error).message;
  }

  // The same facts and order as `--backend auto` (engine/runtime/autoOrder.ts), from the adapters seen above.
  const high = gpuAdapters.find((a) => a.powerPreference === 'high-performance');
  const steps = autoOrder({ cudaMissing: cudaProviderMissing(), adapter: high ?? { reason: gpuError ?? NO_ADAPTER } });
  const backends: BackendCheck[] = [];
  for (const { name, unavailable } of steps) {
    if (opts.backends === false) backends.push({ name, status: 'not tried', reason: 'skipped (--no-backends)' });
    else if (unavailable) backends.push({ name, status: 'unavailable', reason: unavailable });
    else if (name === 'cpu' && backends.some((b) => b.secondsPerEvaluation !== undefined)) {
      // Pure JS takes tens of seconds per evaluation at 128²: timed only when it is all there is.
      backends.push({ ...(await check(name, null, show)), reason: 'not timed: a faster backend is available' });
    } else backends.push(await check(name, st.path, show));
  }
  const auto =
    opts.backends === false
      ? null
      : await firstThatStarts(steps, async (name) => {
          const b = backends.find((c) => c.name === name)!;
          if (b.status !== 'available') throw new Error(b.reason);
        }).then(
          ({ name, skipped }) => ({ name, skipped }),
          () => null,
        );
  if (opts.backends !== false && !backends.some((b) => b.status === 'available' && (b.secondsPerEvaluation !== undefined || !st.installed))) {
    problems.push({ problem: 'no backend could evaluate the loss', fix: `reinstall Atelier (npm install -g ${PACKAGE_NAME}); run doctor with --log-level debug to see why` });
  }

  const port = opts.port ?? DEFAULT_PORT;
  const portCheck = { port, free: await portFree(port) };
  if (!portCheck.free) notes.push(`port ${port} is in use (a companion already running?): 'atelier serve --port N' picks another`);

  const token = { present: existsSync(tokenPath(dataPath)), path: tokenPath(dataPath) };
  if (!token.present) notes.push(`no pairing token yet: 'atelier serve' (or 'atelier token show') creates ${token.path}`);

  const [queue, database] = await Promise.all([opts.queue ? probeRedis(opts.queue) : undefined, opts.database ? probePostgres(opts.database) : undefined]);
  const services = { ...(queue ? { queue } : {}), ...(database ? { database } : {}) };
  if (queue && !queue.reachable) problems.push({ problem: `the job queue (Redis) at ${queue.url} is not reachable: ${queue.reason}`, fix: 'start redis-server there, or correct --queue' });
  if (database && !database.reachable) problems.push({ problem: `the database (PostgreSQL) at ${database.url} is not reachable: ${database.reason}`, fix: 'start PostgreSQL there, or correct --database (user, password, database name)' });

  return { ok: problems.length === 0, node, backends, auto, gpuAdapters, gpuError, weights, dataDir, port: portCheck, token, services, problems, notes };
}
