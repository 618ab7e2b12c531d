/**
 * The designer-facing controls (strength, quality, preserve colours, advanced overrides) and their
 * translation into the shared stylization params.
 */
import type { StylizeParamsInput } from '../../../shared/params.js';
import { DEFAULT_ITERATIONS, DEFAULT_STYLE_WEIGHT } from '../../../shared/defaults.js';
import { estimateSeconds, planSchedule, type MeasuredSpeed, type ScalesSetting } from '../../../shared/schedule.js';
import { FIGMA_MAX_IMAGE_SIDE } from './exportPlan.js';

/** Quality levels shown to designers. */
export type Quality = 'fast' | 'balanced' | 'high';

/**
 * What each quality level means — the ONE table of levels: the largest output (longer side; a
 * layer gets its own size ×2, up to this), the final scale's iterations and the schedule's scales
 * (shared/schedule.ts: 'auto' is coarse to fine from about 128 px). Every level runs the engine's
 * default schedule; they differ in size, so a level's time is its pixels' (README, "Time to image").
 */
export const QUALITY_PRESETS: Readonly<Record<Quality, { size: number; iterations: number; scales: ScalesSetting; label: string }>> = {
  fast: { size: 256, iterations: DEFAULT_ITERATIONS, scales: 'auto', label: 'Fast · 256 px' },
  balanced: { size: 512, iterations: DEFAULT_ITERATIONS, scales: 'auto', label: 'Balanced · 512 px' },
  high: { size: 1024, iterations: DEFAULT_ITERATIONS, scales: 'auto', label: 'High · 1024 px' },
};

/** A layer as the estimate sees it: its size on the canvas. */
export interface SizedLayer {
  id: string;
  width: number;
  height: number;
}

/**
 * Estimated seconds of a run of `layers` at this quality on a companion of the measured speed:
 * each layer at the size it is planned to have (its own ×2 up to the level, or the exact advanced
 * size) and its aspect, all items at the batch's shared size, as the companion runs them. Without
 * layers: one square layer at the level's largest size. Null when the companion has not measured
 * its speed.
 */
export function estimateRunSeconds(c: Controls, quality: Quality, speed: MeasuredSpeed | null, layers: readonly SizedLayer[] = []): number | null {
  if (!speed) return null;
  const q = QUALITY_PRESETS[quality];
  const exact = c.advanced.size !== null;
  const cap = c.advanced.size ?? q.size;
  const planned = layers.length ? layers : [{ id: '', width: cap, height: cap }];
  const { size } = planRunSizes(planned, cap, exact || !layers.length);
  const plan = planSchedule(size, q.scales, c.advanced.iterations ?? q.iterations);
  const aspect = (l: SizedLayer): number => Math.min(l.width, l.height) / Math.max(l.width, l.height, 1e-9);
  return planned.reduce((t, l) => t + estimateSeconds(plan, c.advanced.optimizer, speed, aspect(l)), 0);
}

/** A run should finish within about this many seconds unless the designer asks for more (the default quality's target). */
export const DEFAULT_QUALITY_TARGET_SECONDS = 60;

/**
 * The quality a designer who has not picked one gets: the best level whose estimate for the
 * selection is under DEFAULT_QUALITY_TARGET_SECONDS (Fast when none is), Balanced while the
 * speed is unknown.
 */
export function defaultQuality(c: Controls, speed: MeasuredSpeed | null, layers: readonly SizedLayer[]): Quality {
  if (!speed) return DEFAULT_CONTROLS.quality;
  const levels: Quality[] = ['high', 'balanced', 'fast'];
  return levels.find((q) => (estimateRunSeconds(c, q, speed, layers) ?? Infinity) < DEFAULT_QUALITY_TARGET_SECONDS) ?? 'fast';
}

/** "~40 s", "~3 min" for a quality button. */
export function formatEstimate(seconds: number): string {
  if (seconds < 60) return `~${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `~${Math.round(seconds / 60)} min`;
  return `~${(seconds / 3600).toFixed(1)} h`;
}

/** Pixels per layer pixel of a result: made for high-density (2×) screens, so it stays sharp there. */
export const SCREEN_DENSITY = 2;

/**
 * Longer side, in pixels, of a layer's result: the advanced "Output size" when set (the designer
 * asked for exactly that), else the layer's own longer side × SCREEN_DENSITY capped by the quality
 * level — a 240-px layer is not upscaled to 512, a 1440-px hero gets the level's full size — and
 * always within Figma's 4096-px image limit.
 */
export function outputSide(layerLongSide: number, cap: number, exact: boolean): number {
  const wanted = exact ? cap : Math.min(cap, Math.ceil(Math.max(1, layerLongSide) * SCREEN_DENSITY));
  return Math.max(16, Math.min(FIGMA_MAX_IMAGE_SIDE, Math.round(wanted)));
}

/** The export size of each layer of a run and the job's `size` (the largest: a batch shares one size). */
export function planRunSizes(layers: readonly { id: string; width: number; height: number }[], cap: number, exact: boolean): { layers: { nodeId: string; size: number }[]; size: number } {
  const planned = layers.map((l) => ({ nodeId: l.id, size: outputSide(Math.max(l.width, l.height), cap, exact) }));
  return { layers: planned, size: Math.max(16, ...planned.map((l) => l.size)) };
}

/** Advanced overrides; `null` means "derive from the simple controls". */
export interface AdvancedControls {
  size: number | null;
  iterations: number | null;
  contentWeight: number | null;
  styleWeight: number | null;
  tvWeight: number | null;
  styleLayers: string;
  contentLayers: string;
  seed: number;
  pooling: 'max' | 'avg';
  optimizer: 'lbfgs' | 'adam';
}

/** Every control of the panel, as remembered per user. */
export interface Controls {
  /** 0 = mostly the layer's content, 100 = mostly the style. */
  strength: number;
  quality: Quality;
  /** The designer picked the quality; until then it follows the selection and the companion's speed (defaultQuality). */
  qualityChosen: boolean;
  preserveColors: boolean;
  /** Replace the fill of shapes (where safe) instead of adding a result layer above them. */
  replaceFill: boolean;
  advancedOpen: boolean;
  advanced: AdvancedControls;
}

/** Defaults for a first run. */
export const DEFAULT_CONTROLS: Controls = {
  strength: 50,
  quality: 'balanced',
  qualityChosen: false,
  preserveColors: false,
  replaceFill: false,
  advancedOpen: false,
  advanced: {
    size: null,
    iterations: null,
    contentWeight: null,
    styleWeight: null,
    tvWeight: null,
    styleLayers: '',
    contentLayers: '',
    seed: 0,
    pooling: 'max',
    optimizer: 'lbfgs',
  },
};

/** Style weight for a strength in 0..100: log-scale from the engine's default ÷100 to ×100, 50 → the default. */
export function strengthToStyleWeight(strength: number): number {
  const s = Math.min(100, Math.max(0, Number.isFinite(strength) ? strength : 50));
  return Number((DEFAULT_STYLE_WEIGHT * 10 ** ((s - 50) / 25)).toPrecision(4));
}

/** Parses a comma/space separated layer list; empty → undefined (use the engine's defaults). */
export function parseLayerList(text: string): string[] | undefined {
  const layers = text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
  return layers.length ? layers : undefined;
}

/** A live preview about every 10% of a scale, but at least every 25 iterations (and at most every one); each scale also shows its first. */
export function previewEveryFor(iterations: number): number {
  return Math.min(25, Math.max(1, Math.round(iterations / 10)));
}

/** The params a run sends (as written, not defaulted), from the panel's controls. */
export function controlsToParams(c: Controls): StylizeParamsInput {
  const q = QUALITY_PRESETS[c.quality] ?? QUALITY_PRESETS.balanced;
  const a = c.advanced;
  const iterations = a.iterations ?? q.iterations;
  const params: StylizeParamsInput = {
    size: a.size ?? q.size,
    iterations,
    scales: q.scales,
    styleWeight: a.styleWeight ?? strengthToStyleWeight(c.strength),
    originalColors: c.preserveColors,
    seed: a.seed,
    pooling: a.pooling,
    optimizer: a.optimizer,
    previewEvery: previewEveryFor(iterations),
  };
  if (a.contentWeight !== null) params.contentWeight = a.contentWeight;
  if (a.tvWeight !== null) params.tvWeight = a.tvWeight;
  const styleLayers = parseLayerList(a.styleLayers);
  if (styleLayers) params.styleLayers = styleLayers;
  const contentLayers = parseLayerList(a.contentLayers);
  if (contentLayers) params.contentLayers = contentLayers;
  return params;
}
