/**
 * The connection pill and panel: which companion (URL checked against the built manifest's
 * allow-list first), the pairing token, and the states offline / busy / blocked / wrong token /
 * connected. Offline shows the exact install command with a Copy button and watches for the
 * companion to start, connecting by itself when it does.
 */
import { COMPANION_INSTALL_COMMAND } from '../../../shared/defaults.js';
import { refusedOriginReason } from '../logic/networkAccess.js';
import { DEFAULT_CONNECTION, normalizeCompanionUrl, type Connection } from '../logic/settings.js';
import { CompanionClient, preparingMessage, type CompanionError, type ConnectionState } from './companionClient.js';
import { byId, h, replaceChildren, withCode } from './dom.js';
import type { MessageBar } from './messageBar.js';
import type { Info } from '../../../shared/protocol.js';

/** The built manifest's allowedDomains (injected by scripts/build.mjs; absent when not built by it). */
declare const __ATELIER_ALLOWED_DOMAINS__: string[] | undefined;
const ALLOWED_DOMAINS: readonly string[] | null = typeof __ATELIER_ALLOWED_DOMAINS__ === 'undefined' ? null : __ATELIER_ALLOWED_DOMAINS__;

/** Backends that run on a graphics card (the others run on the processor); named in words, not by runtime. */
const GPU_BACKENDS: ReadonlySet<string> = new Set(['onnx-cuda', 'onnx-webgpu', 'webgpu', 'cuda']);

/** How often a connected pane checks that the companion is still running. */
const ALIVE_CHECK_MS = 3000;

const PILL_LABELS: Record<string, string> = { preparing: 'Getting ready…', checking: 'Checking…', offline: 'Offline', unauthorized: 'Token needed', error: 'Not reachable', blocked: 'Blocked by Figma', busy: 'Not answering' };

/** What the pane needs from the rest of the UI. */
export interface ConnectionDeps {
  bar: MessageBar;
  /** Remember the connection (clientStorage, via main). */
  save(connection: Connection): void;
  /** The connection was changed by the designer (forget what belonged to the old one). */
  onReset(): void;
  /** The state changed. */
  onChange(state: ConnectionState | { kind: 'checking' }): void;
  /** The companion's measured speed became known (it measures it just after it starts); null when not measured. */
  onSpeed(speed: Info['speed']): void;
}

export class ConnectionPane {
  connection: Connection = { ...DEFAULT_CONNECTION };
  state: ConnectionState | { kind: 'checking' } = { kind: 'checking' };
  private seq = 0;
  private pinned = false;
  private watchTimer: ReturnType<typeof setTimeout> | undefined;
  private aliveTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly el = {
    pill: byId<HTMLButtonElement>('conn-pill'),
    pillLabel: byId('conn-label'),
    panel: byId('conn-panel'),
    message: byId('conn-message'),
    hint: byId('conn-hint'),
    url: byId<HTMLInputElement>('conn-url'),
    token: byId<HTMLInputElement>('conn-token'),
    retry: byId<HTMLButtonElement>('conn-retry'),
    save: byId<HTMLButtonElement>('conn-save'),
  };

  constructor(private readonly deps: ConnectionDeps) {
    const el = this.el;
    el.pill.addEventListener('click', () => {
      this.pinned = el.panel.hidden;
      el.panel.hidden = !el.panel.hidden;
    });
    el.retry.addEventListener('click', () => void this.check());
    el.save.addEventListener('click', () => this.saveFromFields());
    el.token.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') el.save.click();
    });
  }

  /** A client for the current connection. */
  client(): CompanionClient {
    return new CompanionClient(this.connection.url, this.connection.token);
  }

  /** Takes the stored connection (at startup) and checks it. */
  start(connection: Connection): void {
    this.connection = connection;
    this.el.url.value = connection.url;
    this.el.token.value = connection.token;
    void this.check();
  }

  /** Checks the connection: refused by the allow-list, or health + info at the companion. */
  async check(): Promise<void> {
    const seq = ++this.seq;
    this.state = { kind: 'checking' };
    this.render();
    const refused = ALLOWED_DOMAINS && refusedOriginReason(this.connection.url, ALLOWED_DOMAINS);
    const result: ConnectionState = refused ? { kind: 'blocked', message: refused } : await this.client().checkConnection();
    if (seq !== this.seq) return;
    this.state = result;
    this.render();
    if (result.kind === 'connected') this.deps.bar.clearStaleError();
    this.deps.onChange(result);
    this.deps.onSpeed(result.kind === 'connected' ? result.info.speed : null);
    if (result.kind === 'connected' && !result.info.speed) void this.awaitSpeed(seq);
  }

  /** Asks the companion again until it has measured its speed (for the quality estimates). */
  private async awaitSpeed(seq: number): Promise<void> {
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      if (seq !== this.seq || this.state.kind !== 'connected') return;
      try {
        const info = await this.client().info();
        if (seq !== this.seq || this.state.kind !== 'connected') return;
        this.state = { kind: 'connected', info };
        if (info.speed) return this.deps.onSpeed(info.speed);
      } catch {
        return; // the next connection check says what is wrong
      }
    }
  }

  private saveFromFields(): void {
    const url = normalizeCompanionUrl(this.el.url.value);
    if (!url) {
      this.deps.bar.say(`The companion URL must look like ${DEFAULT_CONNECTION.url}`, 'error');
      return;
    }
    this.connection = { url, token: this.el.token.value.trim() };
    this.deps.save(this.connection);
    this.pinned = false;
    this.deps.bar.say('');
    this.deps.onReset();
    void this.check();
  }

  private render(): void {
    const { el, state: c } = this;
    el.pill.className = `pill pill-${c.kind}`;
    el.pill.dataset.state = c.kind;
    el.panel.dataset.state = c.kind;
    // a token was given and refused: say so (a missing one is "Token needed")
    el.pillLabel.textContent = c.kind === 'connected' ? 'Connected' : c.kind === 'unauthorized' && this.connection.token ? 'Wrong token' : PILL_LABELS[c.kind];
    el.pill.title = c.kind === 'connected' ? `${this.connection.url} — ${c.info.device}, Atelier ${c.info.version}` : this.connection.url;
    if (c.kind === 'checking') return;
    el.panel.className = `card conn state-${c.kind}`;
    if (c.kind === 'connected') {
      if (!this.pinned) el.panel.hidden = true;
      replaceChildren(el.message, `Connected to ${this.connection.url}`);
      replaceChildren(el.hint, `Atelier ${c.info.version}, stylizing on this ${GPU_BACKENDS.has(c.info.backend) ? 'computer\'s graphics card' : 'computer\'s processor'}`);
      this.watchWhileConnected();
      return;
    }
    el.panel.hidden = false;
    replaceChildren(el.message, withCode(c.message));
    if (c.kind === 'offline') replaceChildren(el.hint, ...this.offlineHint());
    else if (c.kind === 'preparing') {
      const bar = h('progress', { max: '100', 'data-testid': 'preparing-progress' });
      if (c.percent !== null) bar.value = c.percent;
      replaceChildren(el.hint, h('div', {}, 'The companion is getting ready: it downloads the style network once, on its first start (80 MB). Atelier connects by itself when it is done.'), bar);
    } else {
      const hint =
        c.kind === 'unauthorized'
          ? 'The token is printed by `atelier serve` when it starts (`atelier token` shows it again).'
          : c.kind === 'blocked'
            ? 'Change the companion URL below.'
            : c.kind === 'busy'
              ? `${this.connection.url} answers too slowly. Atelier keeps trying.`
              : 'Check the companion URL.';
      replaceChildren(el.hint, withCode(hint));
    }
    if (c.kind === 'offline' || c.kind === 'busy' || c.kind === 'preparing') this.watchForCompanion();
    if (c.kind === 'unauthorized') el.token.focus();
  }

  /** How to start the companion: the exact command with a copy button, and the browser's permission prompt. */
  private offlineHint(): Array<Node | string> {
    const copy = h('button', { class: 'btn secondary small', type: 'button', 'data-testid': 'copy-install' }, 'Copy');
    copy.addEventListener('click', () => {
      copyText(COMPANION_INSTALL_COMMAND);
      copy.textContent = 'Copied';
      this.deps.bar.announce('Command copied');
    });
    const local = /^http:\/\/localhost[:/]/.test(`${this.connection.url}/`);
    return [
      h('div', {}, `Nothing answers at ${this.connection.url}. Install and start it in a terminal:`),
      h('div', { class: 'command' }, h('code', { 'data-testid': 'install-command' }, COMPANION_INSTALL_COMMAND), copy),
      h('div', {}, 'Atelier connects by itself as soon as it starts (its first start also downloads the style network, 80 MB, once).'),
      local ? h('div', { 'data-testid': 'local-network-hint' }, 'Using Figma in a browser? Allow it to reach apps on this device when the browser asks about the local network.') : '',
    ];
  }

  /**
   * While connected, asks the companion's health quietly every few seconds: when it has stopped,
   * the pill says so at once (not at the next Stylize) and the pane watches for it to come back.
   */
  private watchWhileConnected(): void {
    clearTimeout(this.aliveTimer);
    const seq = this.seq;
    this.aliveTimer = setTimeout(async () => {
      if (seq !== this.seq || this.state.kind !== 'connected') return;
      const up = await this.client()
        .health(AbortSignal.timeout(3000))
        .then(
          () => true,
          (err: CompanionError) => err.code === 'timeout', // busy with a long job is still there
        );
      if (seq !== this.seq || this.state.kind !== 'connected') return;
      if (up) this.watchWhileConnected();
      else void this.check();
    }, ALIVE_CHECK_MS);
  }

  /** While the companion is down or busy, asks its health quietly every 2 s and connects once it answers. */
  private watchForCompanion(): void {
    clearTimeout(this.watchTimer);
    const seq = this.seq;
    this.watchTimer = setTimeout(async () => {
      if (seq !== this.seq || (this.state.kind !== 'offline' && this.state.kind !== 'busy' && this.state.kind !== 'preparing')) return;
      const preparing = this.state.kind === 'preparing';
      const health = await this.client()
        .health(AbortSignal.timeout(1500))
        .catch(() => null);
      if (seq !== this.seq) return;
      // while it downloads, the progress is redrawn on every answer; once ready, the full check connects
      if (health && (!health.preparing || !preparing)) void this.check();
      else if (health?.preparing && this.state.kind === 'preparing') {
        this.state = { kind: 'preparing', percent: health.preparing.percent, message: preparingMessage(health.preparing.percent) };
        this.render();
      } else if (!health && preparing) void this.check(); // it stopped while getting ready
      else this.watchForCompanion();
    }, this.state.kind === 'preparing' ? 1000 : 2000);
  }
}

/** Copies text; Figma's plugin iframe may refuse the Clipboard API, so a selected textarea is the fallback. */
function copyText(text: string): void {
  const fallback = (): void => {
    const area = h('textarea', { class: 'offscreen', 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  };
  if (navigator.clipboard?.writeText) navigator.clipboard.writeText(text).catch(fallback);
  else fallback();
}
