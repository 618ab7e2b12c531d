/**
 * Start-up of `atelier serve` with the wasm thread pool (issue: `serve --backend onnx` exited with
 * code 13 and no output in about 4% of starts; here 6 of 40 before the fix, when a pool worker
 * exited right after coming online). Each start is a fresh `atelier serve` process with a bounded
 * time, stopped with SIGTERM once it listens: all of 100 consecutive starts must come up (onnx when
 * onnxruntime-node loads, wasm otherwise), and a pool that cannot start must fail loudly (one line,
 * exit code 1) instead of vanishing or hanging.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeRawLayers, writeTfjsDir } from '../helpers/kerasH5.js';
import { loadOrt } from '../helpers/ortAvailable.js';
import { tempDir } from '../helpers/tempDir.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(repoRoot, 'bin/atelier.js');
/** A start takes ~3 s here (15 s on a loaded machine); a start that hangs is killed and counted as failed. */
const PER_START_MS = 90_000;
/** The watchdog's limit per attempt in these children: two attempts fit in PER_START_MS. */
const WATCHDOG_MS = '30000';
const backend = (await loadOrt('100 starts on onnx')).ort ? 'onnx' : 'wasm';

let weights: string;
let dataDir: string;
beforeAll(() => {
  const tmp = tempDir('atelier-starts-');
  weights = path.join(tmp, 'weights');
  writeTfjsDir(weights, makeRawLayers(16, 4));
  dataDir = path.join(tmp, 'data');
});

interface StartResult {
  listened: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  pid: number;
  stderr: string;
}

/** One `atelier serve` start, stopped with SIGTERM as soon as it listens. */
function startOnce(env: Record<string, string> = {}): Promise<StartResult> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, 'serve', '--port', '0', '--backend', backend, '--weights', weights, '--data-dir', dataDir, '--log-level', 'warn'], {
      cwd: repoRoot,
      env: { ...process.env, ATELIER_WASM_THREADS: '2', ATELIER_WASM_START_TIMEOUT_MS: WATCHDOG_MS, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let listened = false;
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => {
      if (!listened && /listening on/.test(d.toString())) {
        listened = true;
        c.kill('SIGTERM');
      }
    });
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), PER_START_MS);
    c.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ listened, code, signal, pid: c.pid ?? -1, stderr });
    });
  });
}

describe('start-up of atelier serve', () => {
  it(`100 consecutive starts (${backend}) all come up`, async () => {
    const failures: string[] = [];
    let retried = 0;
    for (let i = 0; i < 100; i++) {
      const r = await startOnce();
      if (/retrying once/.test(r.stderr)) retried++;
      if (!r.listened) failures.push(`start ${i + 1}: exit ${r.code ?? r.signal} ${r.stderr.trim().split('\n').pop() ?? ''}`);
    }
    console.log(`${backend}: ${100 - failures.length} of 100 starts came up; ${retried} needed the pool's retry`);
    expect(failures).toEqual([]);
  }, 100 * PER_START_MS);

  it('a pool that does not come up fails loudly, once retried: one line, exit 1, no temp files left', async () => {
    const r = await startOnce({ ATELIER_WASM_START_TIMEOUT_MS: '1' });
    expect([r.listened, r.code]).toEqual([false, 1]);
    expect(r.stderr).toMatch(/thread pool \(2 threads\) failed to start \(it did not come up within \d+ m?s\); retrying once/);
    expect(r.stderr).toMatch(/^atelier: backend \w+ is not available: .*thread pool \(2 threads\) failed to start twice \(it did not come up within \d+ m?s\); set ATELIER_WASM_THREADS=1/m);
    expect(readdirSync(os.tmpdir()).filter((n) => n.startsWith(`atelier-wasm-${r.pid}-`))).toEqual([]);
  }, PER_START_MS);
});
