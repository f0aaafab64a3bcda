import * as tf from '@tensorflow/tfjs';

/**
 * The Gradient Reversal Layer (Ganin & Lempitsky, 2015): identity forward, −λ·gradient backward. Placed between the
 * experts and the discriminator, one minimisation of the discriminator's loss trains the discriminator to separate
 * domains and, through the reversed gradient, the experts to confuse it (paper §3.3).
 */
export function gradientReversal<T extends tf.Tensor>(x: T, lambda: number): T {
  if (!Number.isFinite(lambda)) throw new Error(`gradient reversal lambda must be a finite number, got ${lambda}`);
  const reverse = tf.customGrad((input) => ({
    value: (input as tf.Tensor).clone(),
    gradFunc: (dy: tf.Tensor) => tf.mul(dy, -lambda),
  }));
  return reverse(x) as T;
}
