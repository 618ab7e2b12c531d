import { describe, expect, it } from 'vitest';
import { DEFAULT_STYLE_WEIGHT, stylizeParamsSchema } from '../../shared/params.js';
import { DEFAULT_COMPANION_URL } from '../../shared/protocol.js';
import { DEFAULT_CONTROLS, QUALITY_PRESETS, defaultQuality, estimateRunSeconds, formatEstimate, SCREEN_DENSITY, controlsToParams, outputSide, parseLayerList, planRunSizes, previewEveryFor, strengthToStyleWeight } from '../../plugin/src/logic/quality.js';
import { DEFAULT_CONNECTION, normalizeCompanionUrl, sanitizeConnection, sanitizeControls } from '../../plugin/src/logic/settings.js';
import { refusedOriginReason } from '../../plugin/src/logic/networkAccess.js';
import { changedParams, controlsForPreset } from '../../plugin/src/logic/presetSettings.js';
import { checkParams } from '../../plugin/src/ui/checkParams.js';
import { batchFractions, formatEta, itemFraction, runEta } from '../../plugin/src/logic/progress.js';
import { estimateSeconds, planSchedule } from '../../shared/schedule.js';

describe('controls → params', () => {
  it('maps strength log-linearly to the style weight, 50 = the engine default', () => {
    expect(strengthToStyleWeight(50)).toBe(DEFAULT_STYLE_WEIGHT);
    expect(strengthToStyleWeight(0)).toBe(DEFAULT_STYLE_WEIGHT / 100);
    expect(strengthToStyleWeight(100)).toBe(DEFAULT_STYLE_WEIGHT * 100);
    expect(strengthToStyleWeight(75)).toBeCloseTo(DEFAULT_STYLE_WEIGHT * 10, 6);
    expect(strengthToStyleWeight(-5)).toBe(DEFAULT_STYLE_WEIGHT / 100);
    expect(strengthToStyleWeight(Number.NaN)).toBe(DEFAULT_STYLE_WEIGHT);
  });

  it('turns each quality into size and iterations, all valid for the shared schema', () => {
    for (const q of ['fast', 'balanced', 'high'] as const) {
      const params = controlsToParams({ ...DEFAULT_CONTROLS, quality: q });
      expect(params.size).toBe(QUALITY_PRESETS[q].size);
      expect(params.iterations).toBe(QUALITY_PRESETS[q].iterations);
      expect(params.previewEvery).toBe(previewEveryFor(QUALITY_PRESETS[q].iterations));
      expect(stylizeParamsSchema.safeParse(params).success).toBe(true);
    }
    expect(QUALITY_PRESETS.fast.size).toBeLessThan(QUALITY_PRESETS.high.size);
  });

  it('applies preserve colours and advanced overrides', () => {
    const params = controlsToParams({
      ...DEFAULT_CONTROLS,
      preserveColors: true,
      advanced: { ...DEFAULT_CONTROLS.advanced, iterations: 7, size: 64, styleWeight: 5, tvWeight: 0, contentWeight: 2, styleLayers: 'conv1_1, conv2_1', contentLayers: 'conv2_2', seed: 9, pooling: 'avg', optimizer: 'adam' },
    });
    expect(params).toMatchObject({ originalColors: true, iterations: 7, size: 64, styleWeight: 5, tvWeight: 0, contentWeight: 2, styleLayers: ['conv1_1', 'conv2_1'], contentLayers: ['conv2_2'], seed: 9, pooling: 'avg', optimizer: 'adam', previewEvery: 1 });
    expect(parseLayerList('  ')).toBeUndefined();
    expect([previewEveryFor(4), previewEveryFor(80), previewEveryFor(200), previewEveryFor(5000)]).toEqual([1, 8, 20, 25]);
  });

  it('reports invalid advanced settings in one line, in the panel\'s words', () => {
    const bad = checkParams(controlsToParams({ ...DEFAULT_CONTROLS, advanced: { ...DEFAULT_CONTROLS.advanced, styleLayers: 'conv9_9' } }));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toBe('Style layers: each entry must be a VGG-19 layer name such as conv4_2, relu4_2 or block4_conv2');
    // designers read their own field names and plain limits, never schema paths ("contentWeight: Too small…")
    const neg = checkParams(controlsToParams({ ...DEFAULT_CONTROLS, advanced: { ...DEFAULT_CONTROLS.advanced, contentWeight: -1, size: 3.5 } }));
    expect(neg).toEqual({ ok: false, message: 'Size must be a whole number; Content weight must be at least 0', fields: ['size', 'contentWeight'] });
    expect(checkParams({ iterations: 0 }, (k) => (k === 'iterations' ? 'Iterations' : k))).toEqual({ ok: false, message: 'Iterations must be at least 1', fields: ['iterations'] });
  });
});

describe('stored settings', () => {
  it('sanitises anything stored back to valid settings', () => {
    expect(sanitizeControls(undefined)).toEqual(DEFAULT_CONTROLS);
    expect(sanitizeControls({ strength: 500, quality: 'ultra', preserveColors: 'yes', advanced: { iterations: -3, seed: 1.5, pooling: 'avg', size: 8000 } })).toEqual({
      ...DEFAULT_CONTROLS,
      advanced: { ...DEFAULT_CONTROLS.advanced, pooling: 'avg' },
    });
    const kept = { ...DEFAULT_CONTROLS, strength: 80, quality: 'high' as const, advancedOpen: true, advanced: { ...DEFAULT_CONTROLS.advanced, iterations: 12 } };
    expect(sanitizeControls(JSON.parse(JSON.stringify(kept)))).toEqual(kept);
  });

  it('normalises companion URLs; the local default is localhost (Figma refuses IP literals), and stored loopback IPs move to it', () => {
    expect(DEFAULT_CONNECTION.url).toBe(DEFAULT_COMPANION_URL);
    expect(DEFAULT_COMPANION_URL).toBe('http://localhost:7745');
    expect(sanitizeConnection({ url: 'http://127.0.0.1:7745', token: 't' })).toEqual({ url: 'http://localhost:7745', token: 't' });
    expect(sanitizeConnection({ url: 'http://127.0.0.10:7745', token: 't' }).url).toBe('http://127.0.0.10:7745');
    expect(normalizeCompanionUrl(' http://127.0.0.1:7745/ ')).toBe('http://127.0.0.1:7745');
    expect(normalizeCompanionUrl('https://gpu.example.com/atelier/')).toBe('https://gpu.example.com/atelier');
    expect(normalizeCompanionUrl('ftp://x')).toBeNull();
    expect(normalizeCompanionUrl('localhost:7745')).toBeNull();
    expect(sanitizeConnection({ url: 'javascript:alert(1)', token: ' atl_x ' })).toEqual({ url: DEFAULT_COMPANION_URL, token: 'atl_x' });
  });
});

describe('output size (item 11)', () => {
  it('is the layer\'s own size ×2, capped by the quality level and 4096 px; an advanced size is exact', () => {
    const cap = QUALITY_PRESETS.balanced.size;
    expect(SCREEN_DENSITY).toBe(2);
    expect(outputSide(240, cap, false)).toBe(Math.min(cap, 480)); // not upscaled to 512
    expect(outputSide(100, 512, false)).toBe(200);
    expect(outputSide(1440, 2048, false)).toBe(2048);
    expect(outputSide(2400, 8192, false)).toBe(4096);
    expect(outputSide(3, 512, false)).toBe(16); // the companion's smallest size
    expect(outputSide(240, 48, true)).toBe(48);
    expect(outputSide(10, 96, true)).toBe(96);
    const run = planRunSizes([{ id: 'a', width: 240, height: 160 }, { id: 'b', width: 60, height: 90 }], 512, false);
    expect(run).toEqual({ layers: [{ nodeId: 'a', size: 480 }, { nodeId: 'b', size: 180 }], size: 480 });
  });
});

describe('network access (item 1)', () => {
  const allowed = ['http://localhost:7745', 'https://gpu.example.com:8443', '*.studio.example'];
  it('accepts the origins of the built manifest and refuses others with the reason and the fix', () => {
    expect(refusedOriginReason('http://localhost:7745', allowed)).toBeNull();
    expect(refusedOriginReason('https://gpu.example.com:8443/atelier', allowed)).toBeNull();
    expect(refusedOriginReason('https://a.studio.example', allowed)).toBeNull();
    expect(refusedOriginReason('http://localhost:7999', allowed)).toMatch(/^Figma blocks http:\/\/localhost:7999: this build of the plugin may only reach .*--team-server http:\/\/localhost:7999/);
    expect(refusedOriginReason('http://gpu.example.com:8443', allowed)).toMatch(/Figma blocks/);
    expect(refusedOriginReason('http://127.0.0.1:7745', allowed)).toMatch(/use http:\/\/localhost:7745 instead/);
  });
});

describe('progress', () => {
  const p = { item: 2, items: 3, scale: 1, scales: 2, width: 128, height: 96, iteration: 5, iterations: 10, evaluations: 0, losses: { content: 0, style: 0, tv: 0, total: 0 }, elapsed: 1, eta: 75 };
  it('computes per-layer fractions of a batch (item is 1-based)', () => {
    expect(itemFraction(p)).toBeCloseTo(0.75);
    expect(batchFractions(3, p)).toEqual([1, 0.75, 0]);
    expect(batchFractions(2, null)).toEqual([0, 0]);
  });
  it('formats the ETA', () => {
    expect(formatEta(12.2)).toBe('about 13 s left');
    expect(formatEta(75)).toBe('about 1 min left');
    expect(formatEta(0.2)).toBe('almost done');
    expect(formatEta(Number.NaN)).toBe('');
  });
});

describe('preset settings (item 8)', () => {
  it('shows a preset\'s params in the panel, and a run sends only what differs from them', () => {
    const shown = controlsForPreset({ ...DEFAULT_CONTROLS, strength: 90 }, { size: 96, iterations: 15, styleWeight: 1000, originalColors: true, styleLayers: ['conv1_1', 'conv2_1'] });
    expect(shown).toMatchObject({ strength: 75, preserveColors: true, advanced: { size: 96, iterations: 15, styleWeight: null, styleLayers: 'conv1_1, conv2_1' } });
    const baseline = controlsToParams(shown);
    expect(baseline).toMatchObject({ size: 96, iterations: 15, styleWeight: 1000, originalColors: true, styleLayers: ['conv1_1', 'conv2_1'] });
    expect(changedParams(controlsToParams(shown), baseline)).toEqual({ previewEvery: baseline.previewEvery });
    const edited = { ...shown, advanced: { ...shown.advanced, iterations: 3 } };
    expect(changedParams(controlsToParams(edited), baseline)).toEqual({ iterations: 3, previewEvery: 1 });
    // a weight the slider cannot show exactly stays as an advanced value
    expect(controlsForPreset(DEFAULT_CONTROLS, { styleWeight: 123 }).advanced.styleWeight).toBe(123);
  });
});

describe('quality estimates', () => {
  const speed = { referenceSide: 128, secondsPerEvaluation: 0.05 };
  it("estimates each level's time from the companion's measured speed, growing with the level's pixels", () => {
    const fast = estimateRunSeconds(DEFAULT_CONTROLS, 'fast', speed)!;
    const balanced = estimateRunSeconds(DEFAULT_CONTROLS, 'balanced', speed)!;
    const high = estimateRunSeconds(DEFAULT_CONTROLS, 'high', speed)!;
    expect(fast).toBeGreaterThan(0);
    expect(balanced / fast).toBeGreaterThan(2.5);
    expect(high / balanced).toBeGreaterThan(2.5);
    expect(estimateRunSeconds(DEFAULT_CONTROLS, 'fast', null)).toBeNull();
  });
  it('follows the advanced overrides', () => {
    const more = { ...DEFAULT_CONTROLS, advanced: { ...DEFAULT_CONTROLS.advanced, iterations: 400 } };
    expect(estimateRunSeconds(more, 'fast', speed)!).toBeGreaterThan(estimateRunSeconds(DEFAULT_CONTROLS, 'fast', speed)!);
  });
  it('formats estimates for the buttons', () => {
    expect(formatEstimate(12.2)).toBe('~12 s');
    expect(formatEstimate(185)).toBe('~3 min');
  });
});

describe("a designer's first hour (issue 19)", () => {
  const speed = { referenceSide: 128, secondsPerEvaluation: 0.05 };
  const small = [{ id: '1', width: 96, height: 96 }];
  it('estimates from the planned size of each layer: a 96-px layer runs the same 192-px job at every level', () => {
    const [fast, balanced, high] = (['fast', 'balanced', 'high'] as const).map((q) => estimateRunSeconds(DEFAULT_CONTROLS, q, speed, small)!);
    expect(balanced).toBeCloseTo(fast, 9);
    expect(high).toBeCloseTo(fast, 9);
    expect(fast).toBeCloseTo(estimateSeconds(planSchedule(192, 'auto', QUALITY_PRESETS.fast.iterations), 'lbfgs', speed), 9);
    // a batch: every item at the batch's size, each at its own aspect
    const two = estimateRunSeconds(DEFAULT_CONTROLS, 'high', speed, [...small, { id: '2', width: 400, height: 200 }])!;
    const plan = planSchedule(800, 'auto', QUALITY_PRESETS.high.iterations);
    expect(two).toBeCloseTo(estimateSeconds(plan, 'lbfgs', speed, 1) + estimateSeconds(plan, 'lbfgs', speed, 0.5), 9);
  });

  it('picks the best level that finishes in under a minute as the default quality, while the designer has not picked one', () => {
    const slowCpu = { referenceSide: 128, secondsPerEvaluation: 0.1 };
    const hero = [{ id: 'h', width: 1440, height: 900 }];
    const q = defaultQuality(DEFAULT_CONTROLS, slowCpu, hero);
    expect(estimateRunSeconds(DEFAULT_CONTROLS, q, slowCpu, hero)!).toBeLessThan(60);
    expect(q).toBe('fast');
    expect(defaultQuality(DEFAULT_CONTROLS, { referenceSide: 128, secondsPerEvaluation: 0.002 }, hero)).toBe('high');
    expect(defaultQuality(DEFAULT_CONTROLS, null, hero)).toBe('balanced');
    expect(sanitizeControls({ quality: 'high', qualityChosen: true })).toMatchObject({ quality: 'high', qualityChosen: true });
    expect(DEFAULT_CONTROLS.qualityChosen).toBe(false);
  });

  it('moves one bar over the whole schedule\'s work: it never drops when a new scale starts', () => {
    const plan = planSchedule(512, 'auto', 50); // 128, 256, 512 px
    const at = (scale: number, iteration: number) => itemFraction({ scale, scales: plan.length, iteration, iterations: plan[scale].iterations }, plan);
    const endOfFirst = at(0, plan[0].iterations);
    const startOfSecond = at(1, 0);
    expect(startOfSecond).toBeCloseTo(endOfFirst, 9);
    const total = plan.reduce((a, s) => a + s.iterations * s.side ** 2, 0);
    expect(endOfFirst).toBeCloseTo((plan[0].iterations * 128 ** 2) / total, 9);
    expect(at(2, plan[2].iterations)).toBe(1);
    const seq = [at(0, 0), at(0, 50), endOfFirst, at(1, 40), at(2, 0), at(2, 25)];
    expect([...seq].sort((a, b) => a - b)).toEqual(seq);
  });

  it('starts the run panel\'s ETA from the estimate the button showed', () => {
    expect(runEta(40, 0, 0, null)).toBe(40);
    expect(runEta(40, 5, 0.05, 300)).toBe(35);
    expect(runEta(40, 30, 0.5, 25)).toBe(25);
    expect(runEta(null, 3, 0, 12)).toBe(12);
  });

  it('a preset saved with ordinary settings keeps the quality level (layer ×2 sizing), not an exact size', () => {
    const saved = controlsToParams({ ...DEFAULT_CONTROLS, quality: 'high' });
    const shown = controlsForPreset(DEFAULT_CONTROLS, saved);
    expect(shown).toMatchObject({ quality: 'high', advanced: { size: null } });
    // an exact size the designer set stays exact
    expect(controlsForPreset(DEFAULT_CONTROLS, controlsToParams({ ...DEFAULT_CONTROLS, advanced: { ...DEFAULT_CONTROLS.advanced, size: 300 } })).advanced.size).toBe(300);
  });
});
