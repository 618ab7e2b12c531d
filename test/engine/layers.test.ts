import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { VGG19_LAYERS, resolveLayerName, minSideFor } from '../../companion/src/engine/network/layers.js';
import { resolveLayers } from '../../companion/src/engine/loss/resolveLayers.js';
import { Vgg19 } from '../../companion/src/engine/network/vgg19.js';
import { EngineError } from '../../companion/src/engine/errors.js';
import { parseStylizeParams } from '../../shared/params.js';
import { createSmallVggWeights } from '../helpers/smallVgg.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const BLOCK1_3 = VGG19_LAYERS.slice(0, 8).map((l) => l.name);

describe('layer names', () => {
  it('has the 16 VGG-19 convolutions with their channels', () => {
    expect(VGG19_LAYERS).toHaveLength(16);
    expect(VGG19_LAYERS[0]).toMatchObject({ name: 'block1_conv1', inChannels: 3, outChannels: 64 });
    expect(VGG19_LAYERS[15]).toMatchObject({ name: 'block5_conv4', inChannels: 512, outChannels: 512 });
    expect(VGG19_LAYERS.filter((l) => l.lastInBlock).map((l) => l.name)).toEqual([
      'block1_conv2', 'block2_conv2', 'block3_conv4', 'block4_conv4', 'block5_conv4',
    ]);
  });

  it('resolves conv/relu aliases and rejects unknown names', () => {
    expect(resolveLayerName('conv4_2')).toBe('block4_conv2');
    expect(resolveLayerName('relu4_2')).toBe('block4_conv2');
    expect(resolveLayerName('block4_conv2')).toBe('block4_conv2');
    expect(() => resolveLayerName('conv2_3')).toThrow(EngineError);
    try {
      resolveLayerName('pool5');
    } catch (e) {
      expect((e as EngineError).code).toBe('unknown_layer');
    }
  });

  it('minimum side: one pixel left at the deepest layer', () => {
    expect(minSideFor(['block1_conv1'])).toBe(1);
    expect(minSideFor(['block2_conv1'])).toBe(2);
    expect(minSideFor(['block5_conv1', 'block1_conv1'])).toBe(16);
  });
});

describe('resolving layers against partial weights', () => {
  const defaults = parseStylizeParams({});

  it('uses the defaults unchanged with full weights', () => {
    const plan = resolveLayers(defaults, VGG19_LAYERS.map((l) => l.name));
    expect(plan.content).toEqual(['block4_conv2']);
    expect(plan.style).toEqual(['block1_conv1', 'block2_conv1', 'block3_conv1', 'block4_conv1', 'block5_conv1']);
    expect(plan.styleWeights).toEqual([0.2, 0.2, 0.2, 0.2, 0.2]);
    expect(plan.warnings).toEqual([]);
  });

  it('falls back from the defaults to what block1-3 weights cover, with a warning', () => {
    const plan = resolveLayers(defaults, BLOCK1_3);
    expect(plan.content).toEqual(['block3_conv2']);
    expect(plan.style).toEqual(['block1_conv1', 'block2_conv1', 'block3_conv1']);
    expect(plan.styleWeights.reduce((a, b) => a + b)).toBeCloseTo(1, 10);
    expect(plan.warnings.join('\n')).toMatch(/conv4_2 replaced by conv3_2/);
    expect(plan.warnings.join('\n')).toMatch(/replaced by conv1_1,conv2_1,conv3_1/);
  });

  it('keeps the surviving per-layer style weights in the fallback', () => {
    const plan = resolveLayers({ ...defaults, styleLayerWeights: [1, 2, 1, 5, 5] }, BLOCK1_3);
    expect(plan.styleWeights).toEqual([0.25, 0.5, 0.25]);
  });

  it('refuses explicitly requested layers the weights lack, naming the available ones', () => {
    const ask = (p: Partial<typeof defaults>) => () => resolveLayers({ ...defaults, ...p }, BLOCK1_3);
    expect(ask({ contentLayers: ['conv5_2'] })).toThrow(/conv5_2.*available layers: block1_conv1, .*block3_conv4/);
    expect(ask({ styleLayers: ['conv1_1', 'relu4_1'] })).toThrow(/conv4_1/);
    try {
      ask({ contentLayers: ['conv4_1'] })();
    } catch (e) {
      expect((e as EngineError).code).toBe('missing_layer');
    }
    expect(ask({ styleLayerWeights: [1, 2] })).toThrow(/expected 5/);
  });

  it('errors when not even a fallback exists', () => {
    expect(() => resolveLayers(defaults, ['block1_conv1'])).toThrow(/not in the loaded VGG-19 weights/);
  });
});

describe('Vgg19', () => {
  const weights = createSmallVggWeights({ upTo: 'block3_conv4' });
  const model = new Vgg19(weights);
  afterAll(() => model.dispose());

  it('reports the layers its weights cover and runs only as deep as asked', () => {
    expect(model.availableLayers).toEqual(BLOCK1_3);
    const before = tf.memory().numTensors;
    const x = tf.randomNormal([1, 16, 12, 3]) as tf.Tensor4D;
    const feats = model.features(x, ['block1_conv2', 'block3_conv1'], 'max');
    expect([...feats.keys()].sort()).toEqual(['block1_conv2', 'block3_conv1']);
    expect(feats.get('block1_conv2')!.shape).toEqual([1, 16, 12, 4]);
    expect(feats.get('block3_conv1')!.shape).toEqual([1, 4, 3, 16]);
    const avg = model.features(x, ['block2_conv1'], 'avg');
    expect(avg.get('block2_conv1')!.shape).toEqual([1, 8, 6, 8]);
    tf.dispose([x, ...feats.values(), ...avg.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('throws missing_layer for layers beyond the weights', () => {
    const x = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
    expect(() => model.features(x, ['block4_conv1'], 'max')).toThrow(/available: block1_conv1/);
    x.dispose();
  });

  it('rejects weights with inconsistent shapes or without block1_conv1', () => {
    const bad = new Map([['block1_conv1', { kernel: tf.zeros([3, 3, 4, 8]) as tf.Tensor4D, bias: tf.zeros([8]) as tf.Tensor1D }]]);
    expect(() => new Vgg19(bad)).toThrow(/expected \[3,3,3,C\]/);
    expect(() => new Vgg19(new Map())).toThrow(/no VGG-19 layer/);
    tf.dispose([...bad.values()].flatMap((w) => [w.kernel, w.bias]));
  });
});
