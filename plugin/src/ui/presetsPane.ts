/**
 * The "Team preset" pane of the style picker: the team's presets as a thumbnail grid (pick one to
 * stylize with it), refresh, rename (PATCH with If-Match), delete after a confirmation step (DELETE
 * with If-Match), conflict handling (412 → reload + message) and the empty / loading / error states.
 * Keyboard: arrows/Home/End move through the grid, F2 renames, Delete asks to delete, Escape cancels.
 */
import type { Preset } from '../../../shared/presets.js';
import { checkPresetName, describeActionFailure, gridMove, PRESET_NAME_LIMIT, reconcilePresets, thumbKey } from '../logic/presetActions.js';
import { CompanionError, type CompanionClient } from './companionClient.js';
import { h, replaceChildren } from './dom.js';

/** What the pane needs from the rest of the UI. */
export interface PresetsPaneDeps {
  root: HTMLElement;
  client: () => CompanionClient;
  connected: () => boolean;
  /** The list or the selected preset changed (re-check the Stylize button). */
  onChange: () => void;
}

type Mode =
  | { kind: 'idle' }
  /** `version`: the one the designer saw when they started; sent as If-Match, so a change made
   * meanwhile by someone else is a conflict (412), never silently overwritten. */
  | { kind: 'rename'; id: string; version: number; draft: string; busy: boolean }
  | { kind: 'confirmDelete'; id: string; version: number; busy: boolean };

type StatusKind = 'error' | 'success' | 'info';

/** Columns of the preset grid (see `.presets` in styles.css). */
const COLUMNS = 3;

/** The team-presets pane; owns the list, the selection, thumbnails and the rename/delete flows. */
export class PresetsPane {
  /** undefined: not loaded yet; null: this companion has no presets API. */
  presets: Preset[] | null | undefined = undefined;
  selectedId: string | null = null;
  private loadError: string | null = null;
  private loading = false;
  private loadSeq = 0;
  private mode: Mode = { kind: 'idle' };
  private status: { text: string; kind: StatusKind } | null = null;
  private statusTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly thumbs = new Map<string, string>();
  private readonly bar = h('div', { class: 'presets-bar' });
  private readonly grid = h('div', { class: 'presets', role: 'radiogroup', 'aria-label': 'Team presets', 'data-testid': 'preset-grid' });
  private readonly actions = h('div', { class: 'preset-actions', 'data-testid': 'preset-actions' });
  private readonly statusEl = h('div', { class: 'message', role: 'status', 'aria-live': 'polite', 'data-testid': 'preset-status' });

  constructor(private readonly deps: PresetsPaneDeps) {
    deps.root.replaceChildren(this.bar, this.grid, this.actions, this.statusEl);
    this.grid.addEventListener('keydown', (e) => this.onGridKey(e));
    this.actions.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.mode.kind !== 'idle' && !this.mode.busy) {
        e.preventDefault();
        this.setMode({ kind: 'idle' });
        this.focusSelected();
      }
    });
    this.render();
  }

  /** The selected preset, if it is in the list. */
  selected(): Preset | undefined {
    return this.presets?.find((p) => p.id === this.selectedId);
  }

  /** Forgets the list (e.g. after the connection changed); `render` shows the right empty state. */
  reset(): void {
    this.loadSeq++;
    this.presets = undefined;
    this.loadError = null;
    this.mode = { kind: 'idle' };
    this.render();
  }

  /** (Re)loads the team's presets; keeps the selection when the preset still exists. */
  async load(): Promise<void> {
    const seq = ++this.loadSeq;
    this.loading = true;
    this.renderBar();
    let next: Preset[] | null;
    try {
      next = await this.deps.client().listPresets();
    } catch (err) {
      if (seq !== this.loadSeq) return;
      this.loading = false;
      const offline = err instanceof CompanionError && err.code === 'offline';
      this.loadError = offline ? 'The companion stopped answering' : `Could not load team presets: ${(err as Error).message}`;
      this.render();
      return;
    }
    if (seq !== this.loadSeq) return;
    this.loading = false;
    this.loadError = null;
    const previous = this.presets;
    const lost = this.selected();
    const r = reconcilePresets(next ?? [], previous, this.selectedId, this.thumbs.keys());
    this.presets = next;
    if (lost && r.selectedId === null && !this.status) this.setStatus(`“${lost.name}” was deleted by someone on your team`, 'info');
    else if (lost && r.selectedChanged && !this.status) this.setStatus(`“${lost.name}” was just changed by someone on your team`, 'info');
    this.selectedId = r.selectedId;
    if (this.mode.kind !== 'idle' && !next?.some((p) => p.id === (this.mode as { id: string }).id)) this.mode = { kind: 'idle' };
    for (const key of r.staleThumbs) {
      URL.revokeObjectURL(this.thumbs.get(key) ?? '');
      this.thumbs.delete(key);
    }
    this.render();
    this.deps.onChange();
    for (const id of r.missingThumbs) void this.loadThumb(id);
  }

  private async loadThumb(id: string): Promise<void> {
    const p = this.presets?.find((x) => x.id === id);
    if (!p) return;
    const key = thumbKey(p);
    try {
      const blob = await this.deps.client().presetStyle(p.id, 0);
      if (this.thumbs.has(key) || !this.presets?.some((x) => thumbKey(x) === key)) return;
      this.thumbs.set(key, URL.createObjectURL(blob));
      this.renderGrid();
    } catch {
      // no thumbnail: the placeholder stays
    }
  }

  /** Renders everything from the current state. */
  render(): void {
    this.renderBar();
    this.renderGrid();
    this.renderActions();
    this.renderStatus();
  }

  private renderBar(): void {
    const list = this.presets;
    const count = list?.length ? `${list.length} team preset${list.length === 1 ? '' : 's'}` : '';
    const refresh = h(
      'button',
      { class: `icon-btn${this.loading ? ' spinning' : ''}`, type: 'button', title: 'Reload the team’s presets', 'aria-label': 'Reload presets', 'data-testid': 'presets-refresh' },
      '↻',
    );
    refresh.disabled = !this.deps.connected() || this.loading || this.presets === null;
    refresh.addEventListener('click', () => {
      this.clearStatus();
      void this.load();
    });
    this.bar.hidden = !this.deps.connected() || this.presets === null;
    replaceChildren(this.bar, h('span', { class: 'tiny muted', 'data-testid': 'presets-count' }, this.loading && !list ? 'Loading…' : count), refresh);
  }

  private renderGrid(): void {
    const focusedId = (document.activeElement as HTMLElement | null)?.closest?.('[data-preset-id]')?.getAttribute('data-preset-id') ?? null;
    const empty = this.emptyState();
    this.grid.classList.toggle('is-empty', Boolean(empty));
    if (empty) {
      replaceChildren(this.grid, empty);
      return;
    }
    const list = this.presets ?? [];
    const tabStop = list.some((p) => p.id === this.selectedId) ? this.selectedId : list[0]?.id;
    replaceChildren(
      this.grid,
      ...list.map((p) => {
        const thumb = this.thumbs.get(thumbKey(p));
        const checked = p.id === this.selectedId;
        const b = h(
          'button',
          {
            class: 'preset',
            type: 'button',
            role: 'radio',
            'aria-checked': String(checked),
            'aria-pressed': String(checked),
            tabindex: p.id === tabStop ? '0' : '-1',
            title: `${p.name}${p.styles.length > 1 ? ` · ${p.styles.length} styles` : ''}`,
            'data-testid': 'preset',
            'data-preset-id': p.id,
          },
          thumb ? h('img', { src: thumb, alt: '' }) : h('div', { class: 'ph' }),
          h('span', {}, p.name),
        );
        b.addEventListener('click', () => this.select(p.id));
        b.addEventListener('dblclick', () => this.startRename());
        return b;
      }),
    );
    if (focusedId) this.grid.querySelector<HTMLElement>(`[data-preset-id="${CSS.escape(focusedId)}"]`)?.focus();
  }

  private emptyState(): HTMLElement | null {
    if (!this.deps.connected()) return h('div', { class: 'empty', 'data-testid': 'presets-empty' }, 'Connect to the companion to see team presets');
    if (this.loadError) {
      const retry = h('button', { class: 'btn secondary small', type: 'button', 'data-testid': 'presets-retry' }, 'Retry');
      retry.addEventListener('click', () => void this.load());
      return h('div', { class: 'empty error', 'data-testid': 'presets-empty' }, h('div', {}, this.loadError), retry);
    }
    if (this.presets === undefined) return h('div', { class: 'empty', 'data-testid': 'presets-empty' }, 'Loading presets…');
    if (this.presets === null) return h('div', { class: 'empty', 'data-testid': 'presets-empty' }, 'This companion has no team presets — update Atelier');
    if (!this.presets.length) {
      return h(
        'div',
        { class: 'empty', 'data-testid': 'presets-empty' },
        h('div', { class: 'empty-title' }, 'No team presets yet'),
        h('div', {}, 'Pick a style file or layer, then press ★ to save it with your settings for the whole team.'),
      );
    }
    return null;
  }

  private renderActions(): void {
    const p = this.selected();
    const mode = this.mode;
    this.actions.hidden = !p;
    if (!p) {
      replaceChildren(this.actions);
      return;
    }
    this.actions.dataset.mode = mode.kind;
    if (mode.kind === 'rename' && mode.id === p.id) {
      const existing = this.actions.querySelector<HTMLInputElement>('[data-testid="preset-rename-input"]');
      if (existing && existing.dataset.presetId === p.id) {
        existing.disabled = mode.busy;
        for (const b of this.actions.querySelectorAll('button')) b.disabled = mode.busy;
        if (!mode.busy && document.activeElement !== existing) existing.focus();
        return;
      }
      const input = h('input', { type: 'text', maxlength: String(PRESET_NAME_LIMIT), 'aria-label': 'New preset name', spellcheck: 'false', 'data-testid': 'preset-rename-input', 'data-preset-id': p.id });
      input.value = mode.draft;
      input.addEventListener('input', () => {
        if (this.mode.kind === 'rename') this.mode.draft = input.value;
      });
      input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          void this.commitRename();
        }
      });
      const save = h('button', { class: 'btn small', type: 'button', 'data-testid': 'preset-rename-save' }, 'Save');
      save.addEventListener('click', () => void this.commitRename());
      const cancel = h('button', { class: 'btn secondary small', type: 'button', 'data-testid': 'preset-rename-cancel' }, 'Cancel');
      cancel.addEventListener('click', () => {
        this.setMode({ kind: 'idle' });
        this.focusSelected();
      });
      replaceChildren(this.actions, h('div', { class: 'row' }, input, save, cancel));
      input.disabled = save.disabled = cancel.disabled = mode.busy;
      input.focus();
      input.select();
      return;
    }
    if (mode.kind === 'confirmDelete' && mode.id === p.id) {
      const keep = h('button', { class: 'btn secondary small', type: 'button', 'data-testid': 'preset-delete-cancel' }, 'Keep it');
      keep.addEventListener('click', () => {
        this.setMode({ kind: 'idle' });
        this.focusSelected();
      });
      const del = h('button', { class: 'btn danger solid small', type: 'button', 'data-testid': 'preset-delete-confirm' }, mode.busy ? 'Deleting…' : 'Delete');
      del.addEventListener('click', () => void this.commitDelete());
      keep.disabled = del.disabled = mode.busy;
      replaceChildren(
        this.actions,
        h(
          'div',
          { class: 'confirm', role: 'alertdialog', 'aria-label': 'Delete preset', 'data-testid': 'preset-delete-dialog' },
          h('div', {}, h('strong', {}, `Delete “${p.name}”?`), ' It disappears for everyone on your team. Layers already stylized with it keep their images.'),
          h('div', { class: 'row end' }, keep, del),
        ),
      );
      keep.focus();
      return;
    }
    const rename = h('button', { class: 'btn secondary small', type: 'button', title: 'Rename (F2)', 'data-testid': 'preset-rename' }, 'Rename');
    rename.addEventListener('click', () => this.startRename());
    const del = h('button', { class: 'btn danger small', type: 'button', title: 'Delete (Del)', 'data-testid': 'preset-delete' }, 'Delete');
    del.addEventListener('click', () => this.startDelete());
    const styles = p.styles.length;
    replaceChildren(
      this.actions,
      h(
        'div',
        { class: 'row' },
        h('span', { class: 'preset-title grow', title: p.name, 'data-testid': 'preset-selected-name' }, p.name),
        h('span', { class: 'tiny muted', 'data-version': String(p.version) }, `${styles} style image${styles === 1 ? '' : 's'}`),
        rename,
        del,
      ),
    );
  }

  private renderStatus(): void {
    const s = this.status;
    this.statusEl.hidden = !s;
    this.statusEl.className = `message ${s?.kind ?? ''}`;
    this.statusEl.dataset.kind = s?.kind ?? '';
    this.statusEl.textContent = s?.text ?? '';
  }

  private setStatus(text: string, kind: StatusKind): void {
    clearTimeout(this.statusTimer);
    this.status = { text, kind };
    if (kind === 'success') this.statusTimer = setTimeout(() => this.clearStatus(), 8000);
    this.renderStatus();
  }

  private clearStatus(): void {
    clearTimeout(this.statusTimer);
    this.status = null;
    this.renderStatus();
  }

  private setMode(mode: Mode): void {
    this.mode = mode;
    this.renderActions();
  }

  private select(id: string): void {
    if (this.mode.kind !== 'idle' && this.mode.busy) return;
    if (this.selectedId !== id) {
      this.selectedId = id;
      this.mode = { kind: 'idle' };
      this.clearStatus();
    }
    this.renderGrid();
    this.renderActions();
    this.deps.onChange();
  }

  private focusSelected(): void {
    const id = this.selectedId;
    if (id) this.grid.querySelector<HTMLElement>(`[data-preset-id="${CSS.escape(id)}"]`)?.focus();
  }

  private onGridKey(e: KeyboardEvent): void {
    const list = this.presets ?? [];
    const id = (e.target as HTMLElement).closest('[data-preset-id]')?.getAttribute('data-preset-id');
    const index = list.findIndex((p) => p.id === id);
    if (index < 0) return;
    if (e.key === 'F2') {
      e.preventDefault();
      this.select(list[index].id);
      this.startRename();
      return;
    }
    if (e.key === 'Delete' || e.key === 'Backspace') {
      e.preventDefault();
      this.select(list[index].id);
      this.startDelete();
      return;
    }
    const to = gridMove(index, e.key, list.length, COLUMNS);
    if (to === null) return;
    e.preventDefault();
    this.select(list[to].id);
    this.focusSelected();
  }

  private startRename(): void {
    const p = this.selected();
    if (!p || (this.mode.kind !== 'idle' && this.mode.busy)) return;
    this.clearStatus();
    this.setMode({ kind: 'rename', id: p.id, version: p.version, draft: p.name, busy: false });
  }

  private startDelete(): void {
    const p = this.selected();
    if (!p || (this.mode.kind !== 'idle' && this.mode.busy)) return;
    this.clearStatus();
    this.setMode({ kind: 'confirmDelete', id: p.id, version: p.version, busy: false });
  }

  private async commitRename(): Promise<void> {
    const mode = this.mode;
    const p = this.selected();
    if (mode.kind !== 'rename' || mode.busy || !p || p.id !== mode.id) return;
    const check = checkPresetName(mode.draft, this.presets ?? [], p.id);
    if (!check.ok) {
      this.setStatus(check.message, 'error');
      return;
    }
    if (check.unchanged) {
      this.setMode({ kind: 'idle' });
      this.focusSelected();
      return;
    }
    this.setMode({ ...mode, busy: true });
    this.setStatus('Renaming…', 'info');
    try {
      const updated = await this.deps.client().renamePreset(p.id, mode.version, check.name);
      this.replaceLocal(updated);
      this.mode = { kind: 'idle' };
      this.setStatus(`Renamed to “${updated.name}”`, 'success');
      this.render();
      this.focusSelected();
      this.deps.onChange();
      void this.load();
    } catch (err) {
      this.fail('rename', err, check.name, { ...mode, busy: false });
    }
  }

  private async commitDelete(): Promise<void> {
    const mode = this.mode;
    const p = this.selected();
    if (mode.kind !== 'confirmDelete' || mode.busy || !p || p.id !== mode.id) return;
    this.setMode({ ...mode, busy: true });
    try {
      await this.deps.client().deletePreset(p.id, mode.version);
      this.presets = (this.presets ?? []).filter((x) => x.id !== p.id);
      this.selectedId = null;
      this.mode = { kind: 'idle' };
      this.setStatus(`Deleted “${p.name}”`, 'success');
      this.render();
      this.grid.querySelector<HTMLElement>('[tabindex="0"]')?.focus();
      this.deps.onChange();
      void this.load();
    } catch (err) {
      this.fail('delete', err, p.name, { kind: 'idle' });
    }
  }

  /** Shows why a rename/delete failed and reloads the list when the local copy is stale. */
  private fail(action: 'rename' | 'delete', err: unknown, name: string, editing: Mode): void {
    const e = err instanceof CompanionError ? err : new CompanionError(0, 'error', (err as Error)?.message ?? String(err));
    const f = describeActionFailure(action, e, name);
    this.mode = f.keepEditing ? editing : { kind: 'idle' };
    if (f.gone && action === 'delete') this.selectedId = null;
    this.setStatus(f.message, f.gone && action === 'delete' ? 'info' : 'error');
    this.renderActions();
    if (f.reload) void this.load();
    else if (!f.keepEditing) this.focusSelected();
  }

  private replaceLocal(updated: Preset): void {
    if (!this.presets) return;
    this.presets = this.presets.map((x) => (x.id === updated.id ? updated : x));
  }
}
