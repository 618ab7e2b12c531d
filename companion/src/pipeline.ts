/**
 * Decoded images in, PNG out: the one path from image bytes through the engine and back, shared by
 * the CLI (`atelier stylize`) and the server's job runner. Owns every tensor it creates.
 */
import * as tf from '@tensorflow/tfjs';
import { createStyleTargetCache, stylize, type OrtRuntime, type Progress, type StyleTargetCache, type StylizeResult, type Vgg19 } from './engine/index.js';
import type { StylizeParams } from '../../shared/params.js';
import { variationParams } from '../../shared/variations.js';
import { encodePng, imageToTensor, resizeDecoded, tensorToRgb, type DecodedImage } from './io/images.js';

/** What one stylization of one content image needs. */
export interface PipelineRequest {
  model: Vgg19;
  /** The onnx backends' runtime (BackendInfo.runtime); absent: TF.js evaluates. */
  runtime?: OrtRuntime;
  content: DecodedImage;
  styles: DecodedImage[];
  initImage?: DecodedImage;
  params: StylizeParams;
  /** Shares Gram targets across the items of a batch; created and disposed by the caller. */
  styleTargets?: StyleTargetCache;
  /** Size of the PNG written: the engine's output size (default) or the content's original size. */
  outputSize?: 'engine' | 'original';
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

/** The encoded result and the engine's report (without its tensor). */
export interface PipelineResult {
  png: Buffer;
  width: number;
  height: number;
  report: Omit<StylizeResult, 'image'>;
}

/** Runs the engine on decoded images and returns a PNG with the content's alpha re-applied. */
export async function stylizeToPng(req: PipelineRequest): Promise<PipelineResult> {
  const content = imageToTensor(req.content);
  const styles: tf.Tensor3D[] = [];
  let init: tf.Tensor3D | undefined;
  try {
    for (const s of req.styles) styles.push(imageToTensor(s));
    if (req.initImage) init = imageToTensor(req.initImage);
    const result = await stylize(req.model, {
      content,
      styles,
      initImage: init,
      params: req.params,
      styleTargets: req.styleTargets,
      onProgress: req.onProgress,
      signal: req.signal,
    }, req.runtime);
    let out: DecodedImage;
    try {
      out = await tensorToRgb(result.image);
    } finally {
      result.image.dispose();
    }
    const { image: _image, ...report } = result;
    if (req.outputSize === 'original' && (out.width !== req.content.width || out.height !== req.content.height)) {
      out = await resizeDecoded(out, req.content);
    }
    const png = await encodePng(
      { ...out, alpha: req.content.alpha },
      { alphaSize: req.content },
    );
    return { png, width: out.width, height: out.height, report };
  } finally {
    content.dispose();
    for (const s of styles) s.dispose();
    init?.dispose();
  }
}

/** A request for params.variations results of one content image; progress says which variation (0-based). */
export interface VariationsRequest extends Omit<PipelineRequest, 'onProgress'> {
  onProgress?: (p: Progress, variation: number) => void;
}

/**
 * The params.variations results of one content image (shared/variations.ts: each its own seed and
 * strength), in order, sharing one set of style targets: req.styleTargets, or a cache of their own.
 */
export async function stylizeVariationsToPng(req: VariationsRequest): Promise<PipelineResult[]> {
  const cache = req.styleTargets ?? createStyleTargetCache();
  const { onProgress } = req;
  try {
    const results: PipelineResult[] = [];
    for (let v = 0; v < req.params.variations; v++) {
      const params = variationParams(req.params, v);
      results.push(await stylizeToPng({ ...req, params, styleTargets: cache, onProgress: onProgress && ((p) => onProgress(p, v)) }));
    }
    return results;
  } finally {
    if (!req.styleTargets) cache.dispose();
  }
}
