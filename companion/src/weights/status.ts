/** What weights are installed, which layers they cover, and which path a run should load. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ensureDataDir } from '../io/dataDir.js';
import { INSTALL_COMMAND, WeightsMissingError } from './errors.js';
import type { WeightsFormat } from './load.js';
import { readManifest } from './manifest.js';

/** The answer of `weights status`. */
export interface WeightsStatus {
  installed: boolean;
  /** Path to load (file or directory), null when not installed. */
  path: string | null;
  format: WeightsFormat | null;
  layers: string[];
  source: string | null;
  installedAt: string | null;
  md5: string | null;
  /** The data directory consulted. */
  home: string;
}

/** Reports the weights installed in `<home>/weights` (home: default the data dir, see resolveDataDir). */
export function weightsStatus(opts: { home?: string } = {}): WeightsStatus {
  const home = opts.home ?? ensureDataDir();
  const dir = path.join(home, 'weights');
  const m = readManifest(dir);
  const target = m ? path.join(dir, m.file) : null;
  if (!m || !target || !existsSync(target)) {
    return { installed: false, path: null, format: null, layers: [], source: null, installedAt: null, md5: null, home };
  }
  return { installed: true, path: target, format: m.format, layers: m.layers, source: m.source, installedAt: m.installedAt, md5: m.md5, home };
}

/** The weights path to load: `weightsPath` when given (must exist), else the installed weights; WeightsMissingError (one line with the command to run) otherwise. */
export function resolveInstalledWeights(opts: { weightsPath?: string; home?: string } = {}): string {
  if (opts.weightsPath) {
    const abs = path.resolve(opts.weightsPath);
    if (!existsSync(abs)) {
      throw new WeightsMissingError(
        `weights not found: ${abs} does not exist (pass --weights PATH to a Keras .h5 file or TF.js model directory, or run \`${INSTALL_COMMAND}\`)`,
      );
    }
    return abs;
  }
  const st = weightsStatus({ home: opts.home });
  if (!st.installed || !st.path) throw new WeightsMissingError();
  return st.path;
}
