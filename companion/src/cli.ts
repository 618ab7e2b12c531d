/**
 * The `atelier` command line: one module per verb under ./cli/, loaded only when that verb runs, so
 * that `atelier --help`, `token show` or `presets list` never load TF.js, ONNX Runtime, Dawn or sharp.
 * `main(argv)` returns the exit code: 0 ok, 1 failure, 2 bad input (one clear line on stderr).
 */
import { Command, CommanderError } from 'commander';
import { VERSION } from './version.js';
import { EXIT_BAD_INPUT, UsageError } from './cli/usageError.js';

/** A verb module adds its arguments, options and action to the command cli.ts created for it. */
type VerbModule = { configure(cmd: Command): void };

/** Every verb: the one-line summary `--help` lists, and the module that implements it. */
const VERBS: Record<string, { summary: string; load: () => Promise<VerbModule> }> = {
  stylize: { summary: 'stylize CONTENT with one or more STYLE images and write a PNG', load: () => import('./cli/stylize.js') },
  serve: { summary: 'run the companion HTTP service for the Figma plugin (local GPU)', load: () => import('./cli/serve.js') },
  doctor: { summary: 'check that this machine can run Atelier: Node, backends, GPU, weights, data dir, port, token', load: () => import('./cli/doctor.js') },
  weights: { summary: 'install the VGG-19 weights, or show what is installed', load: () => import('./cli/weights.js') },
  token: { summary: "show or rotate the companion's pairing token", load: () => import('./cli/token.js') },
  presets: { summary: 'list, show, export and import team presets', load: () => import('./cli/presets.js') },
  teams: { summary: "manage a team server's teams and their tokens", load: () => import('./cli/teams.js') },
  plugin: { summary: 'where the built Figma plugin is (its manifest to import in Figma)', load: () => import('./cli/plugin.js') },
  gpu: { summary: "install ONNX Runtime's CUDA provider (gpu install cuda), or say what it still needs (gpu status)", load: () => import('./cli/gpu.js') },
};

/** The verb argv asks for (`atelier help VERB` included), or undefined for `--help`, `--version` or nothing. */
function requestedVerb(argv: string[]): string | undefined {
  const first = argv[0] === 'help' ? argv[1] : argv[0];
  return first !== undefined && Object.hasOwn(VERBS, first) ? first : undefined;
}

/** Runs the CLI with the given arguments (without `node` and the script path); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('atelier')
    .description('Neural style transfer (Gatys et al., VGG-19) for designers: CLI and companion server')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const verb = requestedVerb(argv);
  for (const [name, { summary, load }] of Object.entries(VERBS)) {
    const cmd = program.command(name).description(summary);
    if (name === verb) (await load()).configure(cmd);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    const e = err as Error & { exitCode?: number; code?: string };
    process.stderr.write(`atelier: ${e.message}\n`);
    if (err instanceof UsageError) return err.exitCode;
    if (typeof e.exitCode === 'number') return e.exitCode;
    return 1;
  }
}
