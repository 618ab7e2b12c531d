/**
 * `serve`'s start when the style network (VGG-19 weights) is not installed yet: instead of exiting,
 * it downloads them (progress in the terminal) while a preparing server on the companion's address
 * tells the plugin how far it is ("Downloading the style network, 43 %"), then hands the port to
 * the real app. `--no-download` keeps the old behaviour (exit 1 naming the install command).
 */
import type { TlsFiles } from '../http/server.js';
import { resolveDataDir } from '../io/dataDir.js';
import type { OpenedEngine } from '../openEngine.js';
import { UsageError } from './usageError.js';

/** What the start needs from serve's flags. */
export interface ServeEngineFlags {
  host: string;
  port: number;
  dataDir?: string;
  weights?: string;
  /** Where to download the weights from (a URL or local file; default the official file). */
  weightsFrom?: string;
  /** false: exit when the weights are missing (`--no-download`). */
  download: boolean;
  backend: string;
  logLevel: string;
  allowedHost: string[];
  allowedOrigin: string[];
}

/** Opens the engine, downloading missing weights first; returns it and the port the app should bind (the preparing server's, once it had one). */
export async function openEngineForServe(flags: ServeEngineFlags, tls: TlsFiles | undefined, out: (line: string) => void): Promise<{ engine: OpenedEngine; port: number }> {
  // Heavy modules (TF.js, sharp) load only when serving, so other subcommands stay fast.
  const [{ openEngine }, { WeightsMissingError, installWeights }, { showNativeOutput }] = await Promise.all([import('../openEngine.js'), import('../weights/index.js'), import('../nativeOutput.js')]);
  const dataDir = resolveDataDir(flags.dataDir);
  // The weights installed in the data dir the token and presets use (--data-dir, else $ATELIER_HOME, else ~/.atelier).
  const open = (): Promise<OpenedEngine> => openEngine({ backend: flags.backend, weightsPath: flags.weights, dataDir, showNativeOutput: showNativeOutput(flags.logLevel), log: out });
  try {
    return { engine: await open(), port: flags.port };
  } catch (err) {
    if (!(err instanceof WeightsMissingError)) throw err;
    if (!flags.download || flags.weights) throw new UsageError(err.message.split('\n')[0], 1);
  }
  const { startPreparingServer } = await import('../http/preparing.js');
  let preparing;
  try {
    preparing = await startPreparingServer({ port: flags.port, host: flags.host, allowedHosts: flags.allowedHost, allowedOrigins: flags.allowedOrigin, tls });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`port ${flags.port} on ${flags.host} is already in use (another companion running?); pick one with --port`, 1);
    throw err;
  }
  try {
    out(`The style network (VGG-19 weights, 80 MB) is not installed yet: downloading it once, into ${dataDir} (Ctrl+C stops; it resumes next time).`);
    out(`Atelier companion listening on ${preparing.url} (getting ready: the plugin shows the download)`);
    await installWeights({ home: dataDir, from: flags.weightsFrom, log: out, onProgress: (p) => preparing.setPercent(p.total ? (100 * p.received) / p.total : null) });
    preparing.setPercent(100);
    return { engine: await open(), port: preparing.port };
  } finally {
    await preparing.close();
  }
}
