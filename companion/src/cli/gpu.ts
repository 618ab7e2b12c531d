/**
 * `atelier gpu install cuda`: fetches ONNX Runtime's CUDA 12 execution provider for the `onnx-cuda`
 * backend, by running onnxruntime-node's own install script, which Atelier keeps switched off at
 * install time (it downloads binaries). `atelier gpu status`: what the CUDA provider still lacks.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from './usageError.js';

/** GPU runtimes `gpu install` knows, and the onnxruntime-node install flag of each. */
export const GPU_RUNTIMES = { cuda: 'cuda12' } as const;

/** The command that installs a runtime's provider into onnxruntime-node's native folder. */
export function installCommand(runtime: keyof typeof GPU_RUNTIMES, ortPackageDir: string): { cmd: string; args: string[]; env: NodeJS.ProcessEnv } {
  return {
    cmd: process.execPath,
    args: [path.join(ortPackageDir, 'script', 'install.js')],
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: GPU_RUNTIMES[runtime] },
  };
}

async function missingNow(): Promise<string[]> {
  const { ortBindingDir, missingCudaPieces, describeMissing } = await import('../engine/index.js');
  const missing = missingCudaPieces(ortBindingDir());
  return missing.length ? [describeMissing(missing)] : [];
}

/** Adds the `gpu` verbs. */
export function configure(gpu: Command): void {
  gpu
    .command('install')
    .description("download ONNX Runtime's CUDA 12 provider for --backend onnx-cuda (Linux x64; needs CUDA 12 and cuDNN 9)")
    .argument('<runtime>', 'cuda')
    .action(async (runtime: string) => {
      if (!Object.hasOwn(GPU_RUNTIMES, runtime)) throw new UsageError(`gpu install: unknown runtime '${runtime}' (known: ${Object.keys(GPU_RUNTIMES).join(', ')})`);
      if (`${process.platform}-${process.arch}` !== 'linux-x64') throw new UsageError(`gpu install cuda: ONNX Runtime's CUDA provider is for Linux x64 only (this is ${process.platform}-${process.arch}); use --backend onnx-webgpu`, 1);
      let ortDir: string;
      try {
        const { createRequire } = await import('node:module');
        ortDir = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
      } catch {
        throw new UsageError('gpu install: onnxruntime-node is not installed (npm install onnxruntime-node)', 1);
      }
      if (!existsSync(path.join(ortDir, 'script', 'install.js'))) throw new UsageError(`gpu install: ${ortDir} has no install script`, 1);
      const { cmd, args, env } = installCommand(runtime as keyof typeof GPU_RUNTIMES, ortDir);
      process.stdout.write(`Downloading ONNX Runtime's CUDA provider into ${ortDir} …\n`);
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(cmd, args, { env, stdio: 'inherit' });
        child.on('error', reject);
        child.on('close', resolve);
      });
      if (code !== 0) throw new UsageError(`gpu install cuda: the download failed (exit code ${code}); see the lines above`, 1);
      const left = await missingNow();
      process.stdout.write(left.length ? `Installed the provider; still missing: ${left[0]}\n` : 'Ready: atelier stylize … --backend onnx-cuda\n');
    });
  gpu
    .command('status')
    .description('say what --backend onnx-cuda still needs on this machine')
    .action(async () => {
      const left = await missingNow();
      process.stdout.write(left.length ? `onnx-cuda: ${left[0]}\n` : 'onnx-cuda: the CUDA provider and the CUDA 12 / cuDNN 9 libraries are all present\n');
      if (left.length) process.exitCode = 1;
    });
}
