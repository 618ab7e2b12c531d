import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Vgg19 } from '../../companion/src/engine/network/vgg19.js';
import { stylize } from '../../companion/src/engine/stylize.js';
import type { Progress } from '../../companion/src/engine/types.js';
import { loadWeights } from '../../companion/src/weights/index.js';
import { fitLongerSide } from '../../companion/src/engine/image/resize.js';
import { imageToTensor, readImageFile, resizeDecoded } from '../../companion/src/io/images.js';
import { parseStylizeParams } from '../../shared/params.js';
import { sharedMissing, sharedPath } from '../helpers/sharedData.js';

const weightsDir = sharedPath('models/vgg19-block1-3');
const missing = sharedMissing('models/vgg19-block1-3/model.json', 'images/tubingen.jpg', 'images/starry_night.jpg');
if (missing) console.warn(`skipping the real-weights stylization: ${missing}`);

describe.skipIf(!!missing)('stylization with the real VGG-19 block1-3 weights', () => {
  let model: Vgg19;
  let content: tf.Tensor3D;
  let style: tf.Tensor3D;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = new Vgg19((await loadWeights(weightsDir)).weights);
    // decode, then shrink with sharp so the test stays small
    const c = await readImageFile(sharedPath('images/tubingen.jpg'));
    const s = await readImageFile(sharedPath('images/starry_night.jpg'));
    content = imageToTensor(await resizeDecoded(c, fitLongerSide(c, 40)));
    style = imageToTensor(await resizeDecoded(s, fitLongerSide(s, 40)));
  });

  afterAll(() => {
    tf.dispose([content, style]);
    model?.dispose();
  });

  it('falls back to conv3_2 / conv1_1,conv2_1,conv3_1 and lowers the loss', async () => {
    const before = tf.memory().numTensors;
    expect(model.availableLayers).toHaveLength(8);
    const seen: Progress[] = [];
    const r = await stylize(model, { content, styles: [style], params: parseStylizeParams({ size: 32, iterations: 4 }), onProgress: (p) => seen.push(p) });
    expect(r.warnings.join('\n')).toMatch(/conv4_2 replaced by conv3_2/);
    expect(r.warnings.join('\n')).toMatch(/replaced by conv1_1,conv2_1,conv3_1/);
    expect(seen.at(-1)!.losses.total).toBeLessThan(0.7 * seen[0].losses.total);
    expect(seen.at(-1)!.losses.style).toBeLessThan(seen[0].losses.style);
    r.image.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
