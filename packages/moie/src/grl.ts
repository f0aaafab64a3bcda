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

/**
 * The GRL schedule of DANN (Ganin & Lempitsky, 2015): λ_p = λ_max·(2/(1 + e^(−10p)) − 1) at training progress
 * p ∈ [0, 1]. It starts at 0, so the features are not pushed by a discriminator that has not learnt anything yet,
 * and approaches λ_max (0.9866·λ_max at p = ½, 0.99991·λ_max at p = 1).
 */
export function dannLambda(lambdaMax: number, progress: number): number {
  const p = Math.min(1, Math.max(0, progress));
  return lambdaMax * (2 / (1 + Math.exp(-10 * p)) - 1);
}
