/**
 * CASP's two objectives and its pseudo-label rule, as pure functions:
 * - NT-Xent (SimCLR; the reference's `ContrastiveLoss` in utils/util.py) between a batch of representations and
 *   their augmented views;
 * - the stability of each sample's stored predictions and the pseudo-label (their mean) (pseudolabel.py);
 * - which samples keep their pseudo-label: the most stable ones (`stable`) or the reference's literal rule
 *   `s > quantile(s, 0.95)`, which keeps the least stable ones (`literal`).
 */
import * as tf from '@tensorflow/tfjs';

/**
 * NT-Xent over 2N anchors: z = [a; b] row-normalized, s_ik = z_i·z_k / τ; anchor i's positive is its pair (i ± N)
 * and its denominator sums exp(s_ik) over every k ≠ i (the positive and the 2N − 2 negatives). The loss is the mean
 * of −log(exp(s_i,pos) / Σ_{k≠i} exp(s_ik)) over the 2N anchors.
 */
export function ntXent(a: tf.Tensor2D, b: tf.Tensor2D, temperature: number): tf.Scalar {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
    throw new Error(`ntXent: the two views must have the same [N, D] shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  return tf.tidy(() => ntXentOfPairs(tf.concat([a, b], 0), temperature));
}

/** NT-Xent of z = [a; b] [2N, D], the two views already stacked (rows i and i + N are a pair). */
export function ntXentOfPairs(z: tf.Tensor2D, temperature: number): tf.Scalar {
  if (z.rank !== 2 || z.shape[0] % 2 !== 0) throw new Error(`ntXent: the stacked views must be [2N, D], got [${z.shape.join(', ')}]`);
  const n = z.shape[0] / 2;
  return tf.tidy(() => {
    // Cosine similarity: rows scaled to unit norm (the epsilon only guards an all-zero row).
    const unit = tf.mul(z, tf.rsqrt(tf.add(tf.sum(tf.square(z), 1, true), 1e-12)));
    const logits = tf.div(tf.matMul(unit, unit, false, true), temperature);
    const notSelf = tf.sub(1, tf.eye(2 * n));
    const positives = tf.concat([tf.concat([tf.zeros([n, n]), tf.eye(n)], 1), tf.concat([tf.eye(n), tf.zeros([n, n])], 1)], 0);
    // τ ≥ 0.01 bounds |s| by 100, so exp stays finite in float32 without a max shift.
    const denominator = tf.log(tf.sum(tf.mul(tf.exp(logits), notSelf), 1));
    const positive = tf.sum(tf.mul(logits, positives), 1);
    return tf.mean(tf.sub(denominator, positive)) as tf.Scalar;
  });
}

export interface Stability {
  /** Per sample: mean |p_{c+1} − p_c| over consecutive stored predictions. */
  instability: Float32Array;
  /** Per sample: the mean of its stored predictions. */
  pseudoLabels: Float32Array;
}

/** `stored[c][i]`: the prediction for sample i at the c-th stored checkpoint (rows = checkpoints). */
export function stabilityOf(stored: readonly ArrayLike<number>[]): Stability {
  if (stored.length < 2) throw new Error(`stability needs at least two stored predictions per sample, got ${stored.length}`);
  const n = stored[0]!.length;
  if (stored.some((row) => row.length !== n)) throw new Error('stability: every stored prediction row must cover the same samples');
  const instability = new Float32Array(n);
  const pseudoLabels = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let change = 0;
    let sum = stored[0]![i]!;
    for (let c = 1; c < stored.length; c++) {
      change += Math.abs(stored[c]![i]! - stored[c - 1]![i]!);
      sum += stored[c]![i]!;
    }
    instability[i] = change / (stored.length - 1);
    pseudoLabels[i] = sum / stored.length;
  }
  return { instability, pseudoLabels };
}

/** torch.quantile's default (linear interpolation between the two nearest ranks). */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) throw new Error('quantile of no values');
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

export type Selection = 'stable' | 'literal';

/**
 * The samples whose pseudo-labels are trained on, in increasing index order.
 * - `stable`: the ⌈keepFraction·n⌉ samples with the smallest instability (ties: lower index first).
 * - `literal`: the reference's `s > quantile(s, 1 − keepFraction)` (pseudolabel.py with --quantile 0.95 for
 *   keepFraction 0.05): the *least* stable samples; may keep none when the top values tie.
 */
export function selectSamples(instability: Float32Array, keepFraction: number, selection: Selection): Int32Array {
  const n = instability.length;
  if (n === 0) return new Int32Array(0);
  if (selection === 'literal') {
    const threshold = quantile(instability, 1 - keepFraction);
    return Int32Array.from(Array.from({ length: n }, (_, i) => i).filter((i) => instability[i]! > threshold));
  }
  const count = Math.min(n, Math.max(1, Math.ceil(keepFraction * n - 1e-9)));
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => instability[i]! - instability[j]! || i - j);
  return Int32Array.from(order.slice(0, count).sort((i, j) => i - j));
}
