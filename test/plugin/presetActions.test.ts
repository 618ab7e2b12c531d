import { describe, expect, it } from 'vitest';
import { PRESET_NAME_MAX, presetNameSchema } from '../../shared/presets.js';
import {
  checkPresetName,
  CONFLICT_MESSAGE,
  describeActionFailure,
  gridMove,
  PRESET_NAME_LIMIT,
  reconcilePresets,
  thumbKey,
  type PresetLike,
} from '../../plugin/src/logic/presetActions.js';

const sha = (c: string): string => c.repeat(64);
const preset = (id: string, name: string, version = 1, image = 'a'): PresetLike => ({ id, name, version, styles: [{ sha256: sha(image) }] });
const list = [preset('p1', 'Brush strokes'), preset('p2', 'Watercolor', 3, 'b'), preset('p3', 'Mosaic', 1, 'c')];

describe('checkPresetName', () => {
  it('trims, and accepts a new unique name', () => {
    expect(checkPresetName('  Ink wash ', list, 'p1')).toEqual({ ok: true, name: 'Ink wash', unchanged: false });
  });

  it('flags an unchanged name (nothing to send) but allows changing only the case', () => {
    expect(checkPresetName('Brush strokes ', list, 'p1')).toEqual({ ok: true, name: 'Brush strokes', unchanged: true });
    expect(checkPresetName('brush strokes', list, 'p1')).toEqual({ ok: true, name: 'brush strokes', unchanged: false });
  });

  it('refuses another preset’s name case-insensitively, empty, too long and control characters', () => {
    expect(checkPresetName('WATERCOLOR', list, 'p1')).toEqual({ ok: false, message: 'A preset named “WATERCOLOR” already exists — pick another name' });
    expect(checkPresetName('   ', list, 'p1')).toMatchObject({ ok: false, message: 'Give the preset a name' });
    expect(checkPresetName('x'.repeat(PRESET_NAME_LIMIT + 1), list, 'p1')).toMatchObject({ ok: false, message: /at most 100/ });
    expect(checkPresetName('a\u0007b', list, 'p1')).toMatchObject({ ok: false, message: /control characters/ });
  });

  it('agrees with the shared schema the companion validates with', () => {
    expect(PRESET_NAME_LIMIT).toBe(PRESET_NAME_MAX);
    for (const name of ['ok', ' padded ', 'x'.repeat(100), 'x'.repeat(101), '', 'tab\there', 'émoji 🎨', 'del\u007f']) {
      expect(checkPresetName(name, [], null).ok, JSON.stringify(name)).toBe(presetNameSchema.safeParse(name).success);
    }
  });
});

describe('describeActionFailure', () => {
  it('412 stale_version: the conflict message and a reload, for rename and delete', () => {
    for (const action of ['rename', 'delete'] as const) {
      expect(describeActionFailure(action, { status: 412, code: 'stale_version', message: 'version 1 is stale' }, 'X')).toEqual({
        message: CONFLICT_MESSAGE,
        reload: true,
        gone: false,
        keepEditing: false,
      });
    }
    expect(CONFLICT_MESSAGE).toBe('Someone else changed this preset — reloaded the latest version');
  });

  it('409: the name is taken, keep editing, reload to learn the other preset', () => {
    expect(describeActionFailure('rename', { status: 409, code: 'name_taken', message: 'taken' }, 'Mosaic')).toEqual({
      message: 'A preset named “Mosaic” already exists — pick another name',
      reload: true,
      gone: false,
      keepEditing: true,
    });
  });

  it('404: the preset is gone (a delete counts as done)', () => {
    expect(describeActionFailure('delete', { status: 404, code: 'not_found', message: 'no preset' }, 'X')).toMatchObject({ reload: true, gone: true, message: /already deleted/ });
    expect(describeActionFailure('rename', { status: 404, code: 'not_found', message: 'no preset' }, 'X')).toMatchObject({ reload: true, gone: true, message: /deleted this preset/ });
  });

  it('other failures keep the rename open and say what happened', () => {
    expect(describeActionFailure('rename', { status: 0, code: 'offline', message: 'Companion not running' }, 'X')).toEqual({
      message: 'Could not rename the preset: Companion not running',
      reload: false,
      gone: false,
      keepEditing: true,
    });
    expect(describeActionFailure('rename', { status: 400, code: 'invalid_preset', message: 'bad name' }, 'X')).toMatchObject({ message: 'bad name', keepEditing: true });
    expect(describeActionFailure('delete', { status: 500, code: 'internal', message: 'boom' }, 'X')).toMatchObject({ message: 'Could not delete the preset: boom', keepEditing: false, reload: false });
    expect(describeActionFailure('delete', { status: 428, code: 'precondition_required', message: 'x' }, 'X')).toMatchObject({ reload: true });
  });
});

describe('reconcilePresets', () => {
  it('keeps the selection when the preset still exists and loads only missing thumbnails', () => {
    const r = reconcilePresets(list, list, 'p2', [thumbKey(list[0]), thumbKey(list[1])]);
    expect(r).toEqual({ selectedId: 'p2', staleThumbs: [], missingThumbs: ['p3'], selectedChanged: false });
  });

  it('drops the selection of a deleted preset and the thumbnails nobody uses', () => {
    const next = [list[0], list[2]];
    const r = reconcilePresets(next, list, 'p2', list.map(thumbKey));
    expect(r.selectedId).toBeNull();
    expect(r.staleThumbs).toEqual([thumbKey(list[1])]);
    expect(r.selectedChanged).toBe(true);
  });

  it('notices a teammate’s change to the selected preset, and a replaced style image', () => {
    const changed = [list[0], preset('p2', 'Watercolour', 4, 'd'), list[2]];
    const r = reconcilePresets(changed, list, 'p2', list.map(thumbKey));
    expect(r).toMatchObject({ selectedId: 'p2', selectedChanged: true, staleThumbs: [thumbKey(list[1])], missingThumbs: ['p2'] });
    expect(reconcilePresets(list, undefined, null, []).missingThumbs).toEqual(['p1', 'p2', 'p3']);
  });
});

describe('gridMove (3 columns)', () => {
  it('moves by one left/right and by a row up/down, stopping at the edges', () => {
    expect(gridMove(0, 'ArrowRight', 7, 3)).toBe(1);
    expect(gridMove(6, 'ArrowRight', 7, 3)).toBe(6);
    expect(gridMove(0, 'ArrowLeft', 7, 3)).toBe(0);
    expect(gridMove(1, 'ArrowDown', 7, 3)).toBe(4);
    expect(gridMove(4, 'ArrowDown', 7, 3)).toBe(4); // no item below (index 7 does not exist)
    expect(gridMove(3, 'ArrowDown', 7, 3)).toBe(6);
    expect(gridMove(5, 'ArrowUp', 7, 3)).toBe(2);
    expect(gridMove(2, 'ArrowUp', 7, 3)).toBe(2);
    expect(gridMove(4, 'Home', 7, 3)).toBe(0);
    expect(gridMove(1, 'End', 7, 3)).toBe(6);
  });

  it('ignores other keys and empty grids, and clamps a bad index', () => {
    expect(gridMove(0, 'Enter', 3, 3)).toBeNull();
    expect(gridMove(0, 'ArrowRight', 0, 3)).toBeNull();
    expect(gridMove(99, 'ArrowLeft', 3, 3)).toBe(1);
    expect(gridMove(0, 'ArrowDown', 3, 0)).toBe(1);
  });
});
