/** "Save as team preset" (★): the current style file or layer plus the current settings, saved on the companion for the team. */
import type { ConnectionPane } from './connectionPane.js';
import type { ControlsPane } from './controlsPane.js';
import { byId } from './dom.js';
import type { MainLink } from './mainLink.js';
import type { PresetsPane } from './presetsPane.js';
import type { StylePane } from './stylePane.js';

/** What the pane needs from the rest of the UI. */
export interface SavePresetDeps {
  main: MainLink;
  connection: ConnectionPane;
  style: StylePane;
  controls: ControlsPane;
  presets: PresetsPane;
}

/** Wires the ★ toggle and the Save button. */
export function setupSavePreset(deps: SavePresetDeps): void {
  const el = {
    toggle: byId<HTMLButtonElement>('more'),
    section: byId('preset-save'),
    name: byId<HTMLInputElement>('preset-name'),
    save: byId<HTMLButtonElement>('preset-save-btn'),
    status: byId('preset-save-status'),
  };
  const status = (text: string, kind: 'error' | 'success' | 'info'): void => {
    el.status.textContent = text;
    el.status.dataset.kind = kind;
    el.status.style.color = kind === 'error' ? 'var(--danger-text)' : kind === 'success' ? 'var(--success)' : '';
  };

  el.toggle.addEventListener('click', () => {
    el.section.hidden = !el.section.hidden;
    if (!el.section.hidden) {
      el.status.textContent = '';
      el.name.focus();
      el.section.scrollIntoView({ block: 'nearest' });
    }
  });

  el.save.addEventListener('click', async () => {
    const name = el.name.value.trim();
    if (!name) return status('Give the preset a name', 'error');
    if (deps.connection.state.kind !== 'connected') return status('Connect to the companion first', 'error');
    const style = deps.style.current();
    if (typeof style === 'string') return status(style, 'error');
    if (style.kind === 'preset') return status('This style already is a team preset — pick a file or a layer', 'error');
    const checked = deps.controls.allParams();
    if (!checked.ok) return status(checked.message, 'error');
    const { previewEvery: _previewEvery, ...params } = checked.params;
    el.save.disabled = true;
    status('Saving…', 'info');
    try {
      let data: Blob | Uint8Array;
      let fileName = 'style.png';
      if (style.kind === 'file') {
        data = style.file.data;
        fileName = style.file.name;
      } else {
        const exported = await deps.main.call('exportLayers', { layers: [], style: { nodeId: style.nodeId, size: Math.max(512, params.size ?? 512) } }, 'exported');
        if (!exported.style) throw new Error('The style layer could not be exported');
        data = exported.style.png;
      }
      const preset = await deps.connection.client().savePreset(name, params, [{ name: fileName, data }]);
      status(`Saved “${preset.name}” for your team`, 'success');
      el.name.value = '';
      void deps.presets.load();
    } catch (err) {
      status((err as Error).message, 'error');
    } finally {
      el.save.disabled = false;
    }
  });
}
