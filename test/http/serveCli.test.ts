/**
 * `atelier serve` as a real child process: startup lines (URL, backend, token), the token file's
 * 0600 mode, graceful shutdown on SIGTERM with a running job (canceled, exit 0), and the one-line
 * error when no weights are installed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { makeRawLayers, writeTfjsDir } from '../helpers/kerasH5.js';
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

  it('without weights: one line saying exactly how to install them, exit 1', async () => {
    const home = tempDir('atelier-noweights-');
    const s = spawnServe(['--port', '0', '--backend', 'cpu', '--data-dir', home], { ATELIER_HOME: home });
    const code = await s.exited;
    expect(code).toBe(1);
    const lines = s.err().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('npx atelier weights install');
  });
});
