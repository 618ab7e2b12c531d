/**
 * `atelier serve`: the companion HTTP service the Figma plugin talks to. Initialises the backend and
 * loads the weights once, prints the URL, backend/device and pairing token, and shuts down
 * gracefully on SIGINT/SIGTERM (stop accepting, cancel running work, release the device, exit 0).
 */
import type { Server } from 'node:http';
import type { Command } from 'commander';
import { DEFAULT_PORT } from '../../../shared/protocol.js';
import { UsageError } from './usageError.js';
import type { AppHandle } from '../http/app.js';
import { DEFAULT_LIMITS } from '../http/limits.js';
import type { OpenedEngine } from '../openEngine.js';
import { defaultDataDir, fileTokenAuthenticator, loadOrCreateToken } from '../token.js';
import { choiceOption, intOption } from './parsers.js';

interface ServeFlags {
  host: string;
  port: number;
  dataDir?: string;
  weights?: string;
  backend: string;
  maxQueue?: number;
  maxPixels?: number;
  memoryBudget?: number;
  allowedHost: string[];
  logLevel: string;
}

const BACKENDS = ['auto', 'webgpu', 'cuda', 'native', 'onnx', 'onnx-webgpu', 'wasm', 'cpu'] as const;

/** Adds the `serve` options and action. */
export function configure(cmd: Command): void {
  cmd
    .option('--host <addr>', 'address to bind (default 127.0.0.1; 0.0.0.0 for a team server)', '127.0.0.1')
    .option('--port <n>', `port (default ${DEFAULT_PORT}; 0 = any free port)`, intOption('--port'), DEFAULT_PORT)
    .option('--data-dir <dir>', 'data dir for the token and presets (default $ATELIER_HOME or ~/.atelier)')
    .option('--weights <path>', 'VGG-19 weights: Keras .h5 file or TF.js layers-model directory (default: the installed ones)')
    .option('--backend <name>', `compute backend: ${BACKENDS.join('|')}`, choiceOption('--backend', BACKENDS), 'auto')
    .option('--max-queue <n>', `most jobs waiting (default ${DEFAULT_LIMITS.maxQueue})`, intOption('--max-queue'))
    .option('--max-pixels <n>', `largest image accepted, in pixels (default ${DEFAULT_LIMITS.maxPixels})`, intOption('--max-pixels'))
    .option('--memory-budget <mib>', 'device memory for one job, in MiB: larger images are computed in exact tiles (default: 3072 on wasm, else off)', intOption('--memory-budget'))
    .option('--allowed-host <name>', 'also accept this Host name (repeatable), e.g. for a team server', (v: string, acc: string[]) => [...acc, v], [])
    .option('--log-level <level>', 'log level: fatal|error|warn|info|debug|silent', 'info')
    .action(async (flags: ServeFlags) => {
      await runServe(flags);
    });
}

function checkFlags(flags: ServeFlags): void {
  if (flags.port < 0 || flags.port > 65535) throw new UsageError(`--port: expected 0..65535, got ${flags.port}`);
  if (flags.maxQueue !== undefined && (flags.maxQueue < 0 || flags.maxQueue > 10_000)) throw new UsageError('--max-queue: expected 0..10000');
  if (flags.maxPixels !== undefined && (flags.maxPixels < 1 || flags.maxPixels > 1e9)) throw new UsageError('--max-pixels: expected 1..1000000000');
  if (flags.memoryBudget !== undefined && (flags.memoryBudget < 1 || flags.memoryBudget > 1 << 20)) throw new UsageError('--memory-budget: expected 1..1048576 (MiB)');
}

async function openOrExplain(flags: ServeFlags, log: (line: string) => void): Promise<OpenedEngine> {
  // Heavy modules (TF.js, sharp) load only when serving, so other subcommands stay fast.
  const [{ openEngine }, { WeightsMissingError }, { showNativeOutput }] = await Promise.all([
    import('../openEngine.js'),
    import('../weights/index.js'),
    import('../nativeOutput.js'),
  ]);
  try {
    return await openEngine({ backend: flags.backend, weightsPath: flags.weights, interactive: false, showNativeOutput: showNativeOutput(flags.logLevel), log });
  } catch (err) {
    if (err instanceof WeightsMissingError) throw new UsageError(err.message.split('\n')[0], 1);
    throw err;
  }
}

/** Waits for SIGINT/SIGTERM; a second signal exits at once. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

async function stop(server: Server, handle: AppHandle): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await handle.close();
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), 2000);
  await closed;
  clearTimeout(timer);
}

async function runServe(flags: ServeFlags): Promise<void> {
  checkFlags(flags);
  const [{ createApp, listen }, { createLogger }, { openPresetsService }] = await Promise.all([
    import('../http/app.js'),
    import('../log.js'),
    import('../presets/service.js'),
  ]);
  const logger = createLogger({ level: flags.logLevel });
  const dataDir = flags.dataDir ?? defaultDataDir();
  const engine = await openOrExplain(flags, (line) => process.stdout.write(`${line}\n`));
  let handle: AppHandle | null = null;
  let teamPresets: import('../presets/service.js').PresetsService | null = null;
  try {
    const { token, path: tokenFile, created } = await loadOrCreateToken(dataDir);
    // Team presets (SQLite in the data dir): the pairing token acts as the local team, `teams create` tokens as theirs.
    teamPresets = openPresetsService({ dataDir, pairing: fileTokenAuthenticator(dataDir, token), limits: flags.maxPixels !== undefined ? { maxPixels: flags.maxPixels } : {} });
    handle = createApp({
      engine: { model: engine.model, backend: { name: engine.backend.name, device: engine.backend.device }, memoryBudgetMiB: flags.memoryBudget },
      weightsInfo: { source: engine.weights.source, layers: engine.weights.layers },
      authenticate: teamPresets.authenticate,
      presets: teamPresets.presets,
      dataDir,
      limits: {
        ...(flags.maxQueue !== undefined ? { maxQueue: flags.maxQueue } : {}),
        ...(flags.maxPixels !== undefined ? { maxPixels: flags.maxPixels } : {}),
      },
      allowedHosts: flags.allowedHost,
      logger,
    });
    let bound;
    try {
      bound = await listen(handle, flags.port, flags.host);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') throw new UsageError(`port ${flags.port} on ${flags.host} is already in use (another companion running?); pick one with --port`, 1);
      if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') throw new UsageError(`--host ${flags.host}: cannot bind this address`, 1);
      throw err;
    }
    const out = (line: string): boolean => process.stdout.write(`${line}\n`);
    out(`Atelier companion listening on ${bound.url}`);
    out(`weights: ${engine.weights.source} (${engine.weights.layers.length} layers)`);
    out(`pairing token: ${token}${created ? `  (new; stored in ${tokenFile})` : ''}`);
    if (flags.host !== '127.0.0.1' && flags.host !== 'localhost' && flags.host !== '::1') {
      out(`warning: listening on ${flags.host}; only Host names given with --allowed-host (and loopback) are accepted`);
    }
    const sig = await untilSignal();
    logger.info({ signal: sig }, 'shutting down');
    await stop(bound.server, handle);
    out('Atelier companion stopped');
  } finally {
    await handle?.close();
    await engine.close();
    teamPresets?.close();
  }
  // Anything a library left running must not keep a stopped server alive.
  setTimeout(() => process.exit(0), 3000).unref();
}
