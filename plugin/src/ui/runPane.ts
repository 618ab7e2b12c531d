/**
 * The run: the footer's buttons (Stylize, Cancel, Show original, Revert, ★) and the progress panel
 * (per-layer bars, ETA, live preview). Keyboard focus follows the run (Cancel while it runs,
 * Stylize after), phases and outcomes are announced, and a job still running when the plugin
 * window goes away is canceled with a keepalive request.
 */
import type { JobProgress } from '../../../shared/protocol.js';
import type { SelectionSummary } from '../logic/messages.js';
import { batchFractions, formatEta, runEta } from '../logic/progress.js';
import { planSchedule, type ScalePlan } from '../../../shared/schedule.js';
import { controlsToParams, planRunSizes } from '../logic/quality.js';
import { DEFAULT_ITERATIONS } from '../../../shared/defaults.js';
import type { CompanionError } from './companionClient.js';
import type { ConnectionPane } from './connectionPane.js';
import type { ControlsPane } from './controlsPane.js';
import { byId, h, replaceChildren } from './dom.js';
import type { MainLink } from './mainLink.js';
import type { MessageBar } from './messageBar.js';
import { runStylize } from './runJob.js';
import type { StylePane } from './stylePane.js';

/** What the run needs from the rest of the UI. */
export interface RunDeps {
  main: MainLink;
  bar: MessageBar;
  connection: ConnectionPane;
  style: StylePane;
  controls: ControlsPane;
  selection(): SelectionSummary;
}

interface Running {
  abort: AbortController;
  layers: { nodeId: string; name: string }[];
  progress: JobProgress | null;
  /** The companion job, once created (canceled with a keepalive DELETE if the window goes away). */
  job: { cancelUrl: string; token: string } | null;
  /** The schedule every item runs (its scales weigh the bar), the estimate the quality button showed, and when it started. */
  plan: ScalePlan[];
  estimate: number | null;
  startedAt: number;
  ticker: ReturnType<typeof setInterval>;
}

const plural = (n: number): string => `${n} layer${n === 1 ? '' : 's'}`;

export class RunPane {
  private running: Running | null = null;
  private readonly el = {
    run: byId('run'),
    title: byId('run-title'),
    eta: byId('run-eta'),
    preview: byId<HTMLImageElement>('run-preview'),
    items: byId('run-items'),
    stylize: byId<HTMLButtonElement>('stylize'),
    cancel: byId<HTMLButtonElement>('cancel'),
    revert: byId<HTMLButtonElement>('revert'),
    compare: byId<HTMLButtonElement>('compare'),
    more: byId<HTMLButtonElement>('more'),
  };

  constructor(private readonly deps: RunDeps) {
    const el = this.el;
    el.stylize.addEventListener('click', () => void this.stylize());
    el.cancel.addEventListener('click', () => {
      if (!this.running) return;
      el.title.textContent = 'Canceling…';
      this.running.abort.abort();
    });
    el.compare.addEventListener('click', () => {
      deps.main.channel.emit('showOriginal', { nodeIds: this.stylizedIds(), show: el.compare.getAttribute('aria-pressed') !== 'true' });
    });
    el.revert.addEventListener('click', () => void this.revert());
    // Closing the plugin window ends this page mid-run: a keepalive request outlives it (main cancels too).
    window.addEventListener('pagehide', () => {
      const job = this.running?.job;
      if (job) void fetch(job.cancelUrl, { method: 'DELETE', keepalive: true, headers: { Authorization: `Bearer ${job.token}` } }).catch(() => undefined);
    });
  }

  get isRunning(): boolean {
    return this.running !== null;
  }

  private stylizedIds(): string[] {
    return this.deps.selection().targets.filter((t) => t.stylized).map((t) => t.id);
  }

  /** The footer's buttons for the current selection, style and connection. */
  renderFooter(): void {
    const { el } = this;
    const running = this.running !== null;
    const targets = this.deps.selection().targets;
    const n = targets.length;
    el.stylize.hidden = running;
    el.cancel.hidden = !running;
    el.stylize.textContent = n > 1 ? `Stylize ${n} layers` : 'Stylize';
    const style = this.deps.style.current();
    const why = this.deps.connection.state.kind !== 'connected' ? 'Connect to the companion first' : !n ? 'Select at least one layer' : typeof style === 'string' ? style : '';
    el.stylize.disabled = Boolean(why);
    el.stylize.title = why;
    const stylized = targets.filter((t) => t.stylized);
    el.revert.hidden = running || !stylized.length;
    el.revert.textContent = stylized.length > 1 ? `Revert ${stylized.length}` : 'Revert';
    // before/after: only result layers can be toggled (a replaced fill has no separate original)
    const layered = stylized.filter((t) => t.hasResultLayer);
    const showingOriginal = layered.some((t) => t.showingOriginal);
    el.compare.hidden = running || !layered.length;
    el.compare.textContent = showingOriginal ? 'Show result' : 'Show original';
    el.compare.setAttribute('aria-pressed', String(showingOriginal));
    el.more.disabled = running;
  }

  private renderRun(): void {
    const r = this.running;
    this.el.run.hidden = !r;
    if (!r) return;
    const fractions = batchFractions(r.layers.length, r.progress, r.plan);
    replaceChildren(
      this.el.items,
      ...r.layers.map((l, i) => {
        const pct = Math.round(fractions[i] * 100);
        const bar = h('i', {});
        bar.style.width = `${pct}%`;
        return h('li', { class: pct >= 100 ? 'done' : '', 'data-testid': 'run-item', 'data-progress': String(pct) }, h('span', { class: 'layer-name' }, l.name), h('span', { class: 'muted' }, `${pct}%`), h('div', { class: 'bar' }, bar));
      }),
    );
    const done = fractions.reduce((a, f) => a + f, 0) / Math.max(1, fractions.length);
    const eta = runEta(r.estimate, (Date.now() - r.startedAt) / 1000, done, r.progress?.eta ?? null);
    this.el.eta.textContent = eta === null ? '' : formatEta(eta);
  }

  private async stylize(): Promise<void> {
    const { deps, el } = this;
    const conn = deps.connection.state;
    const style = deps.style.current();
    if (typeof style === 'string' || conn.kind !== 'connected') return;
    const checked = deps.controls.runParams();
    if (!checked.ok) {
      deps.bar.say(`Check the advanced settings: ${checked.message}`, 'error', 'settings');
      return;
    }
    const targets = deps.selection().targets;
    const rule = deps.controls.sizeRule();
    const sizes = planRunSizes(targets, rule.cap, rule.exact);
    const params = { ...checked.params, size: sizes.size };
    const abort = new AbortController();
    // a preset's run sends only what differs from it: the schedule comes from the controls as shown
    const shown = controlsToParams(deps.controls.controls);
    const plan = planSchedule(sizes.size, shown.scales ?? 'auto', shown.iterations ?? DEFAULT_ITERATIONS);
    const ticker = setInterval(() => this.renderRun(), 1000);
    const running: Running = { abort, layers: targets.map((t) => ({ nodeId: t.id, name: t.name })), progress: null, job: null, plan, estimate: deps.controls.estimate(), startedAt: Date.now(), ticker };
    this.running = running;
    el.preview.hidden = true;
    el.title.textContent = 'Starting…';
    deps.bar.say('');
    this.renderRun();
    this.renderFooter();
    el.cancel.focus(); // Stylize is hidden while running: keep keyboard focus on the control that replaces it
    const client = deps.connection.client();
    const { channel, call } = deps.main;
    try {
      const outcome = await runStylize(
        client,
        {
          exportLayers: (layers, styleLayer, replaceFill) => call('exportLayers', { layers, style: styleLayer, replaceFill }, 'exported'),
          apply: (items, provenance) => call('apply', { items, provenance }, 'applied'),
          jobStarted: (jobId) => {
            running.job = { cancelUrl: client.jobUrl(jobId), token: client.token };
            channel.emit('jobStarted', running.job);
          },
          jobEnded: () => {
            running.job = null;
            channel.emit('jobEnded', {});
          },
        },
        { layers: sizes.layers, style, styleSize: params.size, params, companionVersion: conn.info.version, replaceFill: deps.controls.controls.replaceFill },
        {
          phase: (text) => {
            el.title.textContent = text;
            deps.bar.announce(text);
          },
          started: (_jobId, layers) => {
            running.layers = layers;
            this.renderRun();
          },
          queued: (position) => (el.title.textContent = position > 0 ? `Queued — ${position} job${position === 1 ? '' : 's'} ahead` : 'Starting…'),
          progress: (p, preview) => {
            running.progress = p;
            el.title.textContent = p.items > 1 ? `Stylizing ${p.item} of ${p.items}…` : 'Stylizing…';
            if (preview) {
              el.preview.src = `data:image/png;base64,${preview}`;
              el.preview.hidden = false;
            }
            this.renderRun();
          },
        },
        abort.signal,
      );
      const n = outcome.applied.length;
      const failed = outcome.failed.map((f) => `${f.name}: ${f.reason}`).join('; ');
      if (n) deps.bar.say(`Applied to ${plural(n)}${failed ? ` — not applied: ${failed}` : ''}`, failed ? 'error' : 'success');
      else deps.bar.say(`Nothing was applied — ${failed || 'no results'}`, 'error');
    } catch (err) {
      const e = err as CompanionError;
      if (e.code === 'canceled') deps.bar.say(e.message, 'info');
      else {
        deps.bar.say(e.message || String(err), 'error');
        if (e.code === 'offline' || e.status === 401) void deps.connection.check();
      }
    } finally {
      clearInterval(running.ticker);
      this.running = null;
      this.renderRun();
      this.renderFooter();
      // the Cancel button that had focus is gone: give it back to the main action
      (el.stylize.disabled ? el.revert : el.stylize).focus();
    }
  }

  private async revert(): Promise<void> {
    const { bar, main } = this.deps;
    try {
      const r = await main.call('revert', { nodeIds: this.stylizedIds() }, 'reverted');
      if (r.failed.length) bar.say(`Reverted ${r.reverted.length}; not reverted: ${r.failed.map((f) => `${f.name}: ${f.reason}`).join('; ')}`, 'error');
      else bar.say(`Reverted ${plural(r.reverted.length)} to the original`, 'success');
    } catch (err) {
      bar.say((err as Error).message, 'error');
    }
  }
}
