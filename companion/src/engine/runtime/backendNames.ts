/**
 * The compute backends a user can name: the one list, for the CLI's flags (which must not load
 * TF.js to print their help), the engine's chooser and the benchmarks. backend.ts says what each is.
 */
export const BACKEND_NAMES = ['auto', 'onnx-cuda', 'onnx-webgpu', 'webgpu', 'cuda', 'native', 'onnx', 'wasm', 'cpu'] as const;
/** A backend name, or `auto`. */
export type BackendName = (typeof BACKEND_NAMES)[number];
/** A concrete backend. */
export type ConcreteBackend = Exclude<BackendName, 'auto'>;
/**
 * The concrete backends, in the order `auto` tries them on a machine with a hardware GPU adapter
 * (autoOrder.ts moves the WebGPU ones after wasm on a software adapter).
 */
export const CONCRETE_BACKENDS = BACKEND_NAMES.filter((n): n is ConcreteBackend => n !== 'auto');
