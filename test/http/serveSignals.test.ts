/**
 * `atelier serve` stopped while it starts: SIGTERM during start-up exits 0 and leaves no temporary
 * worker scripts (/tmp/atelier-wasm-<pid>-*); what a SIGKILL leaves behind is swept by the next start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { makeRawLayers, writeTfjsDir } from '../helpers/kerasH5.js';
import { tempDir } from '../helpers/tempDir.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(repoRoot, 'bin/atelier.js');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

const scriptDirsOf = (pid: number): string[] => readdirSync(os.tmpdir()).filter((n) => n.startsWith(`atelier-wasm-${pid}-`));

/** Starts `serve --backend wasm` and resolves once its worker-script folder exists (start-up under way). */
async function serveUntilWorkersWritten(): Promise<{ child: ChildProcess; out: () => string; exited: Promise<[number | null, NodeJS.Signals | null]> }> {
  const tmp = tempDir('atelier-sig-');
  const weights = path.join(tmp, 'weights');
  writeTfjsDir(weights, makeRawLayers(16, 4));
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--backend', 'wasm', '--weights', weights, '--data-dir', path.join(tmp, 'data'), '--log-level', 'warn'], {
    cwd: repoRoot,
    env: { ...process.env, ATELIER_WASM_THREADS: '2' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (code, sig) => resolve([code, sig])));
  const t0 = Date.now();
  while (scriptDirsOf(child.pid!).length === 0) {
    if (Date.now() - t0 > 60_000 || child.exitCode !== null) throw new Error(`the wasm worker scripts never appeared (${out})`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return { child, out: () => out, exited };
}

describe('signals during start-up', () => {
  it('SIGTERM during start-up: exit 0, a message, no temporary files left', async () => {
    const s = await serveUntilWorkersWritten();
    expect(s.out()).not.toMatch(/listening on/); // still starting
    s.child.kill('SIGTERM');
    expect(await s.exited).toEqual([0, null]);
    expect(s.out()).toMatch(/SIGTERM during start-up/);
    expect(scriptDirsOf(s.child.pid!)).toEqual([]);
  });

  it("SIGKILL leaves them; the next start sweeps those of dead processes", async () => {
    const s = await serveUntilWorkersWritten();
    const left = path.join(os.tmpdir(), scriptDirsOf(s.child.pid!)[0]);
    s.child.kill('SIGKILL');
    await s.exited;
    expect(existsSync(left)).toBe(true);
    const next = await serveUntilWorkersWritten();
    next.child.kill('SIGTERM');
    await next.exited;
    expect(existsSync(left)).toBe(false);
  });
});
