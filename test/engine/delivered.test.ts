/**
 * What the user gets is what is reported: the losses of a run are those of the PNG it writes
 * (8-bit rounding aside), because the optimisers keep the pixels in 0..255 instead of clipping at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Vgg19 } from '../../companion/src/engine/network/vgg19.js';
import { createObjective, disposeEvaluation } from '../../companion/src/engine/evaluate/objective.js';
import { stylizeToPng } from '../../companion/src/pipeline.js';
import { decodeImage, imageToTensor, type DecodedImage } from '../../companion/src/io/images.js';
import { parseStylizeParams, type StylizeParamsInput } from '../../shared/params.js';
import { createSmallVggWeights } from '../helpers/smallVgg.js';

let model: Vgg19;
let content: DecodedImage;
let style: DecodedImage;

/** An RGB image from a function of (x, y, channel) → 0..255. */
function image(width: number, height: number, f: (x: number, y: number, c: number) => number): DecodedImage {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) rgb[(y * width + x) * 3 + c] = f(x, y, c);
  return { width, height, rgb, alpha: null };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = new Vgg19(createSmallVggWeights({ channels: 4, seed: 7 }));
  // A bright, low-contrast photo and a high-contrast style: the style's statistics pull pixels past 0 and 255.
  content = image(40, 30, (x, y, c) => 200 + ((x + 2 * y + 17 * c) % 40));
  style = image(40, 40, (x, y, c) => (((x >> 2) + (y >> 2) + c) % 2 ? 255 : 0));
});

afterAll(() => model.dispose());

/** The engine's loss of a decoded PNG, at its size, with the run's parameters. */
async function lossOf(png: Buffer, params: ReturnType<typeof parseStylizeParams>): Promise<number> {
  const img = await decodeImage(png);
  const x = imageToTensor(img);
  const c = imageToTensor(content);
  const s = imageToTensor(style);
  const cResized = tf.image.resizeBilinear(c, [img.height, img.width], false, true) as tf.Tensor3D;
  const objective = await createObjective(model, { content: cResized, styles: [s], params });
  try {
    const x4 = tf.expandDims(x, 0) as tf.Tensor4D;
    const e = await objective.evaluate(x4);
    const total = (await e.loss.data())[0];
    disposeEvaluation(e);
    x4.dispose();
    return total;
  } finally {
    objective.dispose();
    tf.dispose([x, c, s, cResized]);
  }
}

describe('delivered image', () => {
  const cases: Array<[string, StylizeParamsInput]> = [
    ['L-BFGS', { optimizer: 'lbfgs', iterations: 25 }],
    ['Adam', { optimizer: 'adam', iterations: 40, learningRate: 8 }],
  ];
  for (const [name, p] of cases) {
    it(`${name}: re-evaluating the written PNG gives the reported total within 1%`, async () => {
      const before = tf.memory().numTensors;
      // Same size as the content, so the content target of the re-evaluation is the content itself.
      const params = parseStylizeParams({ size: 40, scales: 1, styleWeight: 1e5, tvWeight: 1, ...p });
      const r = await stylizeToPng({ model, content, styles: [style], params });
      const reported = r.report.losses.total;
      const delivered = await lossOf(r.png, params);
      expect(Math.abs(delivered - reported) / reported).toBeLessThan(0.01);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
