/**
 * The few tensor operations the VGG-19 forward/backward pass is made of, in one place so that
 * backends can get faster implementations (custom gradients, fused kernels) without touching
 * the network definition or the losses. Gradients must stay exact.
 */
import * as tf from '@tensorflow/tfjs';

/** 3x3 SAME convolution + bias + ReLU on an NHWC batch. */
export function conv3x3Relu(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => tf.relu(tf.add(tf.conv2d(x, kernel, 1, 'same'), bias)) as tf.Tensor4D);
}

/** 2x2 stride-2 pooling, max or average. */
export function pool2x2(x: tf.Tensor4D, mode: 'max' | 'avg'): tf.Tensor4D {
  return mode === 'max' ? tf.maxPool(x, 2, 2, 'valid') : tf.avgPool(x, 2, 2, 'valid');
}

/**
 * Gram matrix of features [1,H,W,C] as C x C, normalised by H·W·C:
 * G = FᵀF / (H·W·C) with F the (H·W) x C matrix.
 */
export function gram(features: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const [, h, w, c] = features.shape;
    const f = tf.reshape(features, [h * w, c]) as tf.Tensor2D;
    return tf.div(tf.matMul(f, f, true, false), h * w * c) as tf.Tensor2D;
  });
}
