/**
 * `atelier serve` as a real child process: startup lines (URL, backend, token), the token file's
 * 0600 mode, graceful shutdown on SIGTERM with a running job (canceled, exit 0), and the one-line
 * error when no weights are installed and downloading is off; without weights it downloads them
 * (from a loopback server here: never a real download) while the plugin sees how far it is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeRawLayers, writeKerasH5, writeTfjsDir } from '../helpers/kerasH5.js';
import { FAST, jobForm, makePng } from './harness.js';
import { tempDir } from '../helpers/tempDir.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(repoRoot, 'bin/atelier.js');
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function spawnServe(args: string[], env: Record<string, string> = {}): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function until<T>(fn: () => T | undefined | null | false, timeoutMs: number, what: string): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('atelier serve (child process)', () => {
  it('prints URL, backend and token; stores the token 0600; SIGTERM with a running job cancels it and exits 0', async () => {
    const tmp = tempDir('atelier-serve-');
    const weights = path.join(tmp, 'weights');
    writeTfjsDir(weights, makeRawLayers(16, 4));
    const dataDir = path.join(tmp, 'data');
    const s = spawnServe(['--port', '0', '--backend', 'cpu', '--weights', weights, '--data-dir', dataDir, '--log-level', 'warn']);
    const url = await until(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(s.out())?.[1], 60_000, `startup (stderr: ${s.err()})`);
    const token = await until(() => /pairing token: (\S+)/.exec(s.out())?.[1], 5_000, 'token line');
    expect(s.out()).toMatch(/backend: cpu/);
    expect(readFileSync(path.join(dataDir, 'token'), 'utf8').trim()).toBe(token);
    if (process.platform !== 'win32') expect(statSync(path.join(dataDir, 'token')).mode & 0o777).toBe(0o600);

    const auth = { Authorization: `Bearer ${token}` };
    expect((await fetch(`${url}/v1/info`, { headers: auth })).status).toBe(200);
    const content = await makePng(40, 30);
    const style = await makePng(32, 32, { seed: 3 });
    const res = await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: auth,
      body: jobForm({ content: [{ data: content }], style: [{ data: style }], params: { ...FAST, iterations: 10000 } }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    // Follow the job's events; wait until it is running.
    const events: string[] = [];
    const stream = fetch(`${url}/v1/jobs/${id}/events`, { headers: auth }).then(async (r) => {
      const dec = new TextDecoder();
      for await (const piece of r.body as unknown as AsyncIterable<Uint8Array>) {
        for (const m of dec.decode(piece).matchAll(/^event: (\w+)$/gm)) events.push(m[1]);
      }
    });
    await until(() => events.includes('progress'), 30_000, 'progress');

    const t0 = Date.now();
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    await stream.catch(() => undefined);
    expect(events.at(-1)).toBe('canceled');
    expect(s.out()).toMatch(/stopped/);
  });

  it('`atelier token rotate` replaces the token (0600) and prints the new one', async () => {
    const dir = tempDir('atelier-token-');
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const c = spawn(process.execPath, [bin, 'token', ...args, '--data-dir', dir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(c);
        let out = '';
        c.stdout.on('data', (d: Buffer) => (out += d.toString()));
        c.on('exit', (code) => resolve({ code, out }));
      });
    const shown = await run(['show']);
    expect(shown.code).toBe(0);
    const rotated = await run(['rotate']);
    expect(rotated.code).toBe(0);
    expect(rotated.out.trim()).toMatch(/^atl_/);
    expect(rotated.out.trim()).not.toBe(shown.out.trim());
    expect(readFileSync(path.join(dir, 'token'), 'utf8').trim()).toBe(rotated.out.trim());
    expect(statSync(path.join(dir, 'token')).mode & 0o777).toBe(0o600);
  });

  it('without weights and --no-download: one line saying exactly how to install them, exit 1', async () => {
    const home = tempDir('atelier-noweights-');
    const s = spawnServe(['--port', '0', '--backend', 'cpu', '--data-dir', home, '--no-download'], { ATELIER_HOME: home });
    const code = await s.exited;
    expect(code).toBe(1);
    const lines = s.err().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('npx atelier weights install');
  });

  it('without weights: downloads them (progress in the terminal), tells the plugin how far it is on /v1/health, then serves', async () => {
    const home = tempDir('atelier-firststart-');
    const h5 = path.join(tempDir('atelier-weights-src-'), 'vgg19.h5');
    await writeKerasH5(h5, makeRawLayers(16, 4));
    const bytes = readFileSync(h5);
    // a slow loopback source: ten chunks, 300 ms apart, so the download is seen in progress
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    const source = createServer(async (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) });
      const step = Math.ceil(bytes.length / 10);
      for (let i = 0; i < bytes.length; i += step) {
        res.write(bytes.subarray(i, i + step));
        if (i === 4 * step) await held; // hold at about half until the test has seen it
        else await new Promise((r) => setTimeout(r, 50));
      }
      res.end();
    });
    await new Promise<void>((r) => source.listen(0, '127.0.0.1', () => r()));
    try {
      const from = `http://127.0.0.1:${(source.address() as AddressInfo).port}/vgg19.h5`;
      const s = spawnServe(['--port', '0', '--backend', 'cpu', '--data-dir', home, '--weights-from', from, '--log-level', 'warn'], { ATELIER_HOME: home });
      const url = await until(() => /listening on (http:\/\/\S+) \(getting ready/.exec(s.out())?.[1], 60_000, `the preparing URL (stdout: ${s.out()}, stderr: ${s.err()})`);
      expect(s.out()).toMatch(/not installed yet: downloading it once/);
      type Health = { ok: boolean; preparing?: { step: string; percent: number | null } };
      const healthNow = async (): Promise<Health> => (await (await fetch(`${url}/v1/health`, { headers: { Origin: 'null' } })).json()) as Health;
      let health = await healthNow();
      for (let i = 0; i < 200 && !((health.preparing?.percent ?? 0) > 0); i++) {
        await new Promise((r) => setTimeout(r, 50));
        health = await healthNow();
      }
      expect(health.preparing).toMatchObject({ step: 'weights' });
      expect(health!.preparing!.percent).toBeGreaterThan(0);
      expect(health!.preparing!.percent).toBeLessThan(100);
      const busy = await fetch(`${url}/v1/info`, { headers: { Origin: 'null' } });
      expect(busy.status).toBe(503);
      expect(busy.headers.get('access-control-allow-origin')).toBe('null'); // the plugin can read it
      expect(((await busy.json()) as { error: { code: string } }).error.code).toBe('preparing');
      release();
      const token = await until(() => /pairing token: (atl_\S+)/.exec(s.out())?.[1], 120_000, `the token line (stdout: ${s.out()}, stderr: ${s.err()})`);
      expect(s.err()).toMatch(/\d+(\.\d)?%/); // the terminal saw the download's progress
      const ready = (await (await fetch(`${url}/v1/health`)).json()) as { preparing?: unknown };
      expect(ready.preparing).toBeUndefined();
      expect((await fetch(`${url}/v1/info`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
    } finally {
      release();
      source.closeAllConnections();
      source.close();
    }
  });
});
