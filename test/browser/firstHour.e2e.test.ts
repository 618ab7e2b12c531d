/**
 * A designer's first hour (issue 19), in the harness against a REAL companion: what a new designer
 * ran into, one test each — the keepalive cancel when the sandbox is gone, the pill's wrong-token
 * and companion-stopped states, estimates from the layer's planned size and the default quality,
 * settings errors that go when fixed (bad fields marked), valid ARIA on Quality, `color-scheme`,
 * type icons, the style file and quality remembered between sessions, a capped layer list, no
 * jargon, and a duplicate-name message that is not clipped. Screenshots, light and dark, go to
 * test/artifacts/plugin/ (first-hour-*).
 *
 * Needs Debian's Chromium at /usr/bin/chromium (skipped with a message otherwise; FAILS instead
 * when ATELIER_REQUIRE_BROWSER=1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_CHROMIUM, TOKEN, requireBrowser, startSession, writeStyleImage, type Session } from './session.js';

requireBrowser('plugin first hour');

describe.skipIf(!HAVE_CHROMIUM)("plugin in the harness: a designer's first hour", () => {
  let s: Session;
  let stylePath: string;

  beforeAll(async () => {
    s = await startSession();
    stylePath = await writeStyleImage();
  });
  afterAll(async () => {
    await s?.close();
  });

  const ui = () => s.ui;
  const message = () => ui().getByTestId('message').textContent();
  const pill = () => ui().getByTestId('conn-pill').getAttribute('data-state');
  const select = async (...names: string[]): Promise<void> => {
    await s.page.locator(`[data-name="${names[0]}"]`).click();
    for (const n of names.slice(1)) await s.page.locator(`[data-name="${n}"]`).click({ modifiers: ['Shift'] });
  };
  const useStyleFile = async (): Promise<void> => {
    await ui().getByTestId('tab-file').click();
    await ui().getByTestId('style-input').setInputFiles(stylePath);
    await expect.poll(() => ui().locator('#file-thumb').isVisible()).toBe(true);
  };
  const advanced = async (key: string, value: string): Promise<void> => {
    if (await ui().getByTestId('advanced').isHidden()) await ui().getByTestId('advanced-toggle').click();
    await ui().locator(`[data-adv="${key}"]`).fill(value);
    await ui().locator(`[data-adv="${key}"]`).dispatchEvent('change');
  };
  const estimates = () => ui().locator('#quality .estimate').allTextContents();

  it('cancels the running job through the UI\'s keepalive request alone, when the sandbox is gone before its own request leaves', async () => {
    await s.open();
    await select('Sun badge');
    await useStyleFile();
    await advanced('size', '32');
    await advanced('iterations', '5000');
    await ui().getByTestId('stylize').click();
    await ui().locator('[data-testid="run-item"]:not([data-progress="0"])').first().waitFor({ timeout: 60_000 });
    const job = s.companion.handle.queue.running;
    expect(job?.state).toBe('running');
    await s.h('window.harness.closePlugin(true)');
    try {
      await expect.poll(() => job?.state, { timeout: 15_000 }).toBe('canceled');
    } finally {
      if (job && job.state === 'running') await fetch(`${s.companion.url}/v1/jobs/${job.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${TOKEN}` } });
    }
  });

  it('says "Wrong token" for a refused token (not "Token needed")', async () => {
    await s.page.goto(`${s.harness.url}?fresh&url=${encodeURIComponent(s.companionUrl)}&token=atl_not_the_right_token_000000`);
    await s.page.waitForFunction('window.harness && window.harness.ready === true');
    await expect.poll(pill, { timeout: 15_000 }).toBe('unauthorized');
    expect(await ui().locator('#conn-label').textContent()).toBe('Wrong token');
    await s.shot('first-hour-wrong-token');
  });

  it('estimates each level from the layer\'s planned size, and picks the default quality to finish in about a minute', async () => {
    await s.open();
    await select('Sun badge'); // 96 px: every level plans the same 192-px output
    await expect.poll(async () => (await estimates()).every((t) => t.startsWith('~')), { timeout: 30_000 }).toBe(true);
    const [fast, balanced, high] = await estimates();
    expect(balanced).toBe(fast);
    expect(high).toBe(fast);
    // the best level under a minute, or (on a slow machine) the quickest one, said as such
    const hint = await ui().locator('#quality-hint').textContent();
    const checked = await ui().locator('#quality [aria-checked="true"] .estimate').textContent();
    if (/ s$/.test(checked ?? '')) expect(hint).toMatch(/picked to finish in about a minute/);
    else {
      expect(hint).toMatch(/picked as the quickest level on this companion/);
      expect(await ui().getByTestId('quality-fast').getAttribute('aria-checked')).toBe('true');
    }
    // Quality is a radio group: one checked, no aria-selected on plain buttons
    expect(await ui().locator('#quality').getAttribute('role')).toBe('radiogroup');
    const radios = ui().locator('#quality button');
    expect(await radios.evaluateAll((bs) => bs.map((b) => [b.getAttribute('role'), b.getAttribute('aria-selected')]))).toEqual([
      ['radio', null],
      ['radio', null],
      ['radio', null],
    ]);
    expect(await ui().locator('#quality [aria-checked="true"]').count()).toBe(1);
    await s.shot('first-hour-estimates');
  });

  it('marks a bad field, and its error goes once it is fixed (no stale error in the footer)', async () => {
    await s.open();
    await select('Sun badge');
    await useStyleFile();
    await advanced('iterations', '0');
    expect(await ui().locator('[data-adv="iterations"]').getAttribute('aria-invalid')).toBe('true');
    await ui().getByTestId('stylize').click();
    await expect.poll(message).toBe('Check the advanced settings: Iterations must be at least 1');
    await s.shot('first-hour-bad-field');
    await advanced('iterations', '3');
    expect(await ui().locator('[data-adv="iterations"]').getAttribute('aria-invalid')).toBeNull();
    await expect.poll(() => ui().getByTestId('message').isHidden()).toBe(true);
  });

  it("follows Figma's theme in native controls (color-scheme) and shows layer types as icons, not boxes", async () => {
    await s.open();
    await select('Profile card', 'Sun badge');
    const frame = s.page.frame({ url: /about:srcdoc/ })!;
    const scheme = (theme: string) =>
      frame.evaluate((t) => {
        document.documentElement.classList.remove('figma-light', 'figma-dark');
        document.documentElement.classList.add(`figma-${t}`);
        return getComputedStyle(document.documentElement).colorScheme;
      }, theme);
    expect(await scheme('dark')).toBe('dark');
    expect(await scheme('light')).toBe('light');
    const icons = await ui().locator('[data-testid="layer"] svg.layer-icon').evaluateAll((els) => els.map((e) => (e as SVGElement).dataset.icon));
    expect(icons).toEqual(['FRAME', 'ELLIPSE']);
    await s.shot('first-hour-type-icons');
  });

  it('remembers the style file and the quality between sessions', async () => {
    await s.open();
    await useStyleFile();
    await ui().getByTestId('quality-high').click();
    await s.page.waitForTimeout(600); // the controls are saved after a short pause
    await s.page.goto(`${s.harness.url}?url=${encodeURIComponent(s.companionUrl)}&token=${TOKEN}`); // no ?fresh: storage kept
    await s.page.waitForFunction('window.harness && window.harness.ready === true');
    await expect.poll(() => ui().locator('#file-thumb').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await ui().locator('#file-label').textContent()).toMatch(/^brush-strokes\.png/);
    expect(await ui().getByTestId('quality-high').getAttribute('aria-checked')).toBe('true');
    await s.shot('first-hour-remembered');
  });

  it('caps the layer list, and shows no jargon', async () => {
    await s.open();
    await s.h(`(() => {
      const f = window.harness.fake;
      const made = Array.from({ length: 60 }, (_, i) => f.addNode({ type: 'RECTANGLE', name: 'Tile ' + i, x: i * 3, width: 20, height: 20, fills: [{ type: 'SOLID', color: { r: 0.5, g: 0.6, b: 0.7 } }] }));
      f.select(...made);
    })()`);
    await expect.poll(() => ui().getByTestId('layers-more').textContent(), { timeout: 20_000 }).toBe('and 10 more layers');
    expect(await ui().getByTestId('layer').count()).toBe(50);
    expect(await ui().locator('#layer-count').textContent()).toBe('60');
    await s.shot('first-hour-layer-cap');
    const text = await ui().locator('body').innerText();
    expect(text).not.toMatch(/onnx|\bv\d\b|scales|\bcpu\b/i);
  });

  it('wraps the duplicate-name message instead of clipping it', async () => {
    await s.open();
    await useStyleFile();
    await ui().getByTestId('save-preset-toggle').click();
    const name = `Sunday-brush-strokes-with-a-very-long-name-${Date.now()}`;
    for (const expected of [/^Saved/, /already exists/]) {
      await ui().getByTestId('preset-name').fill(name);
      await ui().getByTestId('preset-save-btn').click();
      await expect.poll(() => ui().getByTestId('preset-save-status').textContent(), { timeout: 30_000 }).toMatch(expected);
    }
    const fits = await ui().getByTestId('preset-save-status').evaluate((e) => e.scrollWidth <= e.clientWidth + 1);
    expect(fits).toBe(true);
    await s.shot('first-hour-duplicate-name');
  });

  it('notices when the companion stops, instead of still saying "Connected" (last: it stops this session\'s companion)', async () => {
    await s.open();
    expect(await pill()).toBe('connected');
    await s.companion.close();
    await expect.poll(pill, { timeout: 15_000 }).toBe('offline');
    await s.shot('first-hour-companion-stopped');
    s.companion.close = async () => undefined; // already closed
  });
});
