/**
 * Browser tests of what broke (or would break) in real Figma, each against the fake's enforcement
 * of the Figma rule involved: the BUILT plugin in the harness (CSP from the built manifest) against
 * a REAL companion. One test per reported defect — the network allow-list (1), hug-contents
 * auto-layout and overflow (2), main components (3), rotation and flips (4), preset settings (8),
 * cancel while exporting (9), closing the plugin mid-run (10), output size (11), a job the
 * companion stopped (12), the preset grid
 * with a long name (14), keyboard, focus, live region and contrast (15). Screenshots, light and
 * dark, go to test/artifacts/plugin/.
 *
 * Needs Debian's Chromium at /usr/bin/chromium (skipped with a message otherwise; FAILS instead
 * when ATELIER_REQUIRE_BROWSER=1).
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultName } from '../../plugin/src/logic/resultLayer.js';
import { HAVE_CHROMIUM, TOKEN, requireBrowser, startSession, writeStyleImage, type Session } from './session.js';

requireBrowser('plugin figma rules');

type Box = { x: number; y: number; width: number; height: number };

describe.skipIf(!HAVE_CHROMIUM)('plugin in the harness: Figma\'s rules', () => {
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
  const node = <T>(name: string, expr: string): Promise<T> => s.h<T>(`(n => ${expr})(window.harness.node(${JSON.stringify(name)}))`);
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
  /** Stylizes the selection with the style file at 64 px, 2 iterations (small and quick: the size is not what these tests check), until `done` shows. */
  const stylizeSmallWithFile = async (done: string): Promise<void> => {
    await useStyleFile();
    await advanced('size', '64');
    await advanced('iterations', '2');
    await ui().getByTestId('stylize').click();
    await expect.poll(message, { timeout: 90_000 }).toBe(done);
  };
  const api = async (method: string, p: string, body?: FormData): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${s.companion.url}/v1${p}`, { method, headers: { Authorization: `Bearer ${TOKEN}` }, body });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const createPreset = async (name: string, params: Record<string, unknown>): Promise<void> => {
    const form = new FormData();
    form.set('preset', JSON.stringify({ name, params }));
    const png = await sharp({ create: { width: 24, height: 24, channels: 3, background: { r: 200, g: 90, b: 40 } } }).png().toBuffer();
    form.append('style', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'style.png');
    expect((await api('POST', '/presets', form)).status).toBe(201);
  };
  const lastJob = () => [...s.companion.handle.queue.jobs.values()].at(-1);
  /** Size and the alpha of the top-left pixel of the image on a layer's first fill. */
  const imageOf = async (name: string): Promise<{ width: number; height: number; cornerAlpha: number }> => {
    const bytes = await s.h<number[]>(`Array.from(window.harness.fake.imageBytes(window.harness.fills(${JSON.stringify(name)})[0].imageHash))`);
    const { data, info } = await sharp(Buffer.from(bytes)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, cornerAlpha: data[3] };
  };

  it('1: refuses a companion URL outside the built manifest\'s networkAccess and says why (not "Companion not running")', async () => {
    await s.open();
    await ui().getByTestId('conn-pill').click();
    await ui().getByTestId('conn-url').fill(s.companion.url); // the same companion, by IP literal
    await ui().getByTestId('conn-save').click();
    await expect.poll(() => ui().getByTestId('conn-pill').getAttribute('data-state'), { timeout: 15_000 }).toBe('blocked');
    expect(await ui().getByTestId('conn-message').textContent()).toMatch(/^Figma blocks http:\/\/127\.0\.0\.1:\d+: use http:\/\/localhost:\d+ instead/);
    await s.shot('18-url-blocked');
    await ui().getByTestId('conn-url').fill('http://192.168.1.20:7745');
    await ui().getByTestId('conn-save').click();
    await expect.poll(() => ui().getByTestId('conn-message').textContent(), { timeout: 15_000 }).toMatch(/Figma blocks http:\/\/192\.168\.1\.20:7745: this build of the plugin may only reach .*--team-server http:\/\/192\.168\.1\.20:7745/);
  });

  it('2: keeps a hug-contents auto-layout frame and what overflows a non-clipping frame', async () => {
    await s.open();
    const rowBefore = await node<Box>('Tag row', 'n.absoluteBoundingBox');
    const sticker = await node<Box>('Sticker', 'n.absoluteBoundingBox');
    await select('Tag row', 'Overflow card');
    await expect.poll(() => ui().getByTestId('layer').count()).toBe(2);
    await stylizeSmallWithFile('Applied to 2 layers');
    expect(await node<Box>('Tag row', 'n.absoluteBoundingBox')).toEqual(rowBefore);
    for (const tag of ['Tag A', 'Tag B', 'Tag C']) expect(await node(tag, 'n.visible')).toBe(true);
    expect(await node<Box>(resultName('Tag row'), 'n.absoluteBoundingBox')).toEqual(rowBefore);
    // the result covers the sticker that hangs over the card's top edge
    const over = await node<Box>(resultName('Overflow card'), 'n.absoluteBoundingBox');
    expect(over.y).toBeLessThanOrEqual(sticker.y);
    expect(over.x + over.width).toBeGreaterThanOrEqual(sticker.x + sticker.width);
    await s.page.locator(`[data-name="${resultName('Overflow card')}"]`).scrollIntoViewIfNeeded();
    await s.shot('19-auto-layout-and-overflow', true);
  });

  it('3: skips a main component (its instances would change) and leaves it untouched when an instance is stylized', async () => {
    await s.open();
    await select('Button', 'Button instance');
    await expect.poll(() => ui().getByTestId('skipped').count()).toBe(1);
    expect(await ui().getByTestId('skipped').textContent()).toMatch(/^Button — Main component/);
    expect(await ui().getByTestId('layer').count()).toBe(1);
    await stylizeSmallWithFile('Applied to 1 layer');
    expect(await s.h(`window.harness.fills('Button')[0].type`)).toBe('SOLID');
    expect(await node('Button', 'n.visible')).toBe(true);
    expect(await node('Button label', 'n.visible')).toBe(true);
    expect(await s.h(`window.harness.layerNames()`)).toContain(resultName('Button instance'));
    await s.shot('20-component-skipped');
  });

  it('4: puts the result of a rotated and a flipped layer unrotated over what the canvas shows (not rotated twice)', async () => {
    await s.open();
    const tilted = await node<Box>('Tilted photo', 'n.absoluteRenderBounds');
    await select('Tilted photo', 'Mirrored photo');
    await expect.poll(() => ui().getByTestId('layer').count()).toBe(2);
    await stylizeSmallWithFile('Applied to 2 layers');
    for (const name of ['Tilted photo', 'Mirrored photo']) expect(await node<number[][]>(resultName(name), 'n.relativeTransform')).toEqual([[1, 0, expect.any(Number)], [0, 1, expect.any(Number)]]);
    const box = await node<Box>(resultName('Tilted photo'), 'n.absoluteBoundingBox');
    for (const k of ['x', 'y', 'width', 'height'] as const) expect(box[k]).toBeCloseTo(tilted[k], 6);
    const img = await imageOf(resultName('Tilted photo'));
    expect(img.width / img.height).toBeCloseTo(tilted.width / tilted.height, 1);
    expect(img.cornerAlpha).toBe(0); // the corner outside the rotated photo stays empty: rotated once, by the canvas
    await s.page.locator(`[data-name="${resultName('Mirrored photo')}"]`).scrollIntoViewIfNeeded();
    await s.shot('21-rotated-and-flipped', true);
  });

  it('8: a team preset runs with its own settings; the panel shows them and only changes are sent', async () => {
    await createPreset('Tiny and quick', { size: 96, iterations: 15 });
    await s.open();
    await select('Hero photo');
    await ui().getByTestId('tab-preset').click();
    await ui().locator('[data-testid="preset"]', { hasText: 'Tiny and quick' }).click();
    await expect.poll(() => ui().locator('#quality-hint').textContent()).toMatch(/^96 px · 15 iterations — settings of “Tiny and quick”/);
    await s.shot('22-preset-settings');
    await ui().getByTestId('stylize').click();
    await expect.poll(message, { timeout: 90_000 }).toBe('Applied to 1 layer');
    expect(lastJob()?.progress?.iterations).toBe(15);
    expect(await imageOf(resultName('Hero photo'))).toMatchObject({ width: 96, height: 64 });
    const provenance = async () => JSON.parse(await s.h<string>(`window.harness.sharedPluginData(${JSON.stringify(resultName('Hero photo'))}, 'atelier', 'provenance')`));
    expect(Object.keys((await provenance()).params).sort()).toEqual(['previewEvery', 'size']);
    // a change the designer makes is sent (and only that)
    await advanced('iterations', '3');
    const jobs = s.companion.handle.queue.jobs.size;
    await ui().getByTestId('stylize').click();
    await expect.poll(() => s.companion.handle.queue.jobs.size, { timeout: 30_000 }).toBe(jobs + 1);
    await expect.poll(() => lastJob()?.state, { timeout: 90_000 }).toBe('succeeded');
    expect(lastJob()?.progress?.iterations).toBe(3);
    await expect.poll(async () => (await provenance()).params.iterations).toBe(3);
  });

  it('9: Cancel while exporting stops the run: no job is left running and nothing is applied', async () => {
    await s.open();
    await s.h('window.harness.fake.exportDelayMs = 2500');
    await select('Sun badge');
    await useStyleFile();
    await advanced('iterations', '2');
    const jobsBefore = s.companion.handle.queue.jobs.size;
    await ui().getByTestId('stylize').click();
    await expect.poll(() => ui().locator('#run-title').textContent()).toBe('Exporting layers…');
    await ui().getByTestId('cancel').click();
    await expect.poll(message, { timeout: 15_000 }).toBe('Canceled — nothing was changed');
    await s.page.waitForTimeout(4000); // past the slow export and any upload
    expect([...s.companion.handle.queue.jobs.values()].slice(jobsBefore).filter((j) => j.state !== 'canceled')).toEqual([]);
    expect(await s.h(`window.harness.layerNames()`)).not.toContain(resultName('Sun badge'));
    expect(await message()).toBe('Canceled — nothing was changed');
  });

  it('10: closing the plugin cancels its running job', async () => {
    await s.open();
    await select('Sun badge');
    await useStyleFile();
    await advanced('size', '32');
    await advanced('iterations', '5000');
    await ui().getByTestId('stylize').click();
    await ui().locator('[data-testid="run-item"]:not([data-progress="0"])').first().waitFor({ timeout: 60_000 });
    const job = s.companion.handle.queue.running;
    expect(job?.state).toBe('running');
    await s.h('window.harness.closePlugin()');
    try {
      await expect.poll(() => job?.state, { timeout: 15_000 }).toBe('canceled');
    } finally {
      if (job && job.state === 'running') await api('DELETE', `/jobs/${job.id}`);
    }
  });

  it('11: the output is the layer\'s own size ×2 (up to the quality level), not always the level\'s size', async () => {
    await s.open();
    await select('Sun badge'); // 96×96 at Balanced (up to 512 px)
    await useStyleFile();
    await advanced('iterations', '2');
    await ui().getByTestId('stylize').click();
    await expect.poll(message, { timeout: 120_000 }).toBe('Applied to 1 layer');
    expect(await imageOf(resultName('Sun badge'))).toMatchObject({ width: 192, height: 192 });
  });

  it('12: a job the companion stops (not the designer) says so, instead of "Canceled — nothing was changed"', async () => {
    await s.open();
    await select('Sun badge');
    await useStyleFile();
    await advanced('size', '32');
    await advanced('iterations', '5000');
    await ui().getByTestId('stylize').click();
    await ui().locator('[data-testid="run-item"]:not([data-progress="0"])').first().waitFor({ timeout: 60_000 });
    const job = s.companion.handle.queue.running!;
    expect((await api('DELETE', `/jobs/${job.id}`)).status).toBeLessThan(300); // e.g. a teammate, or the companion shutting down
    await expect.poll(message, { timeout: 30_000 }).toBe('The companion stopped this job (it was shut down, or canceled elsewhere) — nothing was changed');
    expect(await ui().getByTestId('message').getAttribute('data-kind')).toBe('error');
    // the error was about that run: a new selection clears it
    await select('Hero photo');
    await expect.poll(() => ui().getByTestId('message').isHidden()).toBe(true);
  });

  it('14: a long preset name ellipsizes inside its tile; the grid never grows wider than the window', async () => {
    await createPreset(`${'Watercolour wash with very long name '.repeat(2)}and more`, { iterations: 5 });
    await s.open();
    await ui().getByTestId('tab-preset').click();
    await expect.poll(() => ui().getByTestId('preset').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    const grid = (await ui().getByTestId('preset-grid').boundingBox())!;
    for (const tile of await ui().getByTestId('preset').all()) expect((await tile.boundingBox())!.width).toBeLessThanOrEqual(grid.width / 3 + 1);
    const overflow = await s.page.frame({ url: /about:srcdoc/ })!.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0);
    await s.shot('23-long-preset-name');
  });

  it('15: the file picker is reachable by keyboard, focus survives a run, a live region announces it, badges meet 4.5:1 in dark mode', async () => {
    await s.open();
    await select('Sun badge', 'Starry swirls');
    await ui().locator('[data-testid="layer"]', { hasText: 'Starry swirls' }).getByTestId('mark-style').click();
    await ui().getByTestId('style-layer-row').waitFor();
    const frame = s.page.frame({ url: /about:srcdoc/ })!;
    // contrast of the badges against their own background, in both themes
    const contrast = (theme: string) =>
      frame.evaluate((t) => {
        document.documentElement.className = `figma-${t}`;
        const rgb = (c: string): number[] => {
          const m = c.match(/^color\(srgb ([\d.]+) ([\d.]+) ([\d.]+)/);
          if (m) return m.slice(1, 4).map((v) => Number(v) * 255);
          return (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
        };
        const lum = (c: number[]) => {
          const [r, g, b] = c.map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4));
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        return [...document.querySelectorAll('.badge')].map((el) => {
          const cs = getComputedStyle(el);
          const [a, b] = [lum(rgb(cs.color)), lum(rgb(cs.backgroundColor))];
          return Math.round(((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)) * 100) / 100;
        });
      }, theme);
    for (const theme of ['light', 'dark']) for (const ratio of await contrast(theme)) expect(ratio).toBeGreaterThanOrEqual(4.5);
    await frame.evaluate(() => (document.documentElement.className = 'figma-light'));
    await ui().getByTestId('unmark-style').click();
    await select('Sun badge');

    // Tab from the "File" tab reaches the file picker
    await ui().getByTestId('tab-file').click();
    await ui().getByTestId('tab-file').focus();
    await s.page.keyboard.press('Tab');
    expect(await frame.evaluate(() => document.activeElement?.id)).toBe('style-input');
    await ui().getByTestId('style-input').setInputFiles(stylePath);
    await advanced('size', '32');
    await advanced('iterations', '2');
    await ui().getByTestId('stylize').focus();
    await s.page.keyboard.press('Enter');
    await expect.poll(() => frame.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('cancel');
    await expect.poll(message, { timeout: 90_000 }).toBe('Applied to 1 layer');
    await expect.poll(() => ui().getByTestId('announcer').textContent()).toBe('Applied to 1 layer');
    expect(await frame.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('stylize');
    await s.shot('24-applied-focus');
  });
});
