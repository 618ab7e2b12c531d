/**
 * Start-up of the wasm thread pool (issue: about 4% of `serve --backend onnx` starts died silently
 * with exit code 13 when a pool worker exited right after coming online; here, 7 of 100 onnx
 * starts hung silently past 30 s). Each start runs in a fresh child process with a bounded time;
 * every one of 100 consecutive starts must come up (the onnx backend, whose start-up showed the
 * failure, when onnxruntime-node loads; wasm alone otherwise), and a pool that cannot start must
 * fail loudly (message, non-zero exit) instead of vanishing or hanging.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadOrt } from '../helpers/ortAvailable.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const child = path.join(repoRoot, 'test/helpers/startBackendChild.ts');
/** A start takes ~1.5 s here (15 s on a loaded machine); a start that hangs is killed and counted as failed. */
const PER_START_MS = 90_000;
/** The watchdog's limit per attempt in these children: two attempts fit in PER_START_MS. */
const WATCHDOG_MS = '30000';
const backend = (await loadOrt('100 starts on onnx')).ort ? 'onnx' : 'wasm';

interface StartResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  pid: number;
  stdout: string;
  stderr: string;
}

function startOnce(env: Record<string, string> = {}): Promise<StartResult> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', child, backend], {
      cwd: repoRoot,
      env: { ...process.env, ATELIER_WASM_THREADS: '2', ATELIER_WASM_START_TIMEOUT_MS: WATCHDOG_MS, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), PER_START_MS);
    c.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, pid: c.pid ?? -1, stdout, stderr });
    });
  });
}

describe('wasm backend start-up', () => {
  it(`100 consecutive starts (${backend}) in fresh processes all come up`, async () => {
    const failures: string[] = [];
    let retried = 0;
    for (let i = 0; i < 100; i++) {
      const r = await startOnce();
      if (/retrying once/.test(r.stderr)) retried++;
      if (r.code !== 0 || !r.stdout.startsWith('ok ')) failures.push(`start ${i + 1}: exit ${r.code ?? r.signal} ${r.stderr.trim().split('\n').pop() ?? ''}`);
    }
    console.log(`${backend}: ${100 - failures.length} of 100 starts came up; ${retried} needed the pool's retry`);
    expect(failures).toEqual([]);
  }, 100 * PER_START_MS);

  it('a pool that does not come up fails loudly, once retried, with a non-zero exit and no temp files left', async () => {
    const r = await startOnce({ ATELIER_WASM_START_TIMEOUT_MS: '1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/thread pool \(2 threads\) failed to start \(it did not come up within \d+ m?s\); retrying once/);
    expect(r.stderr).toMatch(/start failed: .*thread pool \(2 threads\) failed to start twice \(it did not come up within \d+ m?s\); set ATELIER_WASM_THREADS=1/);
    expect(readdirSync(os.tmpdir()).filter((n) => n.startsWith(`atelier-wasm-${r.pid}-`))).toEqual([]);
  }, PER_START_MS);
});
