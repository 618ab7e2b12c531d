/**
 * `atelier serve`: the companion HTTP service the Figma plugin talks to. Initialises the backend and
 * loads the weights once, prints the URL, backend/device and pairing token, and shuts down
 * gracefully on SIGINT/SIGTERM (stop accepting, cancel running work, release the device, exit 0).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Command } from 'commander';
import { DEFAULT_PORT } from '../../../shared/protocol.js';
import { UsageError } from './usageError.js';
import { BACKEND_NAMES, DEFAULT_BUDGETS } from '../engine/contract.js';
import type { AppHandle, TlsFiles } from '../http/app.js';
import { DEFAULT_LIMITS } from '../http/limits.js';
import type { MeasuredSpeed } from '../../../shared/schedule.js';
import { resolveDataDir } from '../io/dataDir.js';
import { fileTokenAuthenticator, loadOrCreateToken } from '../token.js';
import { asDatabaseUsageError, checkDatabaseFlag, databaseOption } from './databaseOption.js';
import { dataDirOption } from './dataDirOption.js';
import { choiceOption, intOption } from './parsers.js';
import { watchStopSignals } from './stopSignals.js';
import { openEngineForServe } from './serveWeights.js';

interface ServeFlags {
  host: string;
  port: number;
  dataDir?: string;
  database?: string;
  weights?: string;
  weightsFrom?: string;
  download: boolean;
  backend: string;
  maxQueue?: number;
  maxTeamQueue?: number;
  maxPixels?: number;
  maxQueuedPixels?: number;
  maxTeamQueuedPixels?: number;
  maxTeamUploads?: number;
  memoryBudget?: number;
  allowedHost: string[];
  allowedOrigin: string[];
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
  logLevel: string;
}

/**
 * Parses one `--allowed-origin`: a web origin exactly as browsers send it, `scheme://host[:port]`
 * (no path, no wildcard, one per flag), since anything else would silently never match.
 */
export function originOption(value: string, acc: string[]): string[] {
  const v = value.trim();
  const refuse = (why: string): never => {
    throw new UsageError(`--allowed-origin '${value}': ${why}; give one origin per flag, like https://studio.example.com`);
  };
  if (v === '*' || v.includes('*')) refuse('wildcards are not accepted');
  if (/[,\s]/.test(v)) refuse('one origin per flag (repeat the flag for several)');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) refuse('the scheme is missing (https:// or http://)');
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return refuse('not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') refuse('only http:// and https:// origins exist for web pages');
  if (url.origin !== v.replace(/\/+$/, '').toLowerCase() || url.username || url.password) refuse(`an origin has no path, query or user (did you mean ${url.origin}?)`);
  return [...acc, url.origin];
}


/** Adds the `serve` options and action. */
export function configure(cmd: Command): void {
  cmd
    .option('--host <addr>', 'address to bind (default 127.0.0.1; 0.0.0.0 for a team server)', '127.0.0.1')
    .option('--port <n>', `port (default ${DEFAULT_PORT}; 0 = any free port)`, intOption('--port'), DEFAULT_PORT);
  databaseOption(dataDirOption(cmd, 'data dir for the token, presets and installed weights'))
    .option('--weights <path>', 'VGG-19 weights: Keras .h5 file or TF.js layers-model directory (default: the installed ones)')
    .option('--weights-from <file|url>', 'when the weights are not installed, install them from here (default: the official download)')
    .option('--no-download', 'exit when the weights are not installed, instead of downloading them')
    .option('--backend <name>', `compute backend: ${BACKEND_NAMES.join('|')}`, choiceOption('--backend', BACKEND_NAMES), 'auto')
    .option('--max-queue <n>', `most jobs waiting (default ${DEFAULT_LIMITS.maxQueue})`, intOption('--max-queue'))
    .option('--max-team-queue <n>', `most jobs one team may have waiting (default ${DEFAULT_LIMITS.maxTeamQueue})`, intOption('--max-team-queue'))
    .option('--max-pixels <n>', `largest image accepted, in pixels (default ${DEFAULT_LIMITS.maxPixels})`, intOption('--max-pixels'))
    .option('--max-queued-pixels <n>', `decoded image pixels all waiting and running jobs may hold (default ${DEFAULT_LIMITS.maxQueuedPixels})`, intOption('--max-queued-pixels'))
    .option('--max-team-queued-pixels <n>', `the same for one team's jobs (default ${DEFAULT_LIMITS.maxTeamQueuedPixels})`, intOption('--max-team-queued-pixels'))
    .option('--max-team-uploads <n>', `job uploads one team may send at the same time (default ${DEFAULT_LIMITS.maxTeamUploads})`, intOption('--max-team-uploads'))
    .option('--memory-budget <mib>', `device memory for one job, in MiB: larger images are computed in exact tiles (default: ${DEFAULT_BUDGETS})`, intOption('--memory-budget'))
    .option('--allowed-host <name>', 'also accept this Host name (repeatable), e.g. for a team server', (v: string, acc: string[]) => [...acc, v], [])
    .option('--allowed-origin <origin>', "also answer CORS for this web origin, scheme://host[:port] (repeatable); 'null' and Figma's are always allowed", originOption, [])
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM); needs --tls-key')
    .option('--tls-key <file>', 'the private key (PEM) of --tls-cert')
    .option('--insecure-http', 'serve plain HTTP on a non-loopback --host (refused without it: tokens would cross the network in clear text)')
    .option('--log-level <level>', 'log level: fatal|error|warn|info|debug|silent', 'info')
    .action(async (flags: ServeFlags) => {
      await runServe(flags);
    });
}

function checkFlags(flags: ServeFlags): void {
  if (flags.port < 0 || flags.port > 65535) throw new UsageError(`--port: expected 0..65535, got ${flags.port}`);
  if (flags.maxQueue !== undefined && (flags.maxQueue < 0 || flags.maxQueue > 10_000)) throw new UsageError('--max-queue: expected 0..10000');
  if (flags.maxTeamQueue !== undefined && (flags.maxTeamQueue < 1 || flags.maxTeamQueue > 10_000)) throw new UsageError('--max-team-queue: expected 1..10000');
  if (flags.maxPixels !== undefined && (flags.maxPixels < 1 || flags.maxPixels > 1e9)) throw new UsageError('--max-pixels: expected 1..1000000000');
  for (const [flag, v] of [['--max-queued-pixels', flags.maxQueuedPixels], ['--max-team-queued-pixels', flags.maxTeamQueuedPixels]] as const) {
    if (v !== undefined && (v < 1 || v > 1e12)) throw new UsageError(`${flag}: expected 1..1000000000000`);
  }
  if (flags.maxTeamUploads !== undefined && (flags.maxTeamUploads < 1 || flags.maxTeamUploads > 1000)) throw new UsageError('--max-team-uploads: expected 1..1000');
  if (flags.memoryBudget !== undefined && (flags.memoryBudget < 1 || flags.memoryBudget > 1 << 20)) throw new UsageError('--memory-budget: expected 1..1048576 (MiB)');
  if (!LOOPBACK_HOSTS.test(flags.host) && !flags.tlsCert && !flags.insecureHttp) {
    throw new UsageError(`--host ${flags.host} without TLS: bearer tokens would cross the network in clear text; give --tls-cert FILE --tls-key FILE, or --insecure-http to serve plain HTTP anyway`);
  }
}

/**
 * The certificate and key named by --tls-cert/--tls-key, read and checked (a PEM certificate, a
 * PEM private key, the key of that certificate) before the engine loads, so that a bad file is one
 * line naming the flag and the file at once; undefined without them.
 */
export function readTls(flags: Pick<ServeFlags, 'tlsCert' | 'tlsKey'>): TlsFiles | undefined {
  if (!flags.tlsCert !== !flags.tlsKey) throw new UsageError('--tls-cert and --tls-key go together');
  if (!flags.tlsCert || !flags.tlsKey) return undefined;
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new UsageError(`${flag} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  const files = { cert: read('--tls-cert', flags.tlsCert), key: read('--tls-key', flags.tlsKey) };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(files.cert);
  } catch {
    throw new UsageError(`--tls-cert ${flags.tlsCert}: not a certificate (expected PEM, '-----BEGIN CERTIFICATE-----')`);
  }
  let key;
  try {
    key = createPrivateKey(files.key);
  } catch {
    throw new UsageError(`--tls-key ${flags.tlsKey}: not an unencrypted private key (expected PEM, '-----BEGIN PRIVATE KEY-----')`);
  }
  if (!cert.checkPrivateKey(key)) throw new UsageError(`--tls-key ${flags.tlsKey}: not the private key of the certificate in --tls-cert ${flags.tlsCert}`);
  if (Date.parse(cert.validTo) < Date.now()) throw new UsageError(`--tls-cert ${flags.tlsCert}: the certificate expired on ${cert.validTo}`);
  return files;
}

const LOOPBACK_HOSTS = /^(127(\.\d{1,3}){3}|::1|\[::1\]|localhost)$/i;

/** Start-up warnings about where the companion listens and how. */
export function listenWarnings(host: string, tls: boolean): string[] {
  if (LOOPBACK_HOSTS.test(host)) return [];
  const warnings = [`warning: listening on ${host}; only Host names given with --allowed-host (and loopback) are accepted`];
  if (!tls) warnings.push(`warning: plain HTTP on ${host}: bearer tokens cross the network in clear text; serve HTTPS with --tls-cert FILE --tls-key FILE`);
  return warnings;
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
  const signals = watchStopSignals((sig) => process.stdout.write(`${sig} during start-up: Atelier companion stopped\n`));
  checkFlags(flags);
  const tls = readTls(flags);
  await checkDatabaseFlag(flags.database);
  const [{ createApp, listen }, { createLogger }, { openPresetsService }] = await Promise.all([
    import('../http/app.js'),
    import('../log.js'),
    import('../presets/service.js'),
  ]);
  const { measureSpeed } = await import('../engine/index.js');
  const logger = createLogger({ level: flags.logLevel });
  const dataDir = resolveDataDir(flags.dataDir);
  const { engine, port } = await openEngineForServe(flags, tls, (line) => process.stdout.write(`${line}\n`));
  let handle: AppHandle | null = null;
  let teamPresets: import('../presets/service.js').PresetsService | null = null;
  try {
    const { token, path: tokenFile, created } = await loadOrCreateToken(dataDir);
    // Team presets (SQLite in the data dir, or --database): the pairing token acts as the local team, `teams create` tokens as theirs.
    teamPresets = await openPresetsService({ dataDir, databaseUrl: flags.database, pairing: fileTokenAuthenticator(dataDir, token), maxPixels: flags.maxPixels }).catch(
      (err: unknown) => {
        throw asDatabaseUsageError(err);
      },
    );
    // The engine's speed for GET /v1/info (clients estimate run times from it), measured once the server is up.
    let speed: MeasuredSpeed | null = null;
    handle = createApp({
      engine: { model: engine.model, runtime: engine.backend.runtime, backend: { name: engine.backend.name, device: engine.backend.device }, memoryBudgetMiB: flags.memoryBudget, speed: () => speed },
      weightsInfo: { source: engine.weights.source, layers: engine.weights.layers },
      authenticate: teamPresets.authenticate,
      presets: teamPresets.store,
      dataDir,
      limits: {
        ...(flags.maxQueue !== undefined ? { maxQueue: flags.maxQueue } : {}),
        ...(flags.maxTeamQueue !== undefined ? { maxTeamQueue: flags.maxTeamQueue } : {}),
        ...(flags.maxPixels !== undefined ? { maxPixels: flags.maxPixels } : {}),
        ...(flags.maxQueuedPixels !== undefined ? { maxQueuedPixels: flags.maxQueuedPixels } : {}),
        ...(flags.maxTeamQueuedPixels !== undefined ? { maxTeamQueuedPixels: flags.maxTeamQueuedPixels } : {}),
        ...(flags.maxTeamUploads !== undefined ? { maxTeamUploads: flags.maxTeamUploads } : {}),
      },
      allowedHosts: flags.allowedHost,
      allowedOrigins: flags.allowedOrigin,
      logger,
    });
    let bound;
    try {
      bound = await listen(handle, port, flags.host, tls);
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
    for (const w of listenWarnings(flags.host, tls !== undefined)) out(w);
    measureSpeed(engine.model, 2, engine.backend.runtime).then(
      (s) => {
        speed = s;
        logger.info({ speed: s }, 'measured the engine speed');
      },
      (err: unknown) => logger.warn({ err }, 'could not measure the engine speed'),
    );
    signals.started();
    const sig = await signals.signaled;
    logger.info({ signal: sig }, 'shutting down');
    await stop(bound.server, handle);
    out('Atelier companion stopped');
  } finally {
    await handle?.close();
    await engine.close();
    await teamPresets?.close();
  }
  // Anything a library left running must not keep a stopped server alive.
  setTimeout(() => process.exit(0), 3000).unref();
}
