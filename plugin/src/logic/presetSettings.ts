/**
 * Team presets keep their settings: when a preset is picked, the panel shows the preset's settings,
 * and a run sends only what the designer changed from them — the companion fills in the rest from
 * the preset (`POST /v1/jobs` with `presetId`: request params override the preset's, key by key).
 */
import type { StylizeParamsInput } from '../../../shared/params.js';
import { QUALITY_PRESETS, strengthToStyleWeight, type Controls, type Quality } from './quality.js';

/** The strength (0..100) whose style weight is `w`, when the slider can express it exactly; else null. */
function strengthFor(w: number): number | null {
  const s = Math.round(50 + 25 * Math.log10(w / strengthToStyleWeight(50)));
  return s >= 0 && s <= 100 && strengthToStyleWeight(s) === Number(w.toPrecision(4)) ? s : null;
}

/**
 * The quality level a preset's size stands for: a preset saved with ordinary settings stores its
 * level's size (the largest output of that level), which means "this level" — the layer's own
 * size ×2 up to it — not an exact size. Any other size is an exact size the designer set.
 */
export function presetQuality(size: number | undefined): Quality | null {
  return (Object.keys(QUALITY_PRESETS) as Quality[]).find((q) => QUALITY_PRESETS[q].size === size) ?? null;
}

/** The panel's controls showing a preset's params (its quality level; the panel state stays). */
export function controlsForPreset(base: Controls, p: StylizeParamsInput): Controls {
  const w = p.styleWeight;
  const strength = w === undefined ? 50 : strengthFor(w);
  const level = presetQuality(p.size);
  return {
    ...base,
    strength: strength ?? base.strength,
    quality: level ?? base.quality,
    qualityChosen: level !== null || base.qualityChosen,
    preserveColors: p.originalColors ?? false,
    advanced: {
      size: level ? null : (p.size ?? null),
      iterations: p.iterations ?? null,
      contentWeight: p.contentWeight ?? null,
      styleWeight: w !== undefined && strength === null ? w : null,
      tvWeight: p.tvWeight ?? null,
      styleLayers: p.styleLayers?.join(', ') ?? '',
      contentLayers: p.contentLayers?.join(', ') ?? '',
      seed: p.seed ?? 0,
      pooling: p.pooling ?? 'max',
      optimizer: p.optimizer ?? 'lbfgs',
    },
  };
}

/** The params of `current` that differ from `baseline` (the preset as shown), plus `always` (e.g. previewEvery). */
export function changedParams(current: StylizeParamsInput, baseline: StylizeParamsInput, always: readonly (keyof StylizeParamsInput)[] = ['previewEvery']): StylizeParamsInput {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(current)) {
    const key = k as keyof StylizeParamsInput;
    if (always.includes(key) || JSON.stringify(v) !== JSON.stringify(baseline[key])) out[k] = v;
  }
  return out as StylizeParamsInput;
}
