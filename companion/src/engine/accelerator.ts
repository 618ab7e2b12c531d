/**
 * An objective accelerator: another runtime that evaluates the VGG-19 loss and gradient faster than
 * TF.js on this machine (ONNX Runtime's CPU kernels, see onnx/), while TF.js keeps the targets,
 * the optimiser and the image. createObjective hands it the precomputed targets.
 */
import type * as tf from '@tensorflow/tfjs';
import type { StylizeParams } from '../../../shared/params.js';
import type { Objective } from './objective.js';
import type { LayerPlan } from './resolveLayers.js';
import type { Vgg19 } from './vgg19.js';

/** What an accelerated objective is built from. The tensors stay owned by the caller until `dispose`. */
export interface AcceleratedObjectiveSetup {
  height: number;
  width: number;
  plan: LayerPlan;
  params: StylizeParams;
  /** Blended style targets A_l per style layer [C,C]. */
  grams: Map<string, tf.Tensor2D>;
  /** Content features F_l(c) per content layer [1,h,w,C]. */
  contentFeatures: Map<string, tf.Tensor4D>;
  /** Called by the objective's dispose (frees the targets above). */
  release(): void;
}

export interface ObjectiveAccelerator {
  /** e.g. "ONNX Runtime 1.30.0 (CPU, 2 threads)". */
  readonly description: string;
  /** Bytes an untiled evaluation may use (host memory); larger images use TF.js's tiled objective. */
  readonly memoryLimitBytes: number;
  createObjective(model: Vgg19, setup: AcceleratedObjectiveSetup): Promise<Objective>;
  /** ReLU outputs [1,h,w,C] at `layers` of an RGB 0..255 image [1,H,W,3] (for the targets). Caller disposes. */
  features(model: Vgg19, image: tf.Tensor4D, layers: string[], pooling: 'max' | 'avg'): Promise<Map<string, tf.Tensor4D>>;
  /** Releases what the accelerator itself holds (each objective releases its own session). */
  dispose(): Promise<void>;
}
