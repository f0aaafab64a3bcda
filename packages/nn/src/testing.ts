/** Small tensor helpers shared by the model packages' tests (import from `@midg/nn/testing`). */
import * as tf from '@tensorflow/tfjs';

/** The first value of a tensor. */
export function scalar(x: tf.Tensor): number {
  return x.dataSync()[0]!;
}

/** max |a − b| over all elements, without leaving intermediate tensors behind. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => scalar(tf.max(tf.abs(tf.sub(a, b)))));
}
