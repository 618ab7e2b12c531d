/**
 * The engine's contract: what goes in, what comes out, what is reported while it runs.
 * The engine is pure TF.js: tensors in, tensors out, no HTTP, no files.
 */
import type * as tf from '@tensorflow/tfjs';
import type { StylizeParams } from '../../../shared/params.js';
import type { StyleTargetCache } from './loss/styleTargets.js';

export type { ConvWeights, VggWeights } from './network/vgg19.js';

/** An RGB image as a float32 tensor [H, W, 3], values 0..255. */
export type RgbImage = tf.Tensor3D;

/** Loss terms (shared with the API's schema). content/style/tv unweighted; total = α·content + β·style + γ·tv. */
export type { LossTerms } from '../../../shared/protocol.js';
import type { LossTerms } from '../../../shared/protocol.js';

/** A small preview image read back from the device (RGB, 8-bit, row-major). */
export interface Preview {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** Reported by the engine during a run. */
export interface Progress {
  /** 1-based index of the current scale and the number of scales. */
  scale: number;
  scales: number;
  /** Size of the current scale's image. */
  width: number;
  height: number;
  /** Optimiser iterations done in this scale, and planned for it. */
  iteration: number;
  iterations: number;
  /** Loss+gradient evaluations so far (all scales). */
  evaluations: number;
  losses: LossTerms;
  /** Seconds since start, and estimated seconds remaining. */
  elapsed: number;
  eta: number;
  /** Present every `previewEvery` iterations. */
  preview?: Preview;
}

/** What `stylize` needs. Tensors passed in stay owned by the caller. */
export interface StylizeRequest {
  content: RgbImage;
  styles: RgbImage[];
  /** Required when params.init === 'image'. */
  initImage?: RgbImage;
  params: StylizeParams;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** Shares style Gram targets across the items of a batch (created with createStyleTargetCache, disposed by the caller). */
  styleTargets?: StyleTargetCache;
}

/** What `stylize` returns. `image` is owned by the caller (dispose it). */
export interface StylizeResult {
  image: RgbImage;
  width: number;
  height: number;
  losses: LossTerms;
  iterations: number;
  evaluations: number;
  seconds: number;
  /** Human-readable notes, e.g. default layers substituted because the weights lack them. */
  warnings: string[];
}
