/**
 * Opens what a stylization needs: a compute backend and the VGG-19 network with its weights.
 * Used by `atelier stylize` and `atelier serve`; `close()` releases both.
 */
import { Vgg19, describeBackend, initBackend, type BackendInfo } from './engine/index.js';
import { quietWebGpuProbe } from './gpuProbe.js';
import { quietLibraries } from './nativeOutput.js';
import { loadWeights, resolveInstalledWeights, installWeights, WeightsMissingError } from './weights/index.js';

/** Options of `openEngine`. */
export interface OpenEngineOptions {
  backend: string;
  /** Explicit weights (file or directory); otherwise the ones installed in the data dir. */
  weightsPath?: string;
  /** The data dir whose installed weights are used (default: resolveDataDir(), as every command resolves it). */
  dataDir?: string;
  /** Asks the person whether to download missing weights (the CLI's terminal prompt); absent: never ask. */
  confirmDownload?: (question: string) => Promise<boolean>;
  /** Download missing weights without asking. */
  assumeYes?: boolean;
  /** Let native libraries (Dawn) write to the terminal: only at log level debug. */
  showNativeOutput?: boolean;
  /** Receives the weights prompt's progress and, once, the line saying which backend was chosen and why. */
  log: (line: string) => void;
}

/** An opened engine: backend, network, and where its weights came from. */
export interface OpenedEngine {
  backend: BackendInfo;
  model: Vgg19;
  weights: { source: string; format: string; layers: string[] };
  close(): Promise<void>;
}

/** Resolves weights (offering to install them when missing), initialises the backend and builds VGG-19. */
export async function openEngine(opts: OpenEngineOptions): Promise<OpenedEngine> {
  let weightsPath: string;
  try {
    weightsPath = resolveInstalledWeights({ weightsPath: opts.weightsPath, home: opts.dataDir });
  } catch (err) {
    if (!(err instanceof WeightsMissingError) || opts.weightsPath) throw err;
    const ok =
      opts.assumeYes || (opts.confirmDownload !== undefined && (await opts.confirmDownload('VGG-19 weights are not installed. Download them now (80 MB)? [Y/n] ')));
    if (!ok) throw err;
    await installWeights({ log: opts.log, home: opts.dataDir });
    weightsPath = resolveInstalledWeights({ home: opts.dataDir });
  }
  quietLibraries(opts.showNativeOutput === true);
  const backend = await initBackend(opts.backend as Parameters<typeof initBackend>[0], { probeWebGpu: quietWebGpuProbe(opts.showNativeOutput === true) });
  opts.log(`backend: ${describeBackend(backend)}`);
  try {
    const loaded = await loadWeights(weightsPath);
    const model = new Vgg19(loaded.weights);
    return {
      backend,
      model,
      weights: { source: loaded.source, format: loaded.format, layers: loaded.layers },
      async close() {
        model.dispose();
        await backend.shutdown();
      },
    };
  } catch (err) {
    await backend.shutdown();
    throw err;
  }
}
