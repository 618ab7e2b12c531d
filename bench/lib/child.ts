/**
 * Helpers shared by the benchmarks that measure in a fresh child process (so that peak memory
 * belongs to that run alone): the child runner, the backend's own memory figure, the median.
 */
import { spawn } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { tfBackendOf, type ConcreteBackend } from '../../companion/src/engine/runtime/backend.js';

/** Runs a command to its end; resolves with its output, exit code and wall time (start-up included). */
export function runCommand(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number | null; seconds: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code, seconds: (performance.now() - t0) / 1000 }));
  });
}

/**
 * Runs this bench entry again (same Node flags, e.g. tsx's loader) with `args`, and resolves with
 * the last stdout line that starts with `prefix`, parsed as JSON; rejects with the child's last
 * `bench: …` or error line from stderr, else its exit code.
 */
export async function runChildJson<T>(args: string[], prefix: string): Promise<T> {
  const { stdout, stderr, code } = await runCommand(process.execPath, [...process.execArgv, process.argv[1], ...args]);
  const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith(prefix));
  if (code === 0 && line) return JSON.parse(line) as T;
  const lines = stderr.split('\n').map((l) => l.trim());
  const reason = lines.filter((l) => l.startsWith('bench: ')).pop()?.slice(7) ?? lines.filter((l) => /Error\b/.test(l)).pop();
  throw new Error(reason ?? `exit code ${code}`);
}

/** What backendBytes measures for a backend: its wasm heap or its GPU allocation. */
export function backendMemoryLabel(name: ConcreteBackend): string {
  return tfBackendOf(name) === 'wasm' ? 'wasm heap' : 'gpu alloc';
}

/** wasm: the size of the wasm heap; webgpu: bytes the backend allocated on the GPU; else undefined. */
export function backendBytes(): number | undefined {
  const b = tf.backend() as unknown as { wasm?: { wasmMemory?: WebAssembly.Memory; HEAPU8?: Uint8Array } };
  if (b.wasm) return b.wasm.wasmMemory?.buffer.byteLength ?? b.wasm.HEAPU8?.buffer.byteLength;
  const m = tf.memory() as unknown as { numBytesAllocatedInGPU?: number; numBytesInGPU?: number };
  return m.numBytesAllocatedInGPU ?? m.numBytesInGPU;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
