/**
 * The opt-in CUDA path (`--backend onnx-cuda`, `atelier gpu install cuda`) on a machine without it:
 * every start says exactly what is missing and how to get it, and nothing downloads.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { CUDA_PROVIDER_LIBRARIES, CUDA_SYSTEM_LIBRARIES, describeMissing, missingCudaPieces } from '../../companion/src/engine/runtime/backends/cudaLibraries.js';
import { initBackend } from '../../companion/src/engine/runtime/backend.js';
import { installCommand } from '../../companion/src/cli/gpu.js';
import { makeRawLayers, writeTfjsDir } from '../helpers/kerasH5.js';
import { loadOrt, requireOrt } from '../helpers/ortAvailable.js';
import { tempDir } from '../helpers/tempDir.js';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repoRoot, 'bin/atelier.js');

async function atelier(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: repoRoot, env: { ...process.env, ATELIER_HOME: tempDir('atelier-gpu-') } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Is a library of this name on the machine for real (then the test cannot expect it missing)? */
const present = (file: string) => !missingCudaPieces(tempDir('atelier-ort-')).some((m) => m.file === file);

describe('CUDA provider diagnosis', () => {
  it("names the provider's libraries (fix: atelier gpu install cuda) and each CUDA/cuDNN library the loader cannot find", () => {
    const missing = missingCudaPieces(tempDir('atelier-ort-'), 'linux-x64');
    for (const file of CUDA_PROVIDER_LIBRARIES) expect(missing).toContainEqual({ file, fix: 'run: atelier gpu install cuda' });
    for (const { file } of CUDA_SYSTEM_LIBRARIES) if (!present(file)) expect(missing.map((m) => m.file)).toContain(file);
    expect(describeMissing(missing)).toMatch(/libonnxruntime_providers_cuda\.so, libonnxruntime_providers_shared\.so missing \(run: atelier gpu install cuda\)/);
  });

  it('finds files where the loader would: the provider beside the binding, the libraries on LD_LIBRARY_PATH', () => {
    const binding = tempDir('atelier-ort-');
    for (const f of CUDA_PROVIDER_LIBRARIES) writeFileSync(path.join(binding, f), '');
    const libs = tempDir('atelier-cuda-');
    mkdirSync(libs, { recursive: true });
    for (const { file } of CUDA_SYSTEM_LIBRARIES) writeFileSync(path.join(libs, file), '');
    const saved = process.env.LD_LIBRARY_PATH;
    process.env.LD_LIBRARY_PATH = libs;
    try {
      expect(missingCudaPieces(binding, 'linux-x64')).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.LD_LIBRARY_PATH;
      else process.env.LD_LIBRARY_PATH = saved;
    }
  });

  it('says that other platforms have no CUDA provider', () => {
    expect(describeMissing(missingCudaPieces(tempDir('atelier-ort-'), 'darwin-arm64'))).toMatch(/Linux x64 only.*onnx-webgpu/);
  });

  it("installs through onnxruntime-node's own script with the CUDA 12 flag (run only when asked)", () => {
    const { args, env } = installCommand('cuda', '/opt/ort');
    expect(args).toEqual(['/opt/ort/script/install.js']);
    expect(env.ONNXRUNTIME_NODE_INSTALL).toBe('cuda12');
  });
});

const available = await loadOrt('onnx-cuda');
requireOrt('onnx-cuda', available);

describe.skipIf(!available.ort)('onnx-cuda without CUDA', () => {
  it.skipIf(CUDA_SYSTEM_LIBRARIES.every((l) => present(l.file)))('a named onnx-cuda backend fails at once with what is missing', async () => {
    await expect(initBackend('onnx-cuda')).rejects.toThrow(/backend onnx-cuda is not available: ONNX Runtime's CUDA provider cannot load: .*missing/);
  });

  it('the CLI: stylize --backend onnx-cuda exits with one line naming the fix; gpu status says what is missing; a bad runtime is a usage error', async () => {
    // Generated inputs: the run must stop at the backend, whatever the image and weights.
    const dir = tempDir('atelier-gpu-in-');
    const img = path.join(dir, 'in.png');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 80, b: 20 } } }).png().toFile(img);
    const weights = path.join(dir, 'w');
    writeTfjsDir(weights, makeRawLayers(4, 2));
    const st = await atelier(['stylize', img, img, '-o', path.join(tempDir('atelier-gpu-out-'), 'o.png'), '--backend', 'onnx-cuda', '--weights', weights, '--size', '32']);
    expect(st.code).not.toBe(0);
    expect(st.stderr.trim().split('\n').filter((l) => l.startsWith('atelier:'))).toHaveLength(1);
    expect(st.stderr).toMatch(/onnx-cuda is not available: .*atelier gpu install cuda/);
    const status = await atelier(['gpu', 'status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^onnx-cuda: .*missing/);
    const bad = await atelier(['gpu', 'install', 'rocm']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown runtime 'rocm'/);
  });
});
