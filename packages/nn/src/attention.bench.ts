/**
 * Micro-benchmark: how to form Q Kᵀ in `multiHeadAttention` on the active backend (wasm by default), forward +
 * backward, at the adapter's shapes (1 query, S = 2 tokens), with a longer key set, and at a sequence-to-sequence
 * shape (Lq = S = 50, as in the crossmodal-transformer baselines): tf.matMul(q, k, false, true) against the same
 * attention with an explicit tf.transpose of K, and the cost of a key mask.
 *
 *   cd packages/nn && node --import tsx src/attention.bench.ts
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { multiHeadAttention } from './attention';

type AttentionFn = (q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, heads: number) => tf.Tensor3D;

function explicitTransposeAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [batch, queryLength, dim] = q.shape;
  const dk = dim / heads;
  const toHeads = (x: tf.Tensor3D, order: number[]) => tf.transpose(tf.reshape(x, [batch, x.shape[1], heads, dk]), order);
  const scores = tf.div(tf.matMul(toHeads(q, [0, 2, 1, 3]), toHeads(k, [0, 2, 3, 1])), Math.sqrt(dk));
  const perHead = tf.matMul(tf.softmax(scores), toHeads(v, [0, 2, 1, 3]));
  return tf.reshape(tf.transpose(perHead, [0, 2, 1, 3]), [batch, queryLength, dim]);
}

// [B, S] with the last key of every row padded; set per shape below.
let keyMask: tf.Tensor2D;

const variants: Record<string, AttentionFn> = {
  'multiHeadAttention (transposeB flag)': (q, k, v, heads) => multiHeadAttention(q, k, v, heads).output,
  'explicit tf.transpose(K)': explicitTransposeAttention,
  'multiHeadAttention + keyMask': (q, k, v, heads) => multiHeadAttention(q, k, v, heads, { keyMask }).output,
};

/** Milliseconds per forward+backward step of each variant: median over rounds that interleave the variants. */
function timeVariants(inputs: tf.Variable[], heads: number, rounds = 7, steps = 100): Record<string, number> {
  const [q, k, v] = inputs as [tf.Variable<tf.Rank.R3>, tf.Variable<tf.Rank.R3>, tf.Variable<tf.Rank.R3>];
  const step = (fn: AttentionFn) => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(fn(q, k, v, heads))) as tf.Scalar, inputs);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  const samples: Record<string, number[]> = {};
  for (let round = -1; round < rounds; round++) {
    for (const [name, fn] of Object.entries(variants)) {
      const start = performance.now();
      for (let i = 0; i < steps; i++) step(fn);
      // Round -1 is the warm-up.
      if (round >= 0) (samples[name] ??= []).push((performance.now() - start) / steps);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, times]) => [name, times.sort((a, b) => a - b)[rounds >> 1]!]));
}

const backend = await useBackend();
const [dim, heads] = [64, 4];
console.log(`backend ${backend}, d = ${dim}, heads = ${heads}; median ms per forward+backward step`);
for (const [batch, queries, tokens] of [
  [32, 1, 2],
  [128, 1, 2],
  [32, 1, 50],
  [32, 50, 50],
] as const) {
  const inputs = [[batch, queries, dim], [batch, tokens, dim], [batch, tokens, dim]].map((shape, i) =>
    tf.variable(tf.randomNormal(shape, 0, 1, 'float32', i)),
  );
  keyMask = tf.concat([tf.ones([batch, tokens - 1]), tf.zeros([batch, 1])], 1);
  const row = Object.entries(timeVariants(inputs, heads)).map(([name, ms]) => `${name}: ${ms.toFixed(3)}`);
  console.log(`B=${batch} Lq=${queries} S=${tokens}  ${row.join('  |  ')}`);
  tf.dispose([...inputs, keyMask]);
}
