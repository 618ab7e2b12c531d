/**
 * What ONNX Runtime's CUDA execution provider needs on Linux x64, and which of it this machine
 * lacks, so that `--backend onnx-cuda` can say exactly what to install. onnxruntime-node 1.30 is
 * built for CUDA 12 and cuDNN 9; its npm package does not carry the provider's own libraries (its
 * install script fetches them, which Atelier only runs when asked: `atelier gpu install cuda`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** The provider's libraries, installed beside onnxruntime-node's binding by its install script. */
export const CUDA_PROVIDER_LIBRARIES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'] as const;

/** The CUDA 12 / cuDNN 9 libraries the provider loads, and where each comes from. */
export const CUDA_SYSTEM_LIBRARIES: ReadonlyArray<{ file: string; from: string }> = [
  { file: 'libcudart.so.12', from: 'the CUDA 12 runtime' },
  { file: 'libcublas.so.12', from: 'CUDA 12 cuBLAS' },
  { file: 'libcublasLt.so.12', from: 'CUDA 12 cuBLAS' },
  { file: 'libcufft.so.11', from: 'CUDA 12 cuFFT' },
  { file: 'libcudnn.so.9', from: 'cuDNN 9 for CUDA 12' },
];

/** One missing piece and how to get it. */
export interface MissingCudaPiece {
  file: string;
  fix: string;
}

/** Folders the dynamic loader searches, as far as they can be known without loading anything. */
function loaderDirs(): string[] {
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  dirs.push('/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib');
  try {
    for (const d of readdirSync('/usr/local')) if (/^cuda/.test(d)) dirs.push(path.join('/usr/local', d, 'lib64'));
  } catch {
    // no /usr/local
  }
  return dirs;
}

/** The library names in the loader's cache (`ldconfig -p`), or an empty set where it cannot be read. */
function loaderCache(): Set<string> {
  try {
    const out = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    return new Set(out.split('\n').map((l) => l.trim().split(' ')[0]).filter(Boolean));
  } catch {
    return new Set();
  }
}

/** What the CUDA provider needs and this machine lacks (empty: everything is there). `bindingDir` is onnxruntime-node's native folder. */
export function missingCudaPieces(bindingDir: string, platform = `${process.platform}-${process.arch}`): MissingCudaPiece[] {
  if (platform !== 'linux-x64') return [{ file: 'the CUDA execution provider', fix: `onnxruntime-node has no CUDA provider for ${platform} (Linux x64 only); use --backend onnx-webgpu` }];
  const missing: MissingCudaPiece[] = [];
  for (const file of CUDA_PROVIDER_LIBRARIES) {
    if (!existsSync(path.join(bindingDir, file))) missing.push({ file, fix: 'run: atelier gpu install cuda' });
  }
  const cache = loaderCache();
  const dirs = loaderDirs();
  for (const { file, from } of CUDA_SYSTEM_LIBRARIES) {
    if (!cache.has(file) && !dirs.some((d) => existsSync(path.join(d, file)))) missing.push({ file, fix: `install ${from}` });
  }
  return missing;
}

/** One line naming what is missing and the fixes, e.g. for the backend's error. */
export function describeMissing(missing: MissingCudaPiece[]): string {
  const byFix = new Map<string, string[]>();
  for (const m of missing) byFix.set(m.fix, [...(byFix.get(m.fix) ?? []), m.file]);
  return [...byFix].map(([fix, files]) => `${files.join(', ')} missing (${fix})`).join('; ');
}
