/**
 * THE global patch of the engine, in one place: Dawn's `navigator.gpu` (and its WebGPU globals)
 * installed on Node's globalThis. @tensorflow/tfjs-backend-webgpu looks for navigator.gpu when it
 * is imported and registers itself only if it exists; and while it exists, Dawn keeps Node alive,
 * so it is removed at shutdown. Nothing else in the engine touches globals.
 */

/** What Dawn says about an adapter (the fields describeAdapter reads). */
export type GpuAdapter = {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
  features: Set<string>;
};

/** The part of navigator.gpu used here. */
export type Gpu = { requestAdapter(opts?: object): Promise<GpuAdapter | null> };

let installedGpu: Gpu | undefined;

/** Creates navigator.gpu from Dawn once per process; throws with a readable reason when Dawn cannot load. */
export async function installNavigatorGpu(): Promise<Gpu> {
  if (installedGpu) return installedGpu;
  const dawn = (await import('webgpu')) as unknown as { create(flags: string[]): Gpu; globals: object };
  const gpu = dawn.create([]);
  Object.assign(globalThis, dawn.globals);
  const g = globalThis as unknown as { navigator?: { gpu?: Gpu } };
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  }
  installedGpu = gpu;
  return gpu;
}

/** Removes navigator.gpu so that Dawn lets the process exit. */
export function uninstallNavigatorGpu(): void {
  const g = globalThis as unknown as { navigator?: { gpu?: Gpu } };
  if (g.navigator && 'gpu' in g.navigator) delete g.navigator.gpu;
  installedGpu = undefined;
}
