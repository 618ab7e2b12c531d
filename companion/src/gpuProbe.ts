/**
 * Lists the WebGPU adapters Dawn sees, from a child process: on a machine without a GPU, Dawn
 * writes Vulkan warnings straight to file descriptor 2, which no JavaScript can intercept in the
 * same process. The child's stderr reaches the terminal only at log level debug.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { NO_ADAPTER, describeAdapter, probeWebGpu, uninstallNavigatorGpu, type GpuAdapter } from './engine/index.js';

/** One adapter Dawn offered for a power preference. */
export interface SeenAdapter {
  powerPreference: 'high-performance' | 'low-power';
  device: string;
  software: boolean;
}

/** The child: loads Dawn, asks for each power preference, prints the adapters' info as JSON. */
const CHILD = (dawnUrl: string): string => `
const dawn = await import(${JSON.stringify(dawnUrl)});
const gpu = dawn.create([]);
const seen = [];
for (const powerPreference of ['high-performance', 'low-power']) {
  const a = await gpu.requestAdapter({ powerPreference });
  if (a) {
    const i = a.info ?? {};
    seen.push({ powerPreference, info: { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter }, isFallbackAdapter: a.isFallbackAdapter, features: [] });
  }
}
process.stdout.write(JSON.stringify(seen));
process.exit(0);`;

/** The `webgpu` package's entry, or null in a bundle without node_modules (scripts/bundle-companion.mjs). */
function dawnModuleUrl(): string | null {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch {
    return null;
  }
}

/** The adapters Dawn offers (empty: none); rejects with the reason when Dawn cannot load. */
export async function listGpuAdapters(opts: { showNativeOutput?: boolean } = {}): Promise<SeenAdapter[]> {
  const dawn = dawnModuleUrl();
  if (!dawn) {
    // Bundled: Dawn sits inside the bundle, where only this process can load it (noise included).
    return probeWebGpu()
      .then(
        (a): SeenAdapter[] => [{ powerPreference: 'high-performance', ...a }],
        () => [],
      )
      .finally(uninstallNavigatorGpu); // a backend that wants Dawn installs it again; an installed one keeps Node alive
  }
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', CHILD(dawn)], { timeout: 60_000 }, (err, out, errText) => {
      if (opts.showNativeOutput && errText) process.stderr.write(errText);
      if (err) reject(new Error(`the webgpu (Dawn) module failed to load: ${errText.trim().split('\n').pop() || err.message}`));
      else resolve(out);
    });
  });
  const seen = JSON.parse(stdout) as Array<GpuAdapter & { powerPreference: SeenAdapter['powerPreference'] }>;
  return seen.map((a) => ({ powerPreference: a.powerPreference, ...describeAdapter(a) }));
}

/** A `probeWebGpu` for initBackend that keeps Dawn's native output off the terminal unless asked. */
export function quietWebGpuProbe(showNativeOutput: boolean): () => Promise<{ device: string; software: boolean }> {
  return async () => {
    const high = (await listGpuAdapters({ showNativeOutput })).find((a) => a.powerPreference === 'high-performance');
    if (!high) throw new Error(NO_ADAPTER);
    return { device: high.device, software: high.software };
  };
}
