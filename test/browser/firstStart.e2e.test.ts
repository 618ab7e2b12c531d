/**
 * A companion's first start, as the plugin sees it: `atelier serve` (a real child process) without
 * weights downloads them — from a loopback server holding the small model's file half-way, never a
 * real download — while the plugin shows "Downloading the style network, N %" (screenshots, light
 * and dark), then connects by itself once the companion is ready.
 *
 * Needs Debian's Chromium at /usr/bin/chromium (skipped with a message otherwise; FAILS instead
 * when ATELIER_REQUIRE_BROWSER=1).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateToken } from '../../companion/src/token.js';
import { makeRawLayers, writeKerasH5 } from '../helpers/kerasH5.js';
import { tempDir } from '../helpers/tempDir.js';
import { HAVE_CHROMIUM, closedPort, requireBrowser, startSession, type Session } from './session.js';

requireBrowser('plugin first start');

const bin = path.resolve(import.meta.dirname, '../../bin/atelier.js');

describe.skipIf(!HAVE_CHROMIUM)('plugin in the harness: a companion without weights', () => {
  let s: Session;
  let serve: ChildProcess | null = null;
  let source: Server;
  let release: () => void = () => undefined;
  let url: string;
  let token: string;
  let home: string;
  let from: string;
  let serveOutput = '';

  beforeAll(async () => {
    const port = await closedPort();
    url = `http://localhost:${port}`;
    s = await startSession([url]);
    home = tempDir('atelier-first-start-');
    token = (await loadOrCreateToken(home)).token;
    const h5 = path.join(tempDir('atelier-weights-src-'), 'vgg19.h5');
    await writeKerasH5(h5, makeRawLayers(16, 4));
    const bytes = readFileSync(h5);
    const held = new Promise<void>((r) => (release = r));
    source = createServer(async (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) });
      const step = Math.ceil(bytes.length / 10);
      for (let i = 0; i < bytes.length; i += step) {
        res.write(bytes.subarray(i, i + step));
        if (i === 3 * step) await held; // 40 %, until the test has seen the plugin show it
      }
      res.end();
    });
    await new Promise<void>((r) => source.listen(0, '127.0.0.1', () => r()));
    from = `http://127.0.0.1:${(source.address() as AddressInfo).port}/vgg19.h5`;
    serve = spawn(process.execPath, [bin, 'serve', '--port', String(port), '--backend', 'cpu', '--data-dir', home, '--weights-from', from, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    serve.stdout!.on('data', (d: Buffer) => (serveOutput += d.toString()));
    serve.stderr!.on('data', (d: Buffer) => (serveOutput += d.toString()));
  });
  afterAll(async () => {
    release();
    if (serve && serve.exitCode === null) {
      const exited = new Promise((r) => serve!.once('exit', r));
      serve.kill('SIGTERM');
      await exited;
    }
    source?.closeAllConnections();
    source?.close();
    await s?.close();
  });

  it('shows "Downloading the style network, N %" while the companion downloads, then connects by itself', async () => {
    await s.page.goto(`${s.harness.url}?fresh&url=${encodeURIComponent(url)}&token=${token}`);
    await s.page.waitForFunction('window.harness && window.harness.ready === true');
    const ui = s.ui;
    const pill = () => ui.getByTestId('conn-pill').getAttribute('data-state');
    await expect.poll(pill, { timeout: 90_000 }).toBe('preparing');
    await expect.poll(() => ui.getByTestId('conn-message').textContent(), { timeout: 15_000 }).toMatch(/^Downloading the style network, (3\d|40) %$/);
    expect(await ui.locator('#conn-label').textContent()).toBe('Getting ready…');
    expect(await ui.getByTestId('stylize').isDisabled()).toBe(true);
    await s.shot('first-start-downloading');
    release();
    // the companion then loads the network it downloaded (slow on a busy machine)
    await expect.poll(pill, { timeout: 240_000 }).toBe('connected').catch((err: Error) => {
      throw new Error(`${err.message}\nserve said:\n${serveOutput}`);
    });
    expect(serveOutput).toMatch(/not installed yet: downloading it once/);
    await s.shot('first-start-connected');
  }, 360_000);
});
