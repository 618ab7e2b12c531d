/**
 * The "Style" section: where the style comes from — a team preset (the presets pane), an image
 * layer of the selection marked as the style (with its thumbnail), or a file (picker and drop zone).
 */
import type { LayerInfo } from '../logic/messages.js';
import { byId, h, replaceChildren } from './dom.js';
import type { MainLink } from './mainLink.js';
import type { MessageBar } from './messageBar.js';
import type { PresetsPane } from './presetsPane.js';
import type { RunStyle } from './runJob.js';
import { MAX_REMEMBERED_STYLE_BYTES, type StoredStyle } from '../logic/settings.js';

export type StyleMode = 'preset' | 'layer' | 'file';

/** What the pane needs from the rest of the UI. */
export interface StyleDeps {
  bar: MessageBar;
  main: MainLink;
  presets: PresetsPane;
  connected(): boolean;
  /** The mode or the chosen style changed. */
  onChange(): void;
  /** Remember the style source between sessions (clientStorage, via main). */
  save(style: StoredStyle): void;
}

export class StylePane {
  mode: StyleMode = 'file';
  private file: { name: string; blob: Blob; url: string } | null = null;
  private styleLayer: LayerInfo | null = null;
  private thumb: { id: string; url: string } | null = null;
  private readonly el = {
    tabs: byId('style-tabs'),
    preset: byId('style-preset'),
    layer: byId('style-layer'),
    filePane: byId('style-file'),
    dropzone: byId('dropzone'),
    input: byId<HTMLInputElement>('style-input'),
    fileThumb: byId<HTMLImageElement>('file-thumb'),
    fileLabel: byId('file-label'),
  };

  constructor(private readonly deps: StyleDeps) {
    const el = this.el;
    el.tabs.addEventListener('click', (e) => {
      const mode = (e.target as HTMLElement).closest('button')?.dataset.mode as StyleMode | undefined;
      if (!mode) return;
      const reopened = mode === 'preset' && this.mode !== 'preset';
      this.mode = mode;
      this.changed();
      void this.remember();
      // opening the team presets shows the latest list (teammates may have changed it)
      if (reopened && deps.connected()) void deps.presets.load();
    });
    el.input.addEventListener('change', () => this.pickFile(el.input.files?.[0]));
    el.dropzone.addEventListener('dragover', (e) => {
      e.preventDefault();
      el.dropzone.classList.add('over');
    });
    el.dropzone.addEventListener('dragleave', () => el.dropzone.classList.remove('over'));
    el.dropzone.addEventListener('drop', (e) => {
      e.preventDefault();
      el.dropzone.classList.remove('over');
      this.pickFile(e.dataTransfer?.files?.[0]);
    });
  }

  /** Takes the remembered style source (at startup): its tab and its file. */
  restore(stored: StoredStyle): void {
    if (!this.styleLayer) this.mode = stored.mode;
    if (stored.file && !this.file) {
      const bytes = Uint8Array.from(atob(stored.file.base64), (c) => c.charCodeAt(0));
      const blob = new Blob([bytes], { type: stored.file.type });
      this.file = { name: stored.file.name, blob, url: URL.createObjectURL(blob) };
    }
    this.changed();
  }

  /** Saves the tab and, when small enough, the file. */
  private async remember(): Promise<void> {
    const f = this.file;
    let file: StoredStyle['file'] = null;
    if (f && f.blob.size <= MAX_REMEMBERED_STYLE_BYTES) {
      const bytes = new Uint8Array(await f.blob.arrayBuffer());
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      file = { name: f.name, type: f.blob.type, base64: btoa(binary) };
    }
    this.deps.save({ mode: this.mode, file });
  }

  /** The selection's marked style layer changed (marking one switches to the Layer source). */
  setStyleLayer(layer: LayerInfo | null): void {
    this.styleLayer = layer;
    if (layer && this.mode !== 'layer') this.mode = 'layer';
    this.render();
  }

  /** The style the run will use, or why there is none. */
  current(): RunStyle | string {
    if (this.mode === 'file') {
      const f = this.file;
      return f ? { kind: 'file', file: { name: f.name, data: f.blob }, ref: { kind: 'file', name: f.name } } : 'Choose a style image';
    }
    if (this.mode === 'layer') {
      const sl = this.styleLayer;
      return sl ? { kind: 'layer', nodeId: sl.id, ref: { kind: 'layer', nodeId: sl.id, name: sl.name } } : 'Mark an image layer as the style';
    }
    const p = this.deps.presets.selected();
    return p ? { kind: 'preset', presetId: p.id, ref: { kind: 'preset', id: p.id, name: p.name } } : 'Choose a team preset';
  }

  render(): void {
    const { el, mode } = this;
    for (const b of el.tabs.querySelectorAll<HTMLButtonElement>('button')) b.setAttribute('aria-selected', String(b.dataset.mode === mode));
    el.preset.hidden = mode !== 'preset';
    el.layer.hidden = mode !== 'layer';
    el.filePane.hidden = mode !== 'file';
    const sl = this.styleLayer;
    const thumb = sl && this.thumb?.id === sl.id ? this.thumb.url : null;
    replaceChildren(
      el.layer,
      sl
        ? h(
            'div',
            { class: 'style-layer' },
            thumb ? h('img', { class: 'thumb', src: thumb, alt: '', 'data-testid': 'style-layer-thumb' }) : h('span', { class: 'badge style' }, 'Style'),
            h('span', { class: 'layer-name' }, `“${sl.name}” (${Math.round(sl.width)}×${Math.round(sl.height)})`),
          )
        : h('div', { class: 'empty' }, 'Select an image layer along with your layers and press “Use as style”'),
    );
    if (sl && this.thumb?.id !== sl.id) void this.loadThumb(sl.id);
    el.fileThumb.hidden = !this.file;
    if (this.file) el.fileThumb.src = this.file.url;
    el.fileLabel.textContent = this.file ? `${this.file.name} — click or drop to replace` : 'Drop a style image here, or click to choose';
  }

  private changed(): void {
    this.render();
    this.deps.onChange();
  }

  private pickFile(file: File | undefined): void {
    if (!file) return;
    if (!/^image\/(png|jpeg|webp|gif)$/.test(file.type)) {
      this.deps.bar.say(`“${file.name}” is not a PNG, JPEG, WebP or GIF image`, 'error');
      return;
    }
    if (this.file) URL.revokeObjectURL(this.file.url);
    this.file = { name: file.name, blob: file, url: URL.createObjectURL(file) };
    this.mode = 'file';
    this.deps.bar.say('');
    this.changed();
    void this.remember();
  }

  /** Exports the marked style layer small, for its thumbnail. */
  private async loadThumb(id: string): Promise<void> {
    if (this.thumb) URL.revokeObjectURL(this.thumb.url);
    this.thumb = { id, url: '' };
    try {
      const r = await this.deps.main.call('exportLayers', { layers: [], style: { nodeId: id, size: 96 } }, 'exported');
      if (!r.style || this.thumb?.id !== id) return;
      this.thumb = { id, url: URL.createObjectURL(new Blob([r.style.png as Uint8Array<ArrayBuffer>], { type: 'image/png' })) };
      this.render();
    } catch {
      // no thumbnail; the name is still shown
    }
  }
}
