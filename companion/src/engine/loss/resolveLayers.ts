/**
 * Which layers a run uses, given the parameters and the layers the weights cover. A requested layer
 * the weights lack is an error naming the available layers; but when the DEFAULT layers are asked
 * for and the weights cover only some of them, the engine falls back to the default layers that
 * exist (content: the deepest conv*_2 available) and says so in a warning.
 */
import { DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, type StylizeParams } from '../../../../shared/params.js';
import { EngineError } from '../errors.js';
import { resolveLayerName, shortLayerName, VGG19_LAYERS } from '../network/layers.js';
import { normalizeWeights } from './description.js';

/** Layers and their normalised weights for one run. */
export interface LayerPlan {
  /** Keras names of the content layers and their weights w_l (sum 1). */
  content: string[];
  contentWeights: number[];
  /** Keras names of the style layers and their weights v_l (sum 1). */
  style: string[];
  styleWeights: number[];
  /** Substitutions made because the weights lack default layers. */
  warnings: string[];
}

type LayerParams = Pick<StylizeParams, 'contentLayers' | 'styleLayers' | 'contentLayerWeights' | 'styleLayerWeights'>;

const sameList = (a: string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === resolveLayerName(b[i]));

function describe(available: string[]): string {
  return available.length > 1 ? `${available[0]}..${available[available.length - 1]}` : available.join('');
}

function missingError(kind: string, name: string, available: string[]): EngineError {
  return new EngineError(
    'missing_layer',
    `${kind} layer ${shortLayerName(name)} (${name}) is not in the loaded VGG-19 weights; available layers: ${available.join(', ')}`,
  );
}

/** Resolves aliases, checks the layers against the weights, applies the default-layer fallback. */
export function resolveLayers(params: LayerParams, available: readonly string[]): LayerPlan {
  const avail = [...available];
  const has = (l: string) => avail.includes(l);
  const warnings: string[] = [];

  const contentRequested = params.contentLayers.map(resolveLayerName);
  const styleRequested = params.styleLayers.map(resolveLayerName);
  let contentWeights = normalizeWeights(params.contentLayerWeights, contentRequested.length, 'content layer weights');
  let styleWeights = normalizeWeights(params.styleLayerWeights, styleRequested.length, 'style layer weights');
  let content = contentRequested;
  let style = styleRequested;

  if (!content.every(has)) {
    const missing = content.find((l) => !has(l))!;
    if (!sameList(content, DEFAULT_CONTENT_LAYERS)) throw missingError('content', missing, avail);
    const fallback = [...VGG19_LAYERS].reverse().find((l) => l.conv === 2 && has(l.name));
    if (!fallback) throw missingError('content', missing, avail);
    content = [fallback.name];
    contentWeights = [1];
    warnings.push(
      `the weights cover only ${describe(avail)}: content layer ${DEFAULT_CONTENT_LAYERS.join(',')} replaced by ${shortLayerName(fallback.name)}`,
    );
  }

  if (!style.every(has)) {
    const missing = style.find((l) => !has(l))!;
    if (!sameList(style, DEFAULT_STYLE_LAYERS)) throw missingError('style', missing, avail);
    const keep = style.map((l, i) => [l, i] as const).filter(([l]) => has(l));
    if (keep.length === 0) throw missingError('style', missing, avail);
    style = keep.map(([l]) => l);
    styleWeights = normalizeWeights(
      keep.map(([, i]) => styleWeights[i]),
      keep.length,
      'style layer weights',
    );
    warnings.push(
      `the weights cover only ${describe(avail)}: style layers ${DEFAULT_STYLE_LAYERS.join(',')} replaced by ${style.map(shortLayerName).join(',')}`,
    );
  }
  return { content, contentWeights, style, styleWeights, warnings };
}
