/**
 * The engine's light door: its contract (request/result types, errors) and the static facts the
 * CLI, the weights and the job queue need before anything is computed (backend names, default
 * memory budgets, VGG-19's layer table, which CUDA libraries are missing). It loads no compute
 * library (TF.js, ONNX Runtime, Dawn), so verbs that compute nothing start fast; the module-graph
 * test checks that. index.ts, the engine's front door, re-exports all of it.
 */
export { CancelledError, EngineError } from './errors.js';
export type { ConvWeights, LossTerms, Preview, Progress, RgbImage, StylizeRequest, StylizeResult, VggWeights } from './types.js';
export { BACKEND_NAMES, CONCRETE_BACKENDS, type BackendName, type ConcreteBackend } from './runtime/backendNames.js';
export { DEFAULT_BUDGETS } from './evaluate/tiling.js';
export { VGG19_LAYERS, type VggLayer } from './network/layers.js';
export { CUDA_PROVIDER_LIBRARIES, CUDA_SYSTEM_LIBRARIES, describeMissing, missingCudaPieces, type MissingCudaPiece } from './runtime/backends/cudaLibraries.js';
