import * as tf from '@tensorflow/tfjs';
import { tidyOutput } from '@midg/nn';

export interface AttentionResult {
  /** [B, Lq, d]: the heads' outputs concatenated back to width d. */
  output: tf.Tensor3D;
  /** [B, heads, Lq, S]: softmax weights over the S key/value tokens (each row sums to 1). */
  weights: tf.Tensor4D;
}

/** [B, L, d] → [B, heads, L, d / heads]. */
function splitHeads(x: tf.Tensor3D, heads: number): tf.Tensor4D {
  const [batch, length, dim] = x.shape;
  return tf.transpose(tf.reshape(x, [batch, length, heads, dim / heads]), [0, 2, 1, 3]);
}

/**
 * Eq. (5), multi-head: softmax(Q Kᵀ / √d_k) V per head, d_k = d / heads, from batched matMul (every op has a
 * gradient on wasm). Kᵀ uses matMul's transposeB flag: with these tiny per-head matrices (1 query, S keys) it is
 * as fast, forward + backward, as an explicit transpose (equal within noise; attention.bench.ts). The flag's slow
 * path on wasm only hurts large 2-D products, i.e. dense layers, which use the features package's matMul.
 */
export function multiHeadAttention(query: tf.Tensor3D, key: tf.Tensor3D, value: tf.Tensor3D, heads: number): AttentionResult {
  const [batch, queryLength, dim] = query.shape;
  if (dim % heads !== 0) throw new Error(`attention width ${dim} is not divisible by ${heads} heads`);
  if (key.shape[2] !== dim || value.shape[2] !== dim || key.shape[1] !== value.shape[1]) {
    throw new Error(`attention: key [${key.shape.join(', ')}] and value [${value.shape.join(', ')}] must both be [B, S, ${dim}]`);
  }
  return tidyOutput(() => {
    const scores = tf.div(tf.matMul(splitHeads(query, heads), splitHeads(key, heads), false, true), Math.sqrt(dim / heads));
    const weights = tf.softmax(scores) as tf.Tensor4D;
    const perHead = tf.matMul(weights, splitHeads(value, heads));
    const output = tf.reshape(tf.transpose(perHead, [0, 2, 1, 3]), [batch, queryLength, dim]) as tf.Tensor3D;
    return { output, weights };
  });
}
