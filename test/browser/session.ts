/**
 * What the plugin's browser tests share: a REAL companion on 127.0.0.1 (small VGG-shaped model, cpu
 * backend, its own data dir), the harness built with the companion in its networkAccess (reached
 * as `localhost`, as Figma requires), Debian's Chromium, a style image, and screenshots of the
 * plugin in Figma's light AND dark theme under test/artifacts/plugin/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';
import { describe, it } from 'vitest';
import { createApp, listen, type AppHandle } from '../../companion/src/http/app.js';
import { measureSpeed } from '../../companion/src/engine/evaluate/speed.js';
import type { MeasuredSpeed } from '../../shared/schedule.js';
import { Vgg19 } from '../../companion/src/engine/network/vgg19.js';
import { openPresetsService } from '../../companion/src/presets/service.js';
import { tokensEqual } from '../../companion/src/token.js';
import { startHarnessServer, type HarnessServer } from '../../plugin/harness/server.js';
import { createSmallVggWeights } from '../helpers/smallVgg.js';
import { tempDir } from '../helpers/tempDir.js';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts/plugin');
export const TOKEN = 'atl_e2e_pairing_token_0123456789abcdef';

/** Says why a browser suite is skipped; with ATELIER_REQUIRE_BROWSER=1 a missing Chromium FAILS instead. */
export function requireBrowser(suite: string): void {
  const required = process.env.ATELIER_REQUIRE_BROWSER === '1';
  if (HAVE_CHROMIUM) return;
  console.warn(`[${suite}] skipped: ${CHROMIUM} not found (install it with \`apt-get install chromium\`)${required ? ' — but ATELIER_REQUIRE_BROWSER=1, so this FAILS' : ''}`);
  describe.runIf(required)(`${suite} (browser required)`, () => {
    it('has Chromium', () => {
      throw new Error(`ATELIER_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing`);
    });
  });
}

/** A companion app served on 127.0.0.1 (ephemeral port). */
export interface Companion {
  url: string;
  handle: AppHandle;
  close(): Promise<void>;
}

export async function startCompanion(): Promise<Companion> {
  await tf.setBackend('cpu');
  await tf.ready();
  const model = new Vgg19(createSmallVggWeights({ channels: 4, seed: 3 }));
  const dataDir = tempDir('atelier-e2e-');
  const presets = await openPresetsService({ dataDir, pairing: async (t) => (tokensEqual(t, TOKEN) ? { teamId: 'local' } : null) });
  // Measured after the server is up, as `atelier serve` does, so the plugin first sees no speed and asks again.
  let speed: MeasuredSpeed | null = null;
  const handle = createApp({
    engine: { model, backend: { name: 'cpu', device: 'e2e cpu' }, speed: () => speed },
    weightsInfo: { source: 'small test model', layers: model.availableLayers },
    authenticate: presets.authenticate,
    presets: presets.store,
    dataDir,
    heartbeatMs: 500,
  });
  const { server, url } = await listen(handle, 0, '127.0.0.1');
  void measureSpeed(model, 1).then((s) => (speed = s));
  return {
    url,
    handle,
    async close() {
      await handle.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await presets.close();
      model.dispose();
    },
  };
}

/** A port nothing listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A 48×48 PNG with some texture, written to a temp dir. */
export async function writeStyleImage(name = 'brush-strokes.png'): Promise<string> {
  const file = path.join(tempDir('atelier-style-'), name);
  const w = 48;
  const raw = Buffer.alloc(w * w * 3);
  for (let i = 0; i < w * w; i++) {
    const x = i % w;
    const y = Math.floor(i / w);
    raw[i * 3] = ((x * 13) ^ (y * 7)) & 255;
    raw[i * 3 + 1] = (Math.sin(x / 3) * 100 + 120) & 255;
    raw[i * 3 + 2] = ((y * 19) & 255) ^ 90;
  }
  await sharp(raw, { raw: { width: w, height: w, channels: 3 } }).png().toFile(file);
  return file;
}

/** Everything a browser test drives. */
export interface Session {
  companion: Companion;
  /** The companion by name: the build allows it (as --team-server), as a designer's own port would be. */
  companionUrl: string;
  harness: HarnessServer;
  browser: Browser;
  page: Page;
  ui: FrameLocator;
  /** Evaluates an expression in the harness page (window.harness…). */
  h<T>(expression: string): Promise<T>;
  /** Screenshots the plugin (or the whole page) in the light and the dark theme: NAME-light.png, NAME-dark.png. */
  shot(name: string, full?: boolean): Promise<void>;
  /** Opens a fresh harness (clean storage) connected to the companion. */
  open(query?: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts the companion, builds and serves the harness (allowing `extraOrigins` too), launches Chromium. */
export async function startSession(extraOrigins: string[] = []): Promise<Session> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const companion = await startCompanion();
  const companionUrl = companion.url.replace('127.0.0.1', 'localhost');
  const harness = await startHarnessServer({ teamServers: [companionUrl, ...extraOrigins], outDir: tempDir('atelier-plugin-dist-') });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1000, height: 720 } });
  page.on('pageerror', (err) => console.error('[harness page error]', err.message));
  const ui = page.frameLocator('#plugin');
  const setTheme = async (theme: 'light' | 'dark'): Promise<void> => {
    const frame = page.frame({ url: /about:srcdoc/ });
    await frame?.evaluate((t) => document.documentElement.classList.replace(t === 'dark' ? 'figma-light' : 'figma-dark', `figma-${t}`), theme);
  };
  return {
    companion,
    companionUrl,
    harness,
    browser,
    page,
    ui,
    h: <T>(expression: string) => page.evaluate(expression) as Promise<T>,
    async shot(name, full = false) {
      await page.waitForTimeout(150);
      for (const theme of ['light', 'dark'] as const) {
        await setTheme(theme);
        const file = path.join(ARTIFACTS, `${name}-${theme}.png`);
        if (full) await page.screenshot({ path: file });
        else await page.locator('#plugin').screenshot({ path: file });
      }
      await setTheme('light');
    },
    async open(query = '') {
      await page.goto(`${harness.url}?fresh&url=${encodeURIComponent(companionUrl)}&token=${TOKEN}${query}`);
      await page.waitForFunction('window.harness && window.harness.ready === true');
      await page.frameLocator('#plugin').getByTestId('conn-pill').and(page.frameLocator('#plugin').locator('[data-state="connected"]')).waitFor({ timeout: 15_000 });
    },
    async close() {
      await browser.close();
      await harness.close();
      await companion.close();
    },
  };
}
