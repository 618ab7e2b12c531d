/**
 * The objective of one scale: total = α·content + β·style + γ·tv (loss/description.ts) for images
 * of one size, with its content and style targets precomputed. `evaluate` gives the loss, its
 * gradient with respect to the image, and the unweighted terms. createObjective is the TF.js
 * autodiff evaluator — the reference; chooseEvaluator.ts picks the evaluator a run uses.
 */
import * as tf from '@tensorflow/tfjs';
import type { StylizeParams } from '../../../../shared/params.js';
import { atLayer, contentLoss, scaled, styleLoss, summed, tvLoss, type Features } from '../loss/tfjsLoss.js';
import { describeLoss, termWeights, TERMS } from '../loss/description.js';
import { preprocess } from '../network/preprocess.js';
import { resolveLayers, type LayerPlan } from '../loss/resolveLayers.js';
import { blendedStyleTargets, type GramsOf, type StyleTargetCache } from '../loss/styleTargets.js';
import { EngineError } from '../errors.js';
import type { Vgg19 } from '../network/vgg19.js';

export type { GramsOf };

/** What an objective needs. Tensors passed in stay owned by the caller. */
export interface ObjectiveOptions {
  /** Content image, RGB 0..255 [H,W,3], at the size being optimised (used as given). */
  content: tf.Tensor3D;
  /** Style images, RGB 0..255 [h,w,3], any size: each is resized so its longer side is max(H,W)·styleScale. */
  styles: tf.Tensor3D[];
  /** Uses contentWeight, styleWeight, tvWeight, the layers and layer weights, styleBlend, styleScale, pooling. */
  params: StylizeParams;
  /** Precomputed layer plan (default: resolveLayers(params, model.availableLayers)). */
  layers?: LayerPlan;
  /** Shared Gram cache (default: a private one, disposed with the objective). */
  styleTargets?: StyleTargetCache;
  /** Long evaluations (tiled) stop between tiles with CancelledError once it is aborted. */
  signal?: AbortSignal;
  /** Computes the style images' Grams (default: TF.js on the active backend, untiled). */
  gramsOf?: GramsOf;
}

/** One loss+gradient evaluation. Every tensor is owned by the caller. */
export interface Evaluation {
  /** Weighted total α·content + β·style + γ·tv. */
  loss: tf.Scalar;
  /** d total / d image, same shape as the image [1,H,W,3]. */
  grad: tf.Tensor4D;
  /** Unweighted terms. */
  terms: { content: tf.Scalar; style: tf.Scalar; tv: tf.Scalar };
}

/** The loss of one scale, ready to evaluate. */
export interface Objective {
  /**
   * Loss, gradient and terms for an RGB 0..255 image [1,H,W,3] of the content's size. Asynchronous
   * so that an objective can run elsewhere (ONNX Runtime) or yield between tiles.
   */
  evaluate(x: tf.Tensor4D): Promise<Evaluation>;
  readonly height: number;
  readonly width: number;
  readonly layers: LayerPlan;
  /** Frees the targets. */
  dispose(): void;
}

/**
 * An Objective for images of one size from its evaluate and dispose: images of another size are
 * rejected with EngineError `bad_input` before `evaluate` sees them.
 */
export function sizedObjective(
  size: { height: number; width: number; layers: LayerPlan },
  impl: { evaluate(x: tf.Tensor4D): Promise<Evaluation>; dispose(): void },
): Objective {
  const { height, width } = size;
  return {
    ...size,
    evaluate(x) {
      if (x.shape[1] !== height || x.shape[2] !== width) {
        return Promise.reject(new EngineError('bad_input', `the image is ${x.shape[2]}x${x.shape[1]}; this objective is for ${width}x${height}`));
      }
      return impl.evaluate(x);
    },
    dispose: () => impl.dispose(),
  };
}

/** Disposes every tensor of an Evaluation. */
export function disposeEvaluation(e: Evaluation): void {
  tf.dispose([e.loss, e.grad, e.terms.content, e.terms.style, e.terms.tv]);
}

/** The TF.js autodiff objective: precomputes content features and blended style Grams. */
export async function createObjective(model: Vgg19, opts: ObjectiveOptions): Promise<Objective> {
  const { params, content } = opts;
  const plan = opts.layers ?? resolveLayers(params, model.availableLayers);
  const loss = describeLoss(params, plan);
  const [height, width] = content.shape;
  const style = await blendedStyleTargets(model, { styles: opts.styles, params, height, width, layers: plan.style, cache: opts.styleTargets, gramsOf: opts.gramsOf });
  let contentFeatures: tf.Tensor4D[] = [];
  const release = () => {
    tf.dispose(contentFeatures);
    style.release();
  };
  try {
    contentFeatures = tf.tidy(() => {
      const f = model.features(preprocess(tf.expandDims(content, 0) as tf.Tensor4D), plan.content, params.pooling);
      return plan.content.map((l) => f.get(l)!);
    });
    const contentTerm = summed<Features>(loss.content.map(({ layer, weight }, i) => scaled(weight, atLayer(layer, contentLoss(contentFeatures[i])))));
    const styleTerm = summed<Features>(loss.style.map(({ layer, weight }) => scaled(weight, atLayer(layer, styleLoss(style.grams.get(layer)!)))));
    const layers = [...new Set([...plan.content, ...plan.style])];
    const weights = termWeights(loss);

    return sizedObjective({ height, width, layers: plan }, {
      async evaluate(x) {
        let terms: Evaluation['terms'] | undefined;
        const { value, grad } = tf.valueAndGrad((img: tf.Tensor4D) => {
          const feats = model.features(preprocess(img), layers, params.pooling);
          const t = { content: contentTerm(feats), style: styleTerm(feats), tv: tvLoss(img) };
          terms = { content: tf.keep(t.content), style: tf.keep(t.style), tv: tf.keep(t.tv) };
          return tf.addN(TERMS.map((k) => tf.mul(t[k], weights[k]))) as tf.Scalar;
        })(x);
        return { loss: value, grad: grad as tf.Tensor4D, terms: terms! };
      },
      dispose: release,
    });
  } catch (err) {
    release();
    throw err;
  }
}
