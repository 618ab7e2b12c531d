/**
 * The engine's front door: the only module the rest of the companion imports (besides the light
 * door contract.ts, which this re-exports, for code that must not load TF.js). What is here is the
 * engine's API; everything else under engine/ is its inside and may change shape freely.
 *
 * - run: stylize (the coarse-to-fine driver), the style-target cache shared across a batch;
 * - network: Vgg19 (built from loaded weights);
 * - runtime: initBackend/describeBackend (a run's compute, chosen once), the auto order, WebGPU probing;
 * - planning and checks: resolveLayers, planScales, measureSpeed (serve's speed and doctor's
 *   check).
 */
export * from './contract.js';
export { stylize } from './stylize.js';
export { createStyleTargetCache, type StyleTargetCache } from './loss/styleTargets.js';
export { resolveLayers } from './loss/resolveLayers.js';
export { planScales } from './schedule/sizePlan.js';
export { Vgg19 } from './network/vgg19.js';
export { measureSpeed } from './evaluate/speed.js';
export type { OrtRuntime } from './evaluate/onnx/ortRuntime.js';
export { describeBackend, initBackend, type BackendInfo } from './runtime/backend.js';
export { autoOrder, firstThatStarts, type Skip } from './runtime/autoOrder.js';
export { cudaProviderMissing, ortBindingDir } from './runtime/backends/onnx.js';
export { describeAdapter, NO_ADAPTER, probeWebGpu, uninstallNavigatorGpu, type GpuAdapter } from './runtime/backends/webgpu.js';
