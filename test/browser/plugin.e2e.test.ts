/**
 * Browser end-to-end test of the Figma plugin: the BUILT plugin in the harness page (fake Figma API,
 * UI in a null-origin iframe) against a REAL companion on 127.0.0.1 (small VGG-shaped model, cpu
 * backend). Covers offline and wrong-token states, selection with a skipped layer, a style file,
 * Stylize with live progress, the result on a new layer above the untouched original, Revert, a
 * batch with a frame whose children stay as they are, Cancel, and team presets: save, rename, delete
 * with confirmation and the conflict when another designer changed a preset first (412).
 * Screenshots of each state, light and dark, go to test/artifacts/plugin/.
 *
 * Needs Debian's Chromium at /usr/bin/chromium: skipped (with a message) when it is missing, and
 * FAILS instead when ATELIER_REQUIRE_BROWSER=1 (CI).
 */
import { createServer } from 'node:http';
import sharp from 'sharp';
import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultName } from '../../plugin/src/logic/resultLayer.js';
import { COMPANION_INSTALL_COMMAND } from '../../shared/defaults.js';
import { HAVE_CHROMIUM, TOKEN, closedPort, requireBrowser, startSession, writeStyleImage, type Companion, type Session } from './session.js';

requireBrowser('plugin e2e');

describe.skipIf(!HAVE_CHROMIUM)('plugin e2e: harness + real companion', () => {
  let session: Session;
  let companion: Companion;
  let page: Page;
  let ui: FrameLocator;
  let stylePath: string;
  let offlineUrl: string;
  /** The companion by name: the build allows it (as --team-server), like a designer's own port would be. */
  let companionUrl: string;
  const shot = (name: string, full = false): Promise<void> => session.shot(name, full);
  const connState = () => ui.getByTestId('conn-pill').getAttribute('data-state');
  const h = <T>(fn: string): Promise<T> => page.evaluate(fn) as Promise<T>;

  beforeAll(async () => {
    offlineUrl = `http://localhost:${await closedPort()}`;
    session = await startSession([offlineUrl]);
    ({ companion, companionUrl, page, ui } = session);
    stylePath = await writeStyleImage();
  });

  afterAll(async () => {
    await session?.close();
  });

  it('shows the offline state with the install command, retries, and connects by itself when a companion starts', async () => {
    await page.goto(`${session.harness.url}?fresh&url=${encodeURIComponent(offlineUrl)}`);
    await page.waitForFunction('window.harness && window.harness.ready === true');
    await expect.poll(connState, { timeout: 15_000 }).toBe('offline');
    await expect.poll(() => ui.getByTestId('conn-message').textContent()).toBe('Companion not running');
    // the exact command that installs and starts it, with a copy button
    expect(await ui.getByTestId('install-command').textContent()).toBe(COMPANION_INSTALL_COMMAND);
    expect(await ui.getByTestId('copy-install').isVisible()).toBe(true);
    expect(await ui.getByTestId('local-network-hint').textContent()).toMatch(/browser/);
    expect(await ui.getByTestId('stylize').isDisabled()).toBe(true);
    await shot('01-offline');
    await ui.getByTestId('conn-retry').click();
    await expect.poll(connState, { timeout: 15_000 }).toBe('offline');
    // something starts answering there: the plugin notices by itself (no Retry), and asks for the token
    const port = Number(new URL(offlineUrl).port);
    const starting = createServer((req, res) => {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Allow-Headers', 'authorization');
      if (req.method === 'OPTIONS') return void res.writeHead(204).end();
      if (req.url === '/v1/health') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true,"version":"0.1.0"}');
      res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":{"code":"unauthorized","message":"no"}}');
    });
    await new Promise<void>((r) => starting.listen(port, '127.0.0.1', () => r()));
    try {
      await expect.poll(connState, { timeout: 15_000 }).toBe('unauthorized');
    } finally {
      starting.closeAllConnections();
      await new Promise((r) => starting.close(r));
    }
  });

  it('shows the wrong-token state, then connects with the right token', async () => {
    await ui.getByTestId('conn-url').fill(companionUrl);
    await ui.getByTestId('conn-token').fill('atl_not_the_right_token_000000');
    await ui.getByTestId('conn-save').click();
    await expect.poll(connState, { timeout: 15_000 }).toBe('unauthorized');
    expect(await ui.getByTestId('conn-message').textContent()).toMatch(/Wrong pairing token/);
    await shot('02-wrong-token');
    await ui.getByTestId('conn-token').fill(TOKEN);
    await ui.getByTestId('conn-save').click();
    await expect.poll(connState, { timeout: 15_000 }).toBe('connected');
    expect(await ui.getByTestId('conn-panel').isHidden()).toBe(true);
    expect(await ui.locator('#conn-label').textContent()).toBe('Connected');
    // the connection is remembered in clientStorage
    expect(await h<unknown>(`window.harness.fake.storage.get('atelier.connection')`)).toEqual({ url: companionUrl, token: TOKEN });
    await shot('03-connected-empty');
  });

  it("shows each quality level's estimated time once the companion has measured its speed", async () => {
    // The companion measures its speed after it starts (GET /v1/info `speed`); the plugin asks until it knows.
    const estimate = (q: string) => ui.getByTestId(`quality-${q}`).locator('.estimate').textContent();
    await expect.poll(() => estimate('fast'), { timeout: 60_000 }).toMatch(/^~\d+(\.\d)? (s|min|h)$/);
    const seconds = async (q: string): Promise<number> => {
      const [, n, unit] = /^~([\d.]+) (s|min|h)$/.exec((await estimate(q)) ?? '')!;
      return Number(n) * (unit === 'h' ? 3600 : unit === 'min' ? 60 : 1);
    };
    expect(await seconds('balanced')).toBeGreaterThan(await seconds('fast'));
    expect(await seconds('high')).toBeGreaterThan(await seconds('balanced'));
    await shot('03b-quality-estimates');
  });

  it('lists selected layers and the skipped ones with reasons', async () => {
    await page.locator('[data-name="Hero photo"]').click();
    await page.locator('[data-name="Headline"]').click({ modifiers: ['Shift'] });
    await expect.poll(() => ui.getByTestId('layer').count()).toBe(1);
    expect(await ui.getByTestId('layer').first().textContent()).toContain('Hero photo');
    expect(await ui.getByTestId('skipped').first().textContent()).toMatch(/Headline — Text keeps its own fills/);
    await ui.getByTestId('tab-file').click();
    await ui.getByTestId('style-input').setInputFiles(stylePath);
    await expect.poll(() => ui.locator('#file-thumb').isVisible()).toBe(true);
    expect(await ui.locator('#file-label').textContent()).toContain('brush-strokes.png');
    await ui.getByTestId('advanced-toggle').click();
    await ui.locator('[data-adv="size"]').fill('48');
    await ui.locator('[data-adv="size"]').dispatchEvent('change');
    await ui.getByTestId('adv-iterations').fill('40');
    await ui.getByTestId('adv-iterations').dispatchEvent('change');
    expect(await ui.getByTestId('stylize').isEnabled()).toBe(true);
    await shot('04-ready');
  });

  it('stylizes against the real companion with live progress, on a new layer above the original; Revert removes it', async () => {
    const before = await h<unknown[]>(`window.harness.fills('Hero photo')`);
    expect(before).toMatchObject([{ type: 'IMAGE', scaleMode: 'FILL' }]);
    // record every progress value the UI shows
    await page.frame({ url: /about:srcdoc/ })!.evaluate(() => {
      const w = window as unknown as { seen: string[] };
      w.seen = [];
      new MutationObserver(() => {
        for (const li of document.querySelectorAll('[data-testid="run-item"]')) w.seen.push(li.getAttribute('data-progress') ?? '');
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await ui.getByTestId('stylize').click();
    await ui.locator('[data-testid="run-item"]:not([data-progress="0"])').first().waitFor({ timeout: 60_000 });
    await expect.poll(() => ui.getByTestId('message').getAttribute('data-kind'), { timeout: 90_000 }).toBe('success');
    expect(await ui.getByTestId('message').textContent()).toBe('Applied to 1 layer');
    const seen = await page.frame({ url: /about:srcdoc/ })!.evaluate(() => (window as unknown as { seen: string[] }).seen.map(Number));
    expect(seen.some((p) => p > 0 && p < 100)).toBe(true);

    const after = await h<Array<{ type: string; scaleMode: string; imageHash: string }>>(`window.harness.fills(${JSON.stringify(resultName('Hero photo'))})`);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ type: 'IMAGE', scaleMode: 'FILL' });
    expect(after[0].imageHash).not.toBe((before[0] as { imageHash: string }).imageHash);
    expect(await h(`window.harness.imageSize(${JSON.stringify(after[0].imageHash)})`)).toEqual({ width: 48, height: 32 });
    // the original is untouched, only hidden
    expect(await h(`window.harness.fills('Hero photo')`)).toEqual(before);
    expect(await h(`window.harness.visible('Hero photo')`)).toBe(false);
    const prov = JSON.parse(await h<string>(`window.harness.sharedPluginData(${JSON.stringify(resultName('Hero photo'))}, 'atelier', 'provenance')`));
    expect(prov).toMatchObject({ v: 1, style: { kind: 'file', name: 'brush-strokes.png' }, params: { size: 48, iterations: 40 } });
    expect(companion.handle.queue.get(prov.jobId)?.state).toBe('succeeded');
    expect(await page.getByTestId('toast').last().textContent()).toBe('Atelier: stylized 1 layer');
    expect(await ui.getByTestId('layer').first().textContent()).toContain('Stylized');
    await shot('06-applied');
    await shot('06-applied-canvas', true);
    // before/after
    await ui.getByTestId('compare').click();
    await expect.poll(() => h(`window.harness.visible('Hero photo')`)).toBe(true);
    expect(await h(`window.harness.visible(${JSON.stringify(resultName('Hero photo'))})`)).toBe(false);
    await expect.poll(() => ui.getByTestId('compare').textContent()).toBe('Show result');
    await shot('06b-showing-original', true);
    await ui.getByTestId('compare').click();
    await expect.poll(() => h(`window.harness.visible('Hero photo')`)).toBe(false);

    await ui.getByTestId('revert').click();
    await expect.poll(() => ui.getByTestId('message').textContent()).toBe('Reverted 1 layer to the original');
    expect(await h(`window.harness.fills('Hero photo')`)).toEqual(before);
    expect(await h(`window.harness.visible('Hero photo')`)).toBe(true);
    expect(await h(`window.harness.layerNames()`)).not.toContain(resultName('Hero photo'));
    expect(await h(`window.harness.pluginData('Hero photo', 'atelier.link')`)).toBe('');
    await shot('07-reverted');
  });

  it('stylizes a batch (a frame with children + an ellipse) without touching the frame\'s children; Revert removes the results', async () => {
    await page.locator('[data-name="Profile card"]').click();
    await page.locator('[data-name="Sun badge"]').click({ modifiers: ['Shift'] });
    await expect.poll(() => ui.getByTestId('layer').count()).toBe(2);
    await ui.getByTestId('adv-iterations').fill('4');
    await ui.getByTestId('adv-iterations').dispatchEvent('change');
    expect(await ui.getByTestId('stylize').textContent()).toBe('Stylize 2 layers');
    await ui.getByTestId('stylize').click();
    await expect.poll(() => ui.getByTestId('message').textContent(), { timeout: 90_000 }).toBe('Applied to 2 layers');
    expect(await h(`window.harness.fills(${JSON.stringify(resultName('Profile card'))})[0].type`)).toBe('IMAGE');
    expect(await h(`window.harness.fills(${JSON.stringify(resultName('Sun badge'))})[0].type`)).toBe('IMAGE');
    expect(await h(`window.harness.fills('Sun badge')[0].type`)).toBe('SOLID');
    for (const child of ['Avatar', 'Name bar', 'Role bar', 'Button']) expect(await h(`window.harness.visible(${JSON.stringify(child)})`)).toBe(true);
    await shot('08-batch-applied', true);
    await ui.getByTestId('revert').click();
    await expect.poll(() => ui.getByTestId('message').textContent()).toBe('Reverted 2 layers to the original');
    for (const child of ['Avatar', 'Name bar', 'Role bar', 'Button']) expect(await h(`window.harness.visible(${JSON.stringify(child)})`)).toBe(true);
    expect(await h(`window.harness.layerNames()`)).not.toContain(resultName('Sun badge'));
    expect(await h(`window.harness.visible('Profile card')`)).toBe(true);
  });

  it('saves the style and settings as a team preset (409 on a taken name), lists it with a thumbnail, and stylizes with it', async () => {
    await page.locator('[data-name="Hero photo"]').click();
    await expect.poll(() => ui.getByTestId('layer').count()).toBe(1);
    await ui.getByTestId('tab-file').click();
    await ui.getByTestId('save-preset-toggle').click();
    await ui.getByTestId('preset-name').fill('Brush strokes');
    await ui.getByTestId('preset-save-btn').click();
    await expect.poll(() => ui.getByTestId('preset-save-status').textContent(), { timeout: 30_000 }).toBe('Saved “Brush strokes” for your team');
    await ui.getByTestId('preset-name').fill('brush strokes');
    await ui.getByTestId('preset-save-btn').click();
    await expect.poll(() => ui.getByTestId('preset-save-status').textContent(), { timeout: 30_000 }).toMatch(/already exists — pick another name/);
    expect(await ui.getByTestId('preset-save-status').getAttribute('data-kind')).toBe('error');
    await ui.getByTestId('save-preset-toggle').click();

    await ui.getByTestId('tab-preset').click();
    await expect.poll(() => ui.getByTestId('preset').count(), { timeout: 15_000 }).toBe(1);
    await ui.locator('[data-testid="preset"] img').waitFor({ state: 'visible', timeout: 15_000 });
    expect(await ui.getByTestId('stylize').isDisabled()).toBe(true);
    await ui.getByTestId('preset').click();
    expect(await ui.getByTestId('stylize').isEnabled()).toBe(true);
    await shot('10-team-preset');
    await ui.getByTestId('stylize').click();
    await expect.poll(() => ui.getByTestId('message').textContent(), { timeout: 90_000 }).toBe('Applied to 1 layer');
    const prov = JSON.parse(await h<string>(`window.harness.sharedPluginData(${JSON.stringify(resultName('Hero photo'))}, 'atelier', 'provenance')`));
    expect(prov.style).toMatchObject({ kind: 'preset', name: 'Brush strokes' });
    await ui.getByTestId('revert').click();
    await expect.poll(() => ui.getByTestId('message').textContent()).toBe('Reverted 1 layer to the original');
    await ui.getByTestId('tab-file').click();
  });

  it('uses an image layer of the selection marked as the style', async () => {
    await page.locator('[data-name="Sun badge"]').click();
    await page.locator('[data-name="Starry swirls"]').click({ modifiers: ['Shift'] });
    await expect.poll(() => ui.getByTestId('layer').count()).toBe(2);
    await ui.locator('[data-testid="layer"]', { hasText: 'Starry swirls' }).getByTestId('mark-style').click();
    await expect.poll(() => ui.getByTestId('style-layer-row').count()).toBe(1);
    expect(await ui.getByTestId('layer').count()).toBe(1);
    expect(await ui.getByTestId('tab-layer').getAttribute('aria-selected')).toBe('true');
    expect(await ui.getByTestId('style-layer').textContent()).toContain('Starry swirls');
    await ui.getByTestId('style-layer-thumb').waitFor({ state: 'visible' });
    await shot('11-style-layer');
    await ui.getByTestId('stylize').click();
    await expect.poll(() => ui.getByTestId('message').textContent(), { timeout: 90_000 }).toBe('Applied to 1 layer');
    const prov = JSON.parse(await h<string>(`window.harness.sharedPluginData(${JSON.stringify(resultName('Sun badge'))}, 'atelier', 'provenance')`));
    expect(prov.style).toMatchObject({ kind: 'layer', name: 'Starry swirls' });
    expect(await h(`window.harness.pluginData('Starry swirls', 'atelier.link')`)).toBe('');
    await ui.getByTestId('revert').click();
    await expect.poll(() => ui.getByTestId('message').textContent()).toBe('Reverted 1 layer to the original');
    await ui.getByTestId('tab-file').click();
  });

  it('Cancel cancels the companion job and leaves the layer untouched', async () => {
    await page.locator('[data-name="Sun badge"]').click();
    await expect.poll(() => ui.getByTestId('layer').count()).toBe(1);
    const before = await h<unknown[]>(`window.harness.fills('Sun badge')`);
    await ui.locator('[data-adv="size"]').fill('32');
    await ui.locator('[data-adv="size"]').dispatchEvent('change');
    await ui.getByTestId('adv-iterations').fill('5000');
    await ui.getByTestId('adv-iterations').dispatchEvent('change');
    await ui.getByTestId('stylize').click();
    await ui.locator('[data-testid="run-item"]:not([data-progress="0"])').first().waitFor({ timeout: 60_000 });
    await ui.getByTestId('run-preview').waitFor({ state: 'visible', timeout: 60_000 });
    expect(await ui.getByTestId('run-eta').textContent()).toMatch(/left|almost done/);
    await shot('05-progress');
    const running = companion.handle.queue.running;
    expect(running).not.toBeNull();
    await ui.getByTestId('cancel').click();
    await expect.poll(() => ui.getByTestId('message').textContent(), { timeout: 30_000 }).toBe('Canceled — nothing was changed');
    expect(running!.state).toBe('canceled');
    expect(await h(`window.harness.fills('Sun badge')`)).toEqual(before);
    expect(await h(`window.harness.layerNames()`)).not.toContain(resultName('Sun badge'));
    await shot('09-canceled');
  });

  it('manages team presets: rename, 409 on a taken name, conflict when a teammate changed it first, delete with confirmation, empty state', async () => {
    /** Another designer of the same team, straight through the API. */
    const api = async (method: string, p: string, init: { json?: unknown; form?: FormData; version?: number } = {}): Promise<{ status: number; body: any }> => {
      const headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` };
      if (init.json !== undefined) headers['Content-Type'] = 'application/json';
      if (init.version !== undefined) headers['If-Match'] = `"${init.version}"`;
      const res = await fetch(`${companion.url}/v1/presets${p}`, { method, headers, body: init.form ?? (init.json === undefined ? undefined : JSON.stringify(init.json)) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const createByApi = async (name: string, seed: number): Promise<{ id: string; version: number }> => {
      const form = new FormData();
      form.set('preset', JSON.stringify({ name, params: { iterations: 10 } }));
      const png = await sharp({ create: { width: 24, height: 24, channels: 3, background: { r: 40 + seed * 60, g: 90, b: 200 - seed * 50 } } }).png().toBuffer();
      form.append('style', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'style.png');
      const r = await api('POST', '', { form });
      expect(r.status).toBe(201);
      return r.body;
    };
    const names = () => ui.locator('[data-testid="preset"] span').allTextContents();
    const status = () => ui.getByTestId('preset-status').textContent();
    const byName = (name: string) => ui.locator('[data-testid="preset"]', { hasText: new RegExp(`^${name.replace(/[()]/g, '\\$&')}$`) });

    const ink = await createByApi('Ink wash', 1);
    // opening the tab reloads the list: the teammate's preset appears
    await ui.getByTestId('tab-preset').click();
    await expect.poll(names, { timeout: 15_000 }).toEqual(['Brush strokes', 'Ink wash']);
    expect(await ui.getByTestId('presets-count').textContent()).toBe('2 team presets');
    await expect.poll(() => ui.locator('[data-testid="preset"] img').count(), { timeout: 15_000 }).toBe(2);

    // keyboard: arrows move the selection through the grid
    await byName('Brush strokes').click();
    await byName('Brush strokes').press('ArrowRight');
    expect(await byName('Ink wash').getAttribute('aria-checked')).toBe('true');
    await byName('Ink wash').press('ArrowLeft');
    expect(await byName('Brush strokes').getAttribute('aria-checked')).toBe('true');
    expect(await ui.getByTestId('preset-selected-name').textContent()).toBe('Brush strokes');

    // rename (F2 opens the field with the name selected; Enter saves)
    await byName('Brush strokes').press('F2');
    const input = ui.getByTestId('preset-rename-input');
    await expect.poll(() => input.inputValue()).toBe('Brush strokes');
    await input.fill('Bold brush');
    await shot('12-preset-rename');
    await input.press('Enter');
    await expect.poll(status, { timeout: 15_000 }).toBe('Renamed to “Bold brush”');
    await expect.poll(names).toEqual(['Bold brush', 'Ink wash']);
    const brush = (await api('GET', '')).body.presets.find((p: { name: string }) => p.name === 'Bold brush');
    expect(brush.version).toBe(2);
    expect(await ui.getByTestId('preset-rename-input').count()).toBe(0);
    await shot('13-preset-renamed');

    // 409: a teammate took the name meanwhile (the UI has not seen it); the field stays open
    await createByApi('Sumi', 2);
    await ui.getByTestId('preset-rename').click();
    await input.fill('sumi');
    await ui.getByTestId('preset-rename-save').click();
    await expect.poll(status, { timeout: 15_000 }).toBe('A preset named “sumi” already exists — pick another name');
    expect(await ui.getByTestId('preset-status').getAttribute('data-kind')).toBe('error');
    await expect.poll(names).toEqual(['Bold brush', 'Ink wash', 'Sumi']);
    expect(await input.inputValue()).toBe('sumi');
    await input.press('Escape');
    expect(await input.count()).toBe(0);
    expect((await api('GET', `/${brush.id}`)).body.name).toBe('Bold brush');

    // conflict: another designer renames "Ink wash" first; our rename (from the stale version) → 412
    await byName('Ink wash').click();
    const theirs = await api('PATCH', `/${ink.id}`, { json: { name: 'Ink wash (B)' }, version: ink.version });
    expect(theirs.status).toBe(200);
    expect(await names()).toContain('Ink wash'); // the UI has not reloaded yet
    await ui.getByTestId('preset-rename').click();
    await input.fill('Ink wash (A)');
    await input.press('Enter');
    await expect.poll(status, { timeout: 15_000 }).toBe('Someone else changed this preset — reloaded the latest version');
    expect(await ui.getByTestId('preset-status').getAttribute('data-kind')).toBe('error');
    await expect.poll(names).toEqual(['Bold brush', 'Ink wash (B)', 'Sumi']);
    expect(await byName('Ink wash (B)').getAttribute('aria-checked')).toBe('true');
    expect(await ui.getByTestId('preset-selected-name').textContent()).toBe('Ink wash (B)');
    expect((await api('GET', `/${ink.id}`)).body).toMatchObject({ name: 'Ink wash (B)', version: ink.version + 1 });
    await shot('14-preset-conflict');
    // retrying now uses the version just loaded, and works
    await ui.getByTestId('preset-rename').click();
    await input.fill('Ink wash (A)');
    await input.press('Enter');
    await expect.poll(status, { timeout: 15_000 }).toBe('Renamed to “Ink wash (A)”');
    expect((await api('GET', `/${ink.id}`)).body).toMatchObject({ name: 'Ink wash (A)', version: ink.version + 2 });

    // delete asks first; "Keep it" keeps it
    await byName('Sumi').click();
    await ui.getByTestId('preset-delete').click();
    await ui.getByTestId('preset-delete-dialog').waitFor();
    expect(await ui.getByTestId('preset-delete-dialog').textContent()).toMatch(/Delete “Sumi”\? It disappears for everyone on your team/);
    await shot('15-preset-delete-confirm');
    await ui.getByTestId('preset-delete-cancel').click();
    expect(await ui.getByTestId('preset-delete-dialog').count()).toBe(0);
    expect(await names()).toContain('Sumi');
    // the Delete key opens the same confirmation; confirming deletes it for the team
    await byName('Sumi').press('Delete');
    await ui.getByTestId('preset-delete-confirm').click();
    await expect.poll(status, { timeout: 15_000 }).toBe('Deleted “Sumi”');
    await expect.poll(names).toEqual(['Bold brush', 'Ink wash (A)']);
    expect((await api('GET', '')).body.presets.map((p: { name: string }) => p.name)).toEqual(['Bold brush', 'Ink wash (A)']);
    expect(await ui.getByTestId('stylize').isDisabled()).toBe(true); // no preset selected any more
    await shot('16-preset-deleted');

    // a delete from a stale version is a conflict too: nothing is deleted, the list reloads
    await byName('Bold brush').click();
    expect((await api('PATCH', `/${brush.id}`, { json: { params: { iterations: 30 } }, version: brush.version })).status).toBe(200);
    await ui.getByTestId('preset-delete').click();
    await ui.getByTestId('preset-delete-confirm').click();
    await expect.poll(status, { timeout: 15_000 }).toBe('Someone else changed this preset — reloaded the latest version');
    await expect.poll(() => ui.locator('[data-testid="preset-actions"] .tiny').getAttribute('data-version')).toBe('3');
    expect((await api('GET', `/${brush.id}`)).status).toBe(200);

    // empty state after the team removed everything
    for (const p of (await api('GET', '')).body.presets as Array<{ id: string; version: number }>) expect((await api('DELETE', `/${p.id}`, { version: p.version })).status).toBe(204);
    await ui.getByTestId('presets-refresh').click();
    await expect.poll(() => ui.getByTestId('presets-empty').textContent(), { timeout: 15_000 }).toMatch(/^No team presets yet/);
    expect(await ui.getByTestId('preset-actions').isHidden()).toBe(true);
    expect(await ui.getByTestId('presets-count').textContent()).toBe(''); // the empty state says it
    await shot('17-presets-empty');
    await ui.getByTestId('tab-file').click();
  });
});
