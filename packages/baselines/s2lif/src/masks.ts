/**
 * The two gradient tools S2LIF needs, written so every op on a gradient path has a gradient on wasm (no
 * tf.greater / tf.where there).
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Straight-through threshold of probabilities p ∈ (0, 1): forward exactly 1 where p > 0.5 and 0 elsewhere,
 * backward the identity (∂m/∂p = 1), i.e. m = hard + p − stopGradient(p) with the forward value exactly `hard`.
 * The 0/1 tensor is made inside the custom op's forward, which the tape does not record, so tf.step never sits on
 * the gradient path (and `hard + p − p` would not be exactly 0/1 in float32).
 */
export const straightThrough = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const p = inputs[0] as tf.Tensor;
  return {
    value: tf.step(tf.sub(p, 0.5)),
    gradFunc: (dy: tf.Tensor) => dy,
  };
}) as <T extends tf.Tensor>(p: T) => T;

/**
 * Runs `compute` so that nothing it reads is connected to the gradient tape: variables used inside get no
 * gradient at all (absent from tf.variableGrads, so Adam's momentum cannot move them either), unlike
 * `stopGradient`, which hands them an exact zero that Adam still turns into a step. `anchor` is any input tensor
 * that is not a variable (the custom op needs one); it receives a zero gradient.
 */
export function detached<T extends tf.Tensor>(anchor: tf.Tensor, compute: () => T): T {
  const op = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.tidy(compute),
    gradFunc: () => tf.zerosLike(inputs[0] as tf.Tensor),
  }));
  return op(anchor) as T;
}
