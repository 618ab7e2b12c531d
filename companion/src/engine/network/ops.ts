/**
 * The few tensor operations the VGG-19 forward/backward pass is made of, in one place so that
 * backends can get faster implementations (custom gradients, fused kernels) without touching
 * the network definition or the losses. Gradients must stay exact.
 *
 * Speed (tfjs 4.22, wasm): the stock gradient of conv2d w.r.t. its input is Conv2DBackpropInput,
 * a plain loop in the wasm backend, and matMul with transpose flags misses XNNPACK there. So:
 * - conv3x3Relu runs forward as one fused conv2d+bias+ReLU, and backpropagates to x as a FORWARD
 *   conv2d of (dy · [y > 0]) with the spatially flipped, in/out-swapped kernel — the exact
 *   transpose of a 3x3 stride-1 SAME convolution. The weights are constants: no kernel or bias
 *   gradient is produced (the image is what is optimised).
 * The Gram matrix, a loss op, is in ../loss/gram.ts.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * The kernel whose forward convolution is the input-gradient of a 3x3 stride-1 SAME convolution
 * with `kernel` (HWIO [3,3,in,out] → [3,3,out,in], flipped in both spatial axes). Reads the kernel
 * back once and rearranges it in JS on the CPU backends (Reverse/Gather on wasm take ~100 ms per
 * VGG layer), with tensor ops on GPU backends: call it once per model and keep the result.
 */
export function inputGradientKernel(kernel: tf.Tensor4D): tf.Tensor4D {
  const backend = tf.getBackend();
  if (backend !== 'wasm' && backend !== 'cpu') return inputGradientKernelOps(kernel);
  const [kh, kw, cin, cout] = kernel.shape;
  const src = kernel.dataSync() as Float32Array;
  const dst = new Float32Array(src.length);
  const taps = kh * kw;
  for (let t = 0; t < taps; t++) {
    const from = t * cin * cout;
    const to = (taps - 1 - t) * cin * cout;
    for (let i = 0; i < cin; i++) {
      for (let o = 0; o < cout; o++) dst[to + o * cin + i] = src[from + i * cout + o];
    }
  }
  return tf.tensor4d(dst, [kh, kw, cout, cin]);
}

/** inputGradientKernel with tensor ops only (no readback), for one-off use inside a backward pass. */
function inputGradientKernelOps(kernel: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.reverse(tf.transpose(kernel, [0, 1, 3, 2]), [0, 1]) as tf.Tensor4D);
}

const FUSED_ATTRS = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], activation: 'relu' };

/**
 * 3x3 SAME convolution + bias + ReLU on an NHWC batch; differentiable w.r.t. x only (kernel and bias
 * are constants). Pass `inputGradient = inputGradientKernel(kernel)` to keep it resident across calls;
 * otherwise it is derived inside each backward pass.
 */
export function conv3x3Relu(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D, inputGradient?: tf.Tensor4D): tf.Tensor4D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    // tf.fused.conv2d refuses to fuse inside a gradient scope; the forward of a customGrad needs no tape.
    const y = tf.engine().runKernel('FusedConv2D', { x: input, filter: kernel, bias }, FUSED_ATTRS as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const masked = tf.mul(dy, tf.step(saved[0]));
        const k = inputGradient ?? inputGradientKernelOps(kernel);
        const dx = tf.conv2d(masked as tf.Tensor4D, k, 1, 'same');
        if (!inputGradient) k.dispose();
        return [dx];
      },
    };
  });
  return op(x) as tf.Tensor4D;
}

/**
 * 2x2 stride-2 VALID pooling, max or average (an odd last row/column is dropped). On the CPU
 * backends (wasm, cpu) the gradient is computed by a plain JS loop over the host copy of the data:
 * wasm's MaxPoolGrad/AvgPoolGrad kernels are naive loops (~130 ms for 256²×64, ~10x the loop here).
 * Both gradients are exactly tf's: max routes each window's dy to its FIRST maximum in row-major
 * order (tf's `pixel > max` scan, so ties and NaNs match), avg spreads dy·0.25 to the 4 pixels.
 */
export function pool2x2(x: tf.Tensor4D, mode: 'max' | 'avg'): tf.Tensor4D {
  const stock = () => (mode === 'max' ? tf.maxPool(x, 2, 2, 'valid') : tf.avgPool(x, 2, 2, 'valid'));
  const backend = tf.getBackend();
  const [, h, w] = x.shape;
  if ((backend !== 'wasm' && backend !== 'cpu') || h < 2 || w < 2 || x.shape[0] !== 1) return stock();
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const y = mode === 'max' ? tf.maxPool(input, 2, 2, 'valid') : tf.avgPool(input, 2, 2, 'valid');
    if (mode === 'max') save([input]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const dyData = dy.dataSync() as Float32Array;
        const dx =
          mode === 'max'
            ? maxPoolGrad2x2(saved[0].dataSync() as Float32Array, dyData, input.shape)
            : avgPoolGrad2x2(dyData, input.shape);
        return [tf.tensor4d(dx, input.shape)];
      },
    };
  });
  return op(x) as tf.Tensor4D;
}

/** dx of 2x2/2 VALID max pooling of x (NHWC, batch 1) for upstream dy: tf's first-maximum convention. */
export function maxPoolGrad2x2(x: Float32Array, dy: Float32Array, shape: readonly number[]): Float32Array {
  const [, h, w, c] = shape;
  const oh = h >> 1;
  const ow = w >> 1;
  const row = w * c;
  const dx = new Float32Array(x.length);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      const p00 = (2 * i * w + 2 * j) * c;
      const p01 = p00 + c;
      const p10 = p00 + row;
      const p11 = p10 + c;
      const o = (i * ow + j) * c;
      for (let k = 0; k < c; k++) {
        // Same scan as tf (maxPoolPositions): start at -Infinity, strictly greater replaces.
        let best = -Infinity;
        let pos = -1;
        let v = x[p00 + k];
        if (v > best) {
          best = v;
          pos = p00 + k;
        }
        v = x[p01 + k];
        if (v > best) {
          best = v;
          pos = p01 + k;
        }
        v = x[p10 + k];
        if (v > best) {
          best = v;
          pos = p10 + k;
        }
        v = x[p11 + k];
        if (v > best) pos = p11 + k;
        if (pos >= 0) dx[pos] = dy[o + k];
      }
    }
  }
  return dx;
}

/** dx of 2x2/2 VALID average pooling (NHWC, batch 1): dy·0.25 on each pixel of its window. */
function avgPoolGrad2x2(dy: Float32Array, shape: readonly number[]): Float32Array {
  const [, h, w, c] = shape;
  const oh = h >> 1;
  const ow = w >> 1;
  const row = w * c;
  const dx = new Float32Array(h * w * c);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      const p00 = (2 * i * w + 2 * j) * c;
      const o = (i * ow + j) * c;
      for (let k = 0; k < c; k++) {
        const g = dy[o + k] * 0.25;
        dx[p00 + k] = g;
        dx[p00 + c + k] = g;
        dx[p00 + row + k] = g;
        dx[p00 + row + c + k] = g;
      }
    }
  }
  return dx;
}
