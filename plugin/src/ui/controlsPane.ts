/**
 * The "Settings" section: strength, quality, preserve colours, replace the fill, advanced
 * overrides. While a team preset is the style, it shows the preset's settings (and remembers the
 * designer's own, put back when they leave the preset); a run then sends only what differs.
 */
import type { Preset } from '../../../shared/presets.js';
import type { StylizeParamsInput } from '../../../shared/params.js';
import { changedParams, controlsForPreset } from '../logic/presetSettings.js';
import { controlsToParams, DEFAULT_CONTROLS, DEFAULT_QUALITY_TARGET_SECONDS, defaultQuality, estimateRunSeconds, formatEstimate, QUALITY_PRESETS, SCREEN_DENSITY, type Controls, type Quality, type SizedLayer } from '../logic/quality.js';
import type { MeasuredSpeed } from '../../../shared/schedule.js';
import { checkParams, fallbackLabel } from './checkParams.js';
import { byId, h } from './dom.js';

export class ControlsPane {
  controls: Controls = structuredClone(DEFAULT_CONTROLS);
  /** While a team preset is the style: its settings as shown. */
  private presetShown: { presetId: string; version: number; name: string; controls: Controls } | null = null;
  /** The designer's own controls, put back when they leave the preset. */
  private own: Controls | null = null;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  /** The companion's measured speed, for each quality level's estimated time. */
  private speed: MeasuredSpeed | null = null;
  /** The selected layers, for estimates from their planned sizes. */
  private layers: readonly SizedLayer[] = [];
  private readonly el = {
    strength: byId<HTMLInputElement>('strength'),
    strengthValue: byId('strength-value'),
    quality: byId('quality'),
    qualityHint: byId('quality-hint'),
    preserve: byId<HTMLInputElement>('preserve'),
    replaceFill: byId<HTMLInputElement>('replace-fill'),
    advancedToggle: byId<HTMLButtonElement>('advanced-toggle'),
    advanced: byId('advanced'),
  };

  /**
   * `save(controls)` remembers the designer's own controls (clientStorage, via main);
   * `onValid()` is told when the settings are valid again after a change (their error can go).
   */
  constructor(
    private readonly save: (controls: Controls) => void,
    private readonly onValid: () => void = () => undefined,
  ) {
    const el = this.el;
    el.strength.addEventListener('input', () => {
      this.controls.strength = Number(el.strength.value);
      el.strengthValue.textContent = `${Math.round(this.controls.strength)}%`;
      this.changed(false);
    });
    el.quality.addEventListener('click', (e) => {
      const q = (e.target as HTMLElement).closest('button')?.dataset.quality as Quality | undefined;
      if (!q) return;
      this.controls.quality = q;
      this.controls.qualityChosen = true;
      this.changed();
    });
    el.preserve.addEventListener('change', () => {
      this.controls.preserveColors = el.preserve.checked;
      this.changed(false);
    });
    el.replaceFill.addEventListener('change', () => {
      this.controls.replaceFill = el.replaceFill.checked;
      this.changed(false);
    });
    el.advancedToggle.addEventListener('click', () => {
      this.controls.advancedOpen = !this.controls.advancedOpen;
      this.changed();
    });
    el.advanced.addEventListener('change', (e) => {
      const input = e.target as HTMLInputElement | HTMLSelectElement;
      const key = input.dataset.adv as keyof Controls['advanced'] | undefined;
      if (!key) return;
      const a = this.controls.advanced as unknown as Record<string, unknown>;
      if (key === 'styleLayers' || key === 'contentLayers' || key === 'pooling' || key === 'optimizer') a[key] = input.value;
      else if (key === 'seed') a[key] = Math.max(0, Math.floor(Number(input.value) || 0));
      else a[key] = input.value.trim() === '' ? null : Number(input.value);
      this.changed();
    });
  }

  /** Takes the stored controls (at startup). */
  start(controls: Controls): void {
    this.controls = controls;
    this.render();
  }

  /** Shows `preset`'s settings (undefined: the designer's own again). */
  showPreset(preset: Preset | undefined): void {
    const shown = this.presetShown;
    if (preset) {
      if (shown?.presetId === preset.id && shown.version === preset.version) return;
      this.own ??= this.controls;
      const controls = controlsForPreset(this.own, preset.params);
      this.presetShown = { presetId: preset.id, version: preset.version, name: preset.name, controls: structuredClone(controls) };
      this.controls = controls;
    } else if (this.own) {
      this.controls = this.own;
      this.own = null;
      this.presetShown = null;
    } else return;
    this.render();
  }

  /** The params of a run, checked; with a preset shown, only what the designer changed from it. */
  runParams(): { ok: true; params: StylizeParamsInput } | { ok: false; message: string } {
    const checked = checkParams(controlsToParams(this.controls), (key) => this.fieldLabel(key));
    if (!checked.ok || !this.presetShown) return checked;
    return { ok: true, params: changedParams(checked.params, controlsToParams(this.presetShown.controls)) };
  }

  /** All params of the current controls, checked (e.g. to save them as a preset). */
  allParams(): ReturnType<typeof checkParams> {
    return checkParams(controlsToParams(this.controls), (key) => this.fieldLabel(key));
  }

  /** The largest output side and whether it is exact (advanced size) or a cap (quality level). */
  sizeRule(): { cap: number; exact: boolean } {
    const size = this.controls.advanced.size;
    return { cap: size ?? QUALITY_PRESETS[this.controls.quality].size, exact: size !== null };
  }

  /** The companion's measured speed (null: unknown), shown as each level's estimated time. */
  setSpeed(speed: MeasuredSpeed | null): void {
    this.speed = speed;
    this.render();
  }

  /** The selected layers changed: their planned sizes make the estimates (and the default quality). */
  setLayers(layers: readonly SizedLayer[]): void {
    this.layers = layers;
    this.render();
  }

  /** Estimated seconds of a run of the selection with the current controls (null: speed unknown). */
  estimate(): number | null {
    return estimateRunSeconds(this.controls, this.controls.quality, this.speed, this.layers);
  }

  render(): void {
    const { el, controls: c } = this;
    el.strength.value = String(c.strength);
    el.strengthValue.textContent = `${Math.round(c.strength)}%`;
    // until the designer picks one, the quality is the best level that finishes in about a minute
    if (!c.qualityChosen && !this.presetShown) c.quality = defaultQuality(c, this.speed, this.layers);
    for (const b of el.quality.querySelectorAll<HTMLButtonElement>('button')) b.setAttribute('aria-checked', String(b.dataset.quality === c.quality));
    const q = QUALITY_PRESETS[c.quality];
    const { cap, exact } = this.sizeRule();
    const iterations = c.advanced.iterations ?? q.iterations;
    const overridden = exact || c.advanced.iterations !== null;
    const sizeText = exact ? `${cap} px` : `up to ${cap} px (layer size ×${SCREEN_DENSITY})`;
    const from = this.presetShown ? ` — settings of “${this.presetShown.name}”` : overridden ? ' (advanced)' : '';
    for (const b of el.quality.querySelectorAll<HTMLButtonElement>('button')) {
      const seconds = estimateRunSeconds(c, b.dataset.quality as Quality, this.speed, this.layers);
      const estimate = b.querySelector('.estimate') ?? b.appendChild(h('span', { class: 'estimate' }));
      estimate.textContent = seconds === null ? '' : formatEstimate(seconds);
      b.title = seconds === null ? '' : `about ${formatEstimate(seconds).slice(1)} on this companion for ${this.layers.length > 1 ? 'the selected layers' : this.layers.length ? 'the selected layer' : 'a layer this size'}`;
    }
    const picked = !c.qualityChosen && !this.presetShown && this.speed;
    const quick = (this.estimate() ?? Infinity) < DEFAULT_QUALITY_TARGET_SECONDS;
    const auto = picked ? (quick ? ' · picked to finish in about a minute' : ' · picked as the quickest level on this companion') : '';
    el.qualityHint.textContent = `${sizeText} · ${iterations} iterations${from}${auto}`;
    el.preserve.checked = c.preserveColors;
    el.replaceFill.checked = c.replaceFill;
    el.advanced.hidden = !c.advancedOpen;
    el.advancedToggle.setAttribute('aria-expanded', String(c.advancedOpen));
    for (const input of el.advanced.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-adv]')) {
      const v = c.advanced[input.dataset.adv as keyof Controls['advanced']];
      input.value = v === null ? '' : String(v);
    }
  }

  private changed(render = true): void {
    if (render) this.render();
    if (this.markInvalid()) this.onValid();
    clearTimeout(this.saveTimer);
    // a preset's settings are not the designer's own defaults: those are saved when they leave the preset
    const own = this.own ?? this.controls;
    this.saveTimer = setTimeout(() => this.save(own), 250);
  }

  /** Marks the advanced fields the run would refuse (aria-invalid); true when none is. */
  private markInvalid(): boolean {
    const checked = this.allParams();
    const bad = new Set(checked.ok ? [] : checked.fields);
    for (const input of this.el.advanced.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-adv]')) {
      if (bad.has(input.dataset.adv ?? '')) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
    if (bad.size && !this.controls.advancedOpen) {
      this.controls.advancedOpen = true;
      this.render();
    }
    return checked.ok;
  }

  /** The advanced field's label as the panel shows it (for validation messages). */
  private fieldLabel(key: string): string {
    return this.el.advanced.querySelector(`[data-adv="${key}"]`)?.closest('label')?.querySelector('span')?.textContent ?? fallbackLabel(key);
  }
}
