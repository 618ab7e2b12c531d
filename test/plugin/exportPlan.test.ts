import { describe, expect, it } from 'vitest';
import { FIGMA_MAX_IMAGE_SIDE, exportedSize, planExport } from '../../plugin/src/logic/exportPlan.js';

describe('planExport', () => {
  it('scales the longer side to the chosen size (down and up)', () => {
    expect(planExport(1000, 500, 512)).toMatchObject({ width: 512, height: 256 });
    expect(planExport(500, 1000, 512)).toMatchObject({ width: 256, height: 512 });
    expect(planExport(100, 50, 512)).toMatchObject({ width: 512, height: 256, scale: 5.12 });
  });

  it('never exceeds 4096 px even when a larger size is asked for', () => {
    const p = planExport(10000, 3000, 8192);
    expect(Math.max(p.width, p.height)).toBe(FIGMA_MAX_IMAGE_SIDE);
    expect(p.height).toBe(1229);
    expect(planExport(3, 2, 100000).width).toBe(4096);
  });

  it('nudges the scale down when rounding would overshoot', () => {
    for (const [w, h, s] of [
      [333.3333, 77.7, 512],
      [1023.5, 1023.49, 1024],
      [7, 3, 4096],
      [0.3, 0.2, 17],
    ] as const) {
      const p = planExport(w, h, s);
      expect(Math.max(p.width, p.height)).toBeLessThanOrEqual(Math.min(s, 4096));
      expect(exportedSize(w, h, p.scale)).toEqual({ width: p.width, height: p.height });
    }
  });

  it('keeps very thin layers at least 1 px', () => {
    expect(planExport(2000, 1, 256)).toMatchObject({ width: 256, height: 1 });
  });

  it('rejects layers without area and bad sizes', () => {
    expect(() => planExport(0, 10, 512)).toThrow(/no area/);
    expect(() => planExport(10, Number.NaN, 512)).toThrow(/no area/);
    expect(() => planExport(10, 10, 0)).toThrow(/positive/);
  });
});
