import { describe, expect, it } from 'vitest';
import type { Paint } from '@figma/plugin-typings/plugin-api-standalone.js';
import { decodeOriginal, encodeOriginal, planApply, planRevert, stylizedPaint } from '../../plugin/src/logic/fills.js';
import { decodeProvenance, encodeProvenance } from '../../plugin/src/logic/provenance.js';

const solid: Paint = { type: 'SOLID', color: { r: 1, g: 0.5, b: 0 }, opacity: 0.8, visible: true, blendMode: 'MULTIPLY' };
const image: Paint = { type: 'IMAGE', scaleMode: 'CROP', imageHash: 'a'.repeat(40), imageTransform: [[1, 0, 0], [0, 1, 0]] };

describe('fill bookkeeping', () => {
  it('replaces the fills with one IMAGE paint (FILL) and saves the originals', () => {
    const plan = planApply('', [solid, image], [], 'h1');
    expect(plan.fills).toEqual([stylizedPaint('h1')]);
    expect(plan.fills[0]).toMatchObject({ type: 'IMAGE', scaleMode: 'FILL', imageHash: 'h1' });
    expect(plan.record).toEqual({ v: 1, fills: [solid, image], hiddenChildIds: [], appliedImageHash: 'h1' });
    expect(plan.record.fills[0]).not.toBe(solid);
  });

  it('hides only the visible children and records them', () => {
    const plan = planApply('', [solid], [{ id: 'c1', visible: true }, { id: 'c2', visible: false }, { id: 'c3', visible: true }], 'h');
    expect(plan.hide).toEqual(['c1', 'c3']);
    expect(plan.record.hiddenChildIds).toEqual(['c1', 'c3']);
  });

  it('keeps the first original across re-stylizations and merges hidden children', () => {
    const first = planApply('', [solid], [{ id: 'c1', visible: true }], 'h1');
    const second = planApply(encodeOriginal(first.record), first.fills, [{ id: 'c1', visible: false }, { id: 'c2', visible: true }], 'h2');
    expect(second.record.fills).toEqual([solid]);
    expect(second.record.hiddenChildIds).toEqual(['c1', 'c2']);
    expect(second.record.appliedImageHash).toBe('h2');
    const revert = planRevert(encodeOriginal(second.record));
    expect(revert).toEqual({ fills: [solid], show: ['c1', 'c2'] });
  });

  it('round-trips exactly through plugin data, and rejects what is not ours', () => {
    const rec = planApply('', [image, solid], [{ id: 'x', visible: true }], 'h').record;
    expect(decodeOriginal(encodeOriginal(rec))).toEqual(rec);
    for (const bad of ['', 'not json', '{}', '{"v":2,"fills":[],"hiddenChildIds":[],"appliedImageHash":"h"}', '{"v":1,"fills":[],"hiddenChildIds":[3],"appliedImageHash":"h"}', 'null']) {
      expect(decodeOriginal(bad)).toBeNull();
    }
    expect(planRevert('garbage')).toBeNull();
  });

  it('stores provenance as JSON and ignores malformed records', () => {
    const p = { v: 1 as const, style: { kind: 'preset' as const, id: 'p1', name: 'Monet' }, params: { size: 256 }, jobId: 'j', companionVersion: '0.1.0', appliedAt: '2024-01-01T00:00:00.000Z' };
    expect(decodeProvenance(encodeProvenance(p))).toEqual(p);
    expect(decodeProvenance('{"v":1}')).toBeNull();
    expect(decodeProvenance('{')).toBeNull();
  });
});
