/**
 * `atelier weights install [--from FILE|DIR|URL] [--force] [--md5 HEX]` and `atelier weights status [--json]`:
 * install the VGG-19 weights into the data dir ($ATELIER_HOME, default ~/.atelier) and report what is installed.
 */
import type { Command } from 'commander';
import { UsageError } from './usageError.js';

interface InstallFlags {
  from?: string;
  force?: boolean;
  md5?: string;
}

/** Adds the `weights` verbs. */
export function configure(weights: Command): void {
  weights
    .command('install')
    .description('download the official Keras VGG-19 notop weights (md5-checked, resumable), or install a local copy')
    .option('--from <source>', 'a Keras .h5 file, a TF.js layers-model directory, or an http(s) URL of a .h5 file')
    .option('--force', 'replace weights that are already installed')
    .option('--md5 <hex>', 'expected md5 of the file (default: checked for the official download only)')
    .action(async (flags: InstallFlags) => {
      await runInstall(flags);
    });
  weights
    .command('status')
    .description('show the installed weights and which VGG-19 layers they cover')
    .option('--json', 'print one JSON object {installed, path, format, layers, source}')
    .action(async (flags: { json?: boolean }) => {
      await runStatus(flags);
    });
}

async function runInstall(flags: InstallFlags): Promise<void> {
  if (flags.md5 !== undefined && !/^[0-9a-f]{32}$/i.test(flags.md5)) throw new UsageError('--md5: expected 32 hexadecimal digits');
  const [{ installWeights, WeightsError }, { quietLibraries, showNativeOutput }] = await Promise.all([import('../weights/index.js'), import('../nativeOutput.js')]);
  quietLibraries(showNativeOutput()); // decoding a TF.js model starts TF.js's cpu backend, which prints advice
  try {
    await installWeights({
      from: flags.from,
      force: flags.force,
      expectedMd5: flags.md5,
      log: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (err) {
    // A bad local source is the user's input (exit 2); download/checksum failures are runtime failures (exit 1).
    if (err instanceof WeightsError && (err.code === 'bad_weights' || err.code === 'weights_not_found') && flags.from && !/^https?:/i.test(flags.from)) {
      throw new UsageError(err.message);
    }
    throw err;
  }
}

async function runStatus(flags: { json?: boolean }): Promise<void> {
  const { weightsStatus, describeLayers, INSTALL_COMMAND } = await import('../weights/index.js');
  const st = weightsStatus();
  if (flags.json) {
    const out = { installed: st.installed, path: st.path, format: st.format, layers: st.layers, source: st.source, installedAt: st.installedAt, md5: st.md5, home: st.home };
    process.stdout.write(`${JSON.stringify(st.installed ? out : { ...out, install: INSTALL_COMMAND })}\n`);
    return;
  }
  if (!st.installed) {
    process.stdout.write(
      `VGG-19 weights are not installed (data dir ${st.home}).\n` +
        `Install them with: ${INSTALL_COMMAND}   (or: ${INSTALL_COMMAND} --from FILE.h5|DIR|URL; or pass --weights PATH to stylize/serve)\n`,
    );
    return;
  }
  process.stdout.write(
    [
      'VGG-19 weights: installed',
      `  path:      ${st.path}`,
      `  format:    ${st.format}`,
      `  layers:    ${describeLayers(st.layers)}`,
      `  source:    ${st.source}`,
      `  md5:       ${st.md5}`,
      `  installed: ${st.installedAt}`,
    ].join('\n') + '\n',
  );
}
