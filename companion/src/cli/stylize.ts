/** `atelier stylize CONTENT STYLE [STYLE…] -o OUT.png`: one stylization from the command line. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ZodError } from 'zod';
import { UsageError } from './usageError.js';
import { BACKEND_NAMES, DEFAULT_BUDGETS } from '../engine/contract.js';
import { choiceOption, intOption, listOption, numberListOption, numberOption, scalesOption } from './parsers.js';
import { blendLengthError, DEFAULT_HISTORY_SIZE, DEFAULT_ITERATIONS, PARAM_LIMITS, stylizeParamsSchema, type StylizeParams, type StylizeParamsInput } from '../../../shared/params.js';
import { describeZodError } from '../../../shared/describeZodError.js';
import type { DecodedImage } from '../io/images.js';
import { createProgressReporter } from './progressReporter.js';
import { variationParams } from '../../../shared/variations.js';

/** Where variation v (0-based) of OUT.png goes: OUT-1.png, OUT-2.png, … */
function variationFile(output: string, v: number): string {
  return `${output.slice(0, -'.png'.length)}-${v + 1}${output.slice(-'.png'.length)}`;
}

interface StylizeFlags {
  output: string;
  size?: number;
  iterations?: number;
  optimizer?: 'lbfgs' | 'adam';
  learningRate?: number;
  contentWeight?: number;
  styleWeight?: number;
  tvWeight?: number;
  contentLayers?: string[];
  styleLayers?: string[];
  contentLayerWeights?: number[];
  styleLayerWeights?: number[];
  styleBlend?: number[];
  init?: string;
  seed?: number;
  variations?: number;
  variationSpread?: number;
  historySize?: number;
  pooling?: 'max' | 'avg';
  styleScale?: number;
  originalColors?: boolean;
  scales?: 'auto' | number;
  tile?: number;
  memoryBudget?: number;
  backend: string;
  weights?: string;
  previewEvery?: number;
  previewDir?: string;
  json?: boolean;
  yes?: boolean;
}


/** Adds the `stylize` arguments, options and action. */
export function configure(cmd: Command): void {
  cmd
    .argument('<content>', 'content image (JPEG, PNG, WebP, TIFF)')
    .argument('<styles...>', 'style image(s); several are blended (see --style-blend)')
    .requiredOption('-o, --output <file>', 'output PNG path')
    .option('--size <px>', 'longer side of the output in pixels (default 512)', intOption('--size'))
    .option('--iterations <n>', `iterations of the final scale; each coarser scale runs twice as many (default ${DEFAULT_ITERATIONS})`, intOption('--iterations'))
    .option('--optimizer <name>', 'lbfgs (default) or adam', choiceOption('--optimizer', ['lbfgs', 'adam'] as const))
    .option('--learning-rate <lr>', 'Adam step size in 0..255 pixel units (default 10)', numberOption('--learning-rate'))
    .option('--content-weight <a>', 'α, weight of the content loss', numberOption('--content-weight'))
    .option('--style-weight <b>', 'β, weight of the style loss', numberOption('--style-weight'))
    .option('--tv-weight <g>', 'γ, weight of the total-variation loss', numberOption('--tv-weight'))
    .option('--content-layers <list>', 'content layers (default conv4_2)', listOption('--content-layers'))
    .option('--style-layers <list>', 'style layers (default conv1_1,conv2_1,conv3_1,conv4_1,conv5_1)', listOption('--style-layers'))
    .option('--content-layer-weights <list>', 'weights of the content layers (normalised)', numberListOption('--content-layer-weights'))
    .option('--style-layer-weights <list>', 'weights of the style layers (normalised)', numberListOption('--style-layer-weights'))
    .option('--style-blend <list>', 'blend weights of the style images (normalised)', numberListOption('--style-blend'))
    .option('--init <how>', "start from 'content' (default), 'noise', or an image file")
    .option('--seed <n>', 'random seed (same seed and backend give the same image)', intOption('--seed'))
    .option('--variations <n>', `write N results (OUT-1.png … OUT-N.png) sharing the style targets, each its own seed and strength (1..${PARAM_LIMITS.maxVariations}, default 1)`, intOption('--variations'))
    .option('--variation-spread <s>', "ratio of the strongest variation's style weight to the lightest's (1 = same strength, seeds differ; default 4)", numberOption('--variation-spread'))
    .option('--history-size <m>', `L-BFGS memory: curvature pairs kept (default ${DEFAULT_HISTORY_SIZE})`, intOption('--history-size'))
    .option('--pooling <mode>', 'max (default) or avg', choiceOption('--pooling', ['max', 'avg'] as const))
    .option('--style-scale <s>', 'style images are resized to size × s (default 1)', numberOption('--style-scale'))
    .option('--original-colors', "keep the content's colours (luminance-only transfer)")
    .option('--scales <n>', "coarse-to-fine: 'auto' (default: from about 128 px, doubling) or a count (1 = single scale)", scalesOption('--scales'))
    .option('--tile <px>', 'compute exact gradients tile by tile with this tile size', intOption('--tile'))
    .option('--memory-budget <mib>', `tile automatically when an image would need more device memory (default: ${DEFAULT_BUDGETS})`, intOption('--memory-budget'))
    .option('--backend <name>', `compute backend: ${BACKEND_NAMES.join('|')}`, choiceOption('--backend', BACKEND_NAMES), 'auto')
    .option('--weights <path>', 'VGG-19 weights: Keras .h5 file or TF.js layers-model directory')
    .option('--preview-every <n>', 'write a preview every N iterations (needs --preview-dir)', intOption('--preview-every'))
    .option('--preview-dir <dir>', 'folder for preview PNGs')
    .option('--json', 'print one JSON object with losses, counts and timing at the end')
    .option('-y, --yes', 'answer yes to the weights download prompt')
    .action(async (contentPath: string, stylePaths: string[], flags: StylizeFlags) => {
      await runStylize(contentPath, stylePaths, flags);
    });
}

/** Builds the engine parameters from the flags, validated by the shared schema. */
function paramsFromFlags(flags: StylizeFlags, initIsFile: boolean): StylizeParams {
  const input: StylizeParamsInput = {
    size: flags.size,
    iterations: flags.iterations,
    optimizer: flags.optimizer,
    learningRate: flags.learningRate,
    contentWeight: flags.contentWeight,
    styleWeight: flags.styleWeight,
    tvWeight: flags.tvWeight,
    contentLayers: flags.contentLayers,
    styleLayers: flags.styleLayers,
    contentLayerWeights: flags.contentLayerWeights,
    styleLayerWeights: flags.styleLayerWeights,
    styleBlend: flags.styleBlend,
    init: initIsFile ? 'image' : (flags.init as 'content' | 'noise' | undefined),
    seed: flags.seed,
    variations: flags.variations,
    variationSpread: flags.variationSpread,
    historySize: flags.historySize,
    pooling: flags.pooling,
    styleScale: flags.styleScale,
    originalColors: flags.originalColors,
    scales: flags.scales,
    previewEvery: flags.previewEvery,
    tile: flags.tile,
    memoryBudget: flags.memoryBudget,
  };
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  try {
    return stylizeParamsSchema.parse(defined);
  } catch (err) {
    if (err instanceof ZodError) throw new UsageError(`bad option: ${describeZodError(err)}`);
    throw err;
  }
}

/** Reads an image for the CLI, turning image errors into one-line usage errors. */
async function readInput(file: string, role: string): Promise<DecodedImage> {
  const { readImageFile, ImageError } = await import('../io/images.js');
  try {
    return await readImageFile(file);
  } catch (err) {
    if (err instanceof ImageError) throw new UsageError(`${role} ${file}: ${err.message}`);
    throw err;
  }
}

async function runStylize(contentPath: string, stylePaths: string[], flags: StylizeFlags): Promise<void> {
  const initIsFile = flags.init !== undefined && flags.init !== 'content' && flags.init !== 'noise';
  const params = paramsFromFlags(flags, initIsFile);
  const badBlend = blendLengthError(params.styleBlend, stylePaths.length);
  if (badBlend) throw new UsageError(`--style-blend: ${badBlend}`);
  if (params.previewEvery > 0 && !flags.previewDir) throw new UsageError('--preview-every needs --preview-dir');
  if (!flags.output.toLowerCase().endsWith('.png')) throw new UsageError(`-o ${flags.output}: the output must be a .png file`);

  const content = await readInput(contentPath, 'content image');
  const styles: DecodedImage[] = [];
  for (const p of stylePaths) styles.push(await readInput(p, 'style image'));
  const initImage = initIsFile ? await readInput(flags.init!, 'init image') : undefined;

  // The engine (TF.js, ONNX Runtime, Dawn) and sharp load only now, so other verbs start fast.
  const [{ encodePng }, { stylizeVariationsToPng }, { EngineError, CancelledError }, { openEngine }, { showNativeOutput }, { confirm }] = await Promise.all([
    import('../io/images.js'),
    import('../pipeline.js'),
    import('../engine/contract.js'),
    import('../openEngine.js'),
    import('../nativeOutput.js'),
    import('./confirm.js'),
  ]);

  const engine = await openEngine({
    backend: flags.backend,
    weightsPath: flags.weights,
    confirmDownload: !flags.json && process.stdin.isTTY === true && process.stderr.isTTY === true ? confirm : undefined,
    assumeYes: flags.yes === true,
    showNativeOutput: showNativeOutput(),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const reporter = createProgressReporter({ enabled: !flags.json, stream: process.stderr });
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let previewCount = 0;
  try {
    if (flags.previewDir) await mkdir(flags.previewDir, { recursive: true });
    const pending: Promise<unknown>[] = [];
    const many = params.variations > 1;
    const results = await stylizeVariationsToPng({
      model: engine.model,
      runtime: engine.backend.runtime,
      content,
      styles,
      initImage,
      params,
      signal: controller.signal,
      onProgress: (p, variation) => {
        reporter.update(p);
        if (p.preview && flags.previewDir) {
          const file = path.join(flags.previewDir, `preview-${many ? `v${variation + 1}-` : ''}s${p.scale}-${String(p.iteration).padStart(5, '0')}.png`);
          previewCount++;
          pending.push(encodePng({ ...p.preview, alpha: null }).then((png) => writeFile(file, png)));
        }
      },
    });
    await Promise.all(pending);
    reporter.done();
    for (const w of results[0].report.warnings) process.stderr.write(`warning: ${w}\n`);
    await mkdir(path.dirname(path.resolve(flags.output)), { recursive: true });
    const outputs = results.map((_, v) => (many ? variationFile(flags.output, v) : flags.output));
    for (const [v, result] of results.entries()) await writeFile(outputs[v], result.png);
    const first = results[0];
    if (flags.json) {
      const report = (r: (typeof results)[number], v: number) => ({
        output: outputs[v],
        losses: r.report.losses,
        iterations: r.report.iterations,
        evaluations: r.report.evaluations,
        seconds: r.report.seconds,
        width: r.width,
        height: r.height,
      });
      const variation = (r: (typeof results)[number], v: number) => {
        const { seed, styleWeight } = variationParams(params, v);
        return { ...report(r, v), seed, styleWeight };
      };
      // One variation: the report as before; several: the first's at the top and each in `variations`.
      const variations = many ? { variations: results.map(variation) } : {};
      process.stdout.write(`${JSON.stringify({ ...report(first, 0), backend: engine.backend.name, device: engine.backend.device, warnings: first.report.warnings, previews: previewCount, ...variations })}\n`);
    } else {
      const seconds = results.reduce((t, r) => t + r.report.seconds, 0);
      process.stderr.write(`wrote ${outputs.join(', ')} (${first.width}x${first.height}) in ${seconds.toFixed(1)} s on ${engine.backend.name} (${engine.backend.device})\n`);
    }
  } catch (err) {
    reporter.done();
    if (err instanceof CancelledError) throw new UsageError('interrupted', 130);
    if (err instanceof EngineError) throw new UsageError(err.message);
    throw err;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await engine.close();
  }
}
