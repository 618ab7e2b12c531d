/**
 * Stylization parameters: the one option set shared by the CLI (`atelier stylize` flags),
 * the companion's HTTP API (`POST /v1/jobs` `params`) and the Figma plugin.
 * Validated with zod; every field has a default so `{}` is a valid request.
 */
import { z } from 'zod';
import { DEFAULT_HISTORY_SIZE, DEFAULT_ITERATIONS, DEFAULT_STYLE_WEIGHT } from './defaults.js';

export { DEFAULT_HISTORY_SIZE, DEFAULT_ITERATIONS, DEFAULT_STYLE_WEIGHT };

/** Layer names accepted everywhere: `block4_conv2`, or the paper's `conv4_2` / `relu4_2`. */
export const LAYER_NAME = /^(block[1-5]_conv[1-4]|conv[1-5]_[1-4]|relu[1-5]_[1-4])$/;

export const layerNameSchema = z.string().regex(LAYER_NAME, 'a VGG-19 layer name such as conv4_2, relu4_2 or block4_conv2');

/** Non-negative weights, normalised to sum 1 where used: so at least one must be positive. */
export function weightListSchema(maxLength: number) {
  return z
    .array(z.number().finite().nonnegative().max(1e12))
    .min(1)
    .max(maxLength)
    .refine((w) => w.some((x) => x > 0), 'at least one weight must be positive');
}

const weightList = weightListSchema(16);

/**
 * Params as sent: a JSON object whose own keys are kept as they are. (`z.record` copies keys into a
 * new object, where `__proto__` silently becomes the prototype; kept as a key, the strict params
 * schema refuses it like any unknown key.)
 */
export const paramsObjectSchema = z.custom<Record<string, unknown>>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  'params must be a JSON object',
);

export const DEFAULT_CONTENT_LAYERS = ['conv4_2'] as const;
export const DEFAULT_STYLE_LAYERS = ['conv1_1', 'conv2_1', 'conv3_1', 'conv4_1', 'conv5_1'] as const;

/** Hard limits on what any caller may ask for. */
export const PARAM_LIMITS = {
  maxSize: 4096,
  minSize: 16,
  maxIterations: 10000,
  maxScales: 8,
  maxStyles: 8,
  /** Results of one content image in one job (shared/variations.ts). */
  maxVariations: 8,
} as const;

export const stylizeParamsSchema = z
  .object({
    /** Longer side of the output, in pixels. */
    size: z.number().int().min(PARAM_LIMITS.minSize).max(PARAM_LIMITS.maxSize).default(512),
    /** Optimiser iterations of the final (full-size) scale; each coarser scale runs twice as many (shared/schedule.ts). */
    iterations: z.number().int().min(1).max(PARAM_LIMITS.maxIterations).default(DEFAULT_ITERATIONS),
    optimizer: z.enum(['lbfgs', 'adam']).default('lbfgs'),
    /** Adam step size, in 0..255 pixel units. */
    learningRate: z.number().finite().positive().max(1000).default(10),
    /** L-BFGS history size. */
    historySize: z.number().int().min(1).max(100).default(DEFAULT_HISTORY_SIZE),
    contentWeight: z.number().finite().nonnegative().max(1e12).default(1),
    /** β. Tuned on tubingen × starry_night (real VGG-19 block1-3 weights, 256 px, L-BFGS 100 it.): 30 = light, 100 = clearly stylised with the content intact, 1e4 = style only. */
    styleWeight: z.number().finite().nonnegative().max(1e12).default(DEFAULT_STYLE_WEIGHT),
    /** γ, on the 0..1 image (tv ≈ 0.02 for a photo): 1e4 smooths mildly (≈0.5% of the total). */
    tvWeight: z.number().finite().nonnegative().max(1e12).default(1e4),
    contentLayers: z.array(layerNameSchema).min(1).max(16).default([...DEFAULT_CONTENT_LAYERS]),
    styleLayers: z.array(layerNameSchema).min(1).max(16).default([...DEFAULT_STYLE_LAYERS]),
    /** Per content layer weights (normalised to sum 1); default equal. */
    contentLayerWeights: weightList.optional(),
    /** Per style layer weights (normalised to sum 1); default equal. */
    styleLayerWeights: weightList.optional(),
    /** Blend weights of several style images (normalised to sum 1); default equal. */
    styleBlend: weightList.optional(),
    init: z.enum(['content', 'noise', 'image']).default('content'),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    /** Results per content image, sharing the style targets; each its own seed and strength (shared/variations.ts). */
    variations: z.number().int().min(1).max(PARAM_LIMITS.maxVariations).default(1),
    /** Ratio of the strongest variation's style weight to the lightest's (1 = same strength, seeds differ). */
    variationSpread: z.number().finite().min(1).max(100).default(4),
    pooling: z.enum(['max', 'avg']).default('max'),
    /** Style images are resized so their longer side is size × styleScale. */
    styleScale: z.number().finite().min(0.05).max(4).default(1),
    /** Keep the content's colours: luminance-only transfer. */
    originalColors: z.boolean().default(false),
    /** Coarse-to-fine scales: 'auto' (from about 128 px, doubling up to size) or a count (1 = single scale). */
    scales: z.union([z.literal('auto'), z.number().int().min(1).max(PARAM_LIMITS.maxScales)]).default('auto'),
    /** Emit a preview every N iterations (0 = never). */
    previewEvery: z.number().int().min(0).max(PARAM_LIMITS.maxIterations).default(0),
    /** Tile size for exact tiled gradients (0 = automatic from memoryBudget). */
    tile: z.number().int().min(0).max(PARAM_LIMITS.maxSize).default(0),
    /** Device-memory budget in MiB used to decide tiling automatically (0 = never tile automatically). */
    memoryBudget: z.number().int().min(0).max(1 << 20).default(0),
  })
  .strict();

/** Parameters as a caller writes them (every field optional). */
export type StylizeParamsInput = z.input<typeof stylizeParamsSchema>;
/** Parameters with every default applied. */
export type StylizeParams = z.output<typeof stylizeParamsSchema>;

/**
 * The blend rule: one weight per style image. Returns what is wrong, or null; the CLI, the HTTP API
 * and the presets store each report it in their own way.
 */
export function blendLengthError(blend: readonly number[] | undefined, styles: number): string | null {
  return blend && blend.length !== styles ? `${blend.length} blend weight(s) for ${styles} style image(s)` : null;
}

/** Parses and applies defaults; throws a ZodError on bad input. */
export function parseStylizeParams(input: unknown): StylizeParams {
  return stylizeParamsSchema.parse(input ?? {});
}
