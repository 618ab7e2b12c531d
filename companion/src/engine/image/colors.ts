/**
 * Original colours by luminance-only transfer (Gatys et al., "Preserving color in neural artistic
 * style transfer", luminance-only variant applied after optimisation): convert the stylised result
 * and the content image to YIQ (NTSC), keep the RESULT's luminance Y and the CONTENT's chroma I,Q,
 * and convert back to RGB (clipped to 0..255).
 */
import * as tf from '@tensorflow/tfjs';

const RGB_TO_YIQ = [
  [0.299, 0.587, 0.114],
  [0.595716, -0.274453, -0.321263],
  [0.211456, -0.522591, 0.311135],
];

/** Converts an [...,3] RGB tensor to YIQ (same units). */
export function rgbToYiq<T extends tf.Tensor>(rgb: T): T {
  return tf.tidy(() => {
    const m = tf.tensor2d(RGB_TO_YIQ);
    return tf.reshape(tf.matMul(tf.reshape(rgb, [-1, 3]), m, false, true), rgb.shape) as T;
  });
}

/** Converts an [...,3] YIQ tensor back to RGB (exact inverse of rgbToYiq). */
export function yiqToRgb<T extends tf.Tensor>(yiq: T): T {
  return tf.tidy(() => {
    const inv = tf.tensor2d(invert3(RGB_TO_YIQ));
    return tf.reshape(tf.matMul(tf.reshape(yiq, [-1, 3]), inv, false, true), yiq.shape) as T;
  });
}

/** Result's luminance with the content's chroma; both RGB 0..255 of the same shape. Clipped to 0..255. */
export function transferLuminance<T extends tf.Tensor3D | tf.Tensor4D>(result: T, content: T): T {
  return tf.tidy(() => {
    const y = tf.slice(rgbToYiq(result), [...new Array<number>(result.rank - 1).fill(0), 0], [...new Array<number>(result.rank - 1).fill(-1), 1]);
    const iq = tf.slice(rgbToYiq(content), [...new Array<number>(content.rank - 1).fill(0), 1], [...new Array<number>(content.rank - 1).fill(-1), 2]);
    return tf.clipByValue(yiqToRgb(tf.concat([y, iq], -1)), 0, 255) as T;
  });
}

function invert3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}
