/**
 * Self-MM's unimodal label generation module (ULGM, paper §3.3), as pure tensor functions. Nothing here is on a
 * gradient path: the inputs are detached features and label memories, so ops without wasm gradients are fine.
 */
import * as tf from '@tensorflow/tfjs';

/** MMSA's MIN: keeps the relative distance and α finite when a distance is 0. */
export const EPSILON = 1e-8;

/** The positive and negative class centres of one representation, each [d]. */
export interface ClassCentres {
  positive: tf.Tensor1D;
  negative: tf.Tensor1D;
}

/**
 * Class centres over the memory: the mean feature of the stored samples whose label is > 0 (≥ 0 when
 * `excludeZero` is false) and < 0. `valid` [N] is 1 for rows that hold a real sample (seen at least once).
 * An empty class gives a zero centre (MMSA would produce NaN).
 */
export function classCentres(memory: tf.Tensor2D, labels: tf.Tensor1D, valid: tf.Tensor1D, excludeZero: boolean): ClassCentres {
  return tf.tidy(() => {
    const positiveRows = excludeZero ? tf.greater(labels, 0) : tf.greaterEqual(labels, 0);
    const masks = [tf.mul(valid, tf.cast(positiveRows, 'float32')), tf.mul(valid, tf.cast(tf.less(labels, 0), 'float32'))];
    const [positive, negative] = masks.map((mask) => {
      const sum = tf.matMul(tf.reshape(mask, [1, -1]) as tf.Tensor2D, memory);
      return tf.reshape(tf.div(sum, tf.maximum(tf.sum(mask), 1)), [-1]) as tf.Tensor1D;
    });
    return { positive: positive!, negative: negative! };
  });
}

/** δ = (d⁻ − d⁺) / (d⁺ + ε) for features [B, d], with d± the L2 distance to each centre: > 0 means nearer positive. */
export function relativeDistance(features: tf.Tensor2D, centres: ClassCentres): tf.Tensor1D {
  return tf.tidy(() => {
    const toPositive = tf.norm(tf.sub(features, centres.positive), 'euclidean', 1);
    const toNegative = tf.norm(tf.sub(features, centres.negative), 'euclidean', 1);
    return tf.div(tf.sub(toNegative, toPositive), tf.add(toPositive, EPSILON)) as tf.Tensor1D;
  });
}

/**
 * The new unimodal labels of one batch (paper eq. 9–10 as MMSA computes them):
 *   ŷ_s = ½·α·y_m + ½·(y_m + δ_s − δ_m), α = δ_s / (δ_m + ε), clamped to [−bound, bound],
 *   y_s ← (n−1)/(n+1)·y_s + 2/(n+1)·ŷ_s at epoch n (the momentum update; the caller skips epoch 1).
 * A NaN ŷ_s (δ_m = −ε exactly with y_m = 0) keeps y_m instead of poisoning the memory.
 */
export function updatedUnimodalLabels(options: {
  fusionLabels: tf.Tensor1D;
  unimodalLabels: tf.Tensor1D;
  fusionDelta: tf.Tensor1D;
  unimodalDelta: tf.Tensor1D;
  epoch: number;
  bound: number;
}): tf.Tensor1D {
  const { fusionLabels: ym, unimodalLabels: ys, fusionDelta: dm, unimodalDelta: ds, epoch: n, bound } = options;
  return tf.tidy(() => {
    const alpha = tf.div(ds, tf.add(dm, EPSILON));
    const raw = tf.add(tf.mul(tf.mul(alpha, ym), 0.5), tf.mul(tf.add(ym, tf.sub(ds, dm)), 0.5));
    const target = tf.where(tf.isNaN(raw), ym, tf.clipByValue(raw, -bound, bound));
    return tf.add(tf.mul(ys, (n - 1) / (n + 1)), tf.mul(target, 2 / (n + 1))) as tf.Tensor1D;
  });
}

/** Per-sample weight of a unimodal loss: tanh|y_s − y_m| (0 while the two labels agree, as in all of epoch 1). */
export function unimodalWeights(unimodalLabels: tf.Tensor1D, fusionLabels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.tanh(tf.abs(tf.sub(unimodalLabels, fusionLabels))) as tf.Tensor1D);
}
