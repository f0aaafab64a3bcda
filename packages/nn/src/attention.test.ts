import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { forEachBackend } from '@midg/backend/testing';
import { maxAbsDiff } from './testing';
import { withOpByOpLayers } from './fused';
import { MultiHeadAttention, fusedAttentionOutput, multiHeadAttention } from './attention';

type Matrix = number[][];

/** x [L, in] · w [in, out] + b, in plain loops. */
function linear(x: Matrix, w: Matrix, b: number[]): Matrix {
  return x.map((row) => b.map((bias, o) => row.reduce((sum, value, i) => sum + value * w[i]![o]!, bias)));
}

/**
 * One batch element of multi-head attention in plain loops: q [Lq, d], k and v [S, d] (already projected) →
 * output [Lq, d] and weights [heads][Lq][S]; a query that sees no key gets zero weights and a zero output.
 */
function referenceAttention(q: Matrix, k: Matrix, v: Matrix, heads: number, visible: (i: number, j: number) => boolean = () => true) {
  const dim = q[0]!.length;
  const dk = dim / heads;
  const output = q.map(() => new Array<number>(dim).fill(0));
  const weights = Array.from({ length: heads }, () => q.map(() => new Array<number>(k.length).fill(0)));
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < q.length; i++) {
      const seen = k.map((_, j) => j).filter((j) => visible(i, j));
      if (seen.length === 0) continue;
      const logits = seen.map((j) => {
        let dot = 0;
        for (let c = h * dk; c < (h + 1) * dk; c++) dot += q[i]![c]! * k[j]![c]!;
        return dot / Math.sqrt(dk);
      });
      const top = Math.max(...logits);
      const exp = logits.map((logit) => Math.exp(logit - top));
      const total = exp.reduce((sum, e) => sum + e, 0);
      seen.forEach((j, s) => (weights[h]![i]![j] = exp[s]! / total));
      for (let c = h * dk; c < (h + 1) * dk; c++) {
        for (const j of seen) output[i]![c]! += weights[h]![i]![j]! * v[j]![c]!;
      }
    }
  }
  return { output, weights };
}

function random(shape: [number, number, number], seed: number): tf.Tensor3D {
  return tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor3D;
}

/** Changes rows `from..` (axis 1) of x, keeping the others bit-identical. */
function changeFrom(x: tf.Tensor3D, from: number, seed: number): tf.Tensor3D {
  const [batch, length, dim] = x.shape;
  const keep = tf.concat([tf.ones([batch, from, dim]), tf.zeros([batch, length - from, dim])], 1);
  return tf.add(tf.mul(x, keep), tf.mul(tf.randomNormal([batch, length, dim], 0, 5, 'float32', seed), tf.sub(1, keep))) as tf.Tensor3D;
}

forEachBackend((backend) => {
  describe('multiHeadAttention', () => {
    it('matches a per-head loop of softmax(q·k / √d_k) weighted sums', () => {
      const [batch, tokens, dim, heads] = [2, 3, 4, 2];
      const q = random([batch, 1, dim], 1);
      const k = random([batch, tokens, dim], 2);
      const v = random([batch, tokens, dim], 3);
      const { output, weights } = multiHeadAttention(q, k, v, heads);
      const [qa, ka, va] = [q.arraySync(), k.arraySync(), v.arraySync()];
      const expected = qa.map((_, b) => referenceAttention(qa[b]!, ka[b]!, va[b]!, heads));
      assert.ok(maxAbsDiff(output, tf.tensor3d(expected.map((e) => e.output))) < 1e-5);
      assert.ok(maxAbsDiff(weights, tf.tensor4d(expected.map((e) => e.weights))) < 1e-6);
      assert.deepEqual(weights.shape, [batch, heads, 1, tokens]);
    });

    it('matches the loop with a key mask, causal masking, both, and Lq ≠ S (bottom-right causal alignment)', () => {
      const cases: { lq: number; s: number; mask?: number[][]; causal: boolean }[] = [
        { lq: 3, s: 3, mask: [[1, 1, 0], [1, 0, 1]], causal: false },
        { lq: 3, s: 3, causal: true },
        { lq: 3, s: 3, mask: [[1, 0, 1], [1, 1, 1]], causal: true },
        { lq: 2, s: 4, mask: [[1, 1, 1, 0], [0, 1, 1, 1]], causal: true },
        { lq: 4, s: 2, causal: true },
      ];
      for (const [n, { lq, s, mask, causal }] of cases.entries()) {
        const q = random([2, lq, 4], 10 + n);
        const k = random([2, s, 4], 20 + n);
        const v = random([2, s, 4], 30 + n);
        const keyMask = mask ? tf.tensor2d(mask) : undefined;
        const { output, weights } = multiHeadAttention(q, k, v, 2, { keyMask, causal });
        const [qa, ka, va] = [q.arraySync(), k.arraySync(), v.arraySync()];
        const expected = qa.map((_, b) =>
          referenceAttention(qa[b]!, ka[b]!, va[b]!, 2, (i, j) => (mask ? mask[b]![j] === 1 : true) && (!causal || j <= i + (s - lq))),
        );
        assert.ok(maxAbsDiff(output, tf.tensor3d(expected.map((e) => e.output))) < 1e-5, `case ${n}`);
        assert.ok(maxAbsDiff(weights, tf.tensor4d(expected.map((e) => e.weights))) < 1e-6, `case ${n}`);
      }
    });

    it('gives a padded key weight exactly 0: changing its key or value changes nothing', () => {
      const q = random([2, 3, 4], 1);
      const k = random([2, 4, 4], 2);
      const v = random([2, 4, 4], 3);
      const keyMask = tf.tensor2d([[1, 1, 1, 0], [1, 1, 0, 0]]);
      const reference = multiHeadAttention(q, k, v, 2, { keyMask });
      const padded = tf.tensor4d([0, 0, 0, 1, 0, 0, 1, 1], [2, 1, 1, 4]);
      assert.equal(tf.tidy(() => tf.max(tf.abs(tf.mul(reference.weights, padded))).dataSync()[0]), 0);
      // Key 3 is padding in both samples.
      const changedPadding = multiHeadAttention(q, changeFrom(k, 3, 7), changeFrom(v, 3, 8), 2, { keyMask });
      assert.equal(maxAbsDiff(reference.output, changedPadding.output), 0);
      assert.equal(maxAbsDiff(reference.weights, changedPadding.weights), 0);
      // Key 2 is padding in sample 1 only: changing it changes sample 0 alone (so the test is not vacuous).
      const changed = multiHeadAttention(q, changeFrom(k, 2, 9), changeFrom(v, 2, 10), 2, { keyMask });
      const sample = (x: tf.Tensor, b: number) => tf.slice(x, [b], [1]);
      assert.equal(maxAbsDiff(sample(reference.output, 1), sample(changed.output, 1)), 0);
      assert.ok(maxAbsDiff(sample(reference.output, 0), sample(changed.output, 0)) > 1e-3);
    });

    it('with causal on, query i never sees a key j > i: changing later keys and values leaves earlier queries unchanged', () => {
      const [q, k, v] = [random([2, 4, 4], 4), random([2, 4, 4], 5), random([2, 4, 4], 6)];
      const reference = multiHeadAttention(q, k, v, 2, { causal: true });
      const weights = reference.weights.arraySync();
      for (const head of weights.flat()) {
        head.forEach((row, i) => assert.ok(row.slice(i + 1).every((w) => w === 0), `query ${i} sees a later key`));
      }
      for (let from = 1; from < 4; from++) {
        const changed = multiHeadAttention(q, changeFrom(k, from, 10 + from), changeFrom(v, from, 20 + from), 2, { causal: true });
        const early = (x: tf.Tensor3D) => tf.slice(x, [0, 0, 0], [-1, from, -1]);
        assert.equal(maxAbsDiff(early(reference.output), early(changed.output)), 0, `queries before ${from}`);
        const late = (x: tf.Tensor3D) => tf.slice(x, [0, from, 0], [-1, -1, -1]);
        assert.ok(maxAbsDiff(late(reference.output), late(changed.output)) > 1e-3, `queries from ${from}`);
      }
    });

    it('with one key (S = 1) gives every query weight 1 on it and returns its value', () => {
      for (const heads of [1, 2, 4]) {
        const v = random([3, 1, 4], 2);
        const { output, weights } = multiHeadAttention(random([3, 5, 4], 1), random([3, 1, 4], 3), v, heads);
        assert.equal(maxAbsDiff(weights, tf.ones([3, heads, 5, 1])), 0);
        assert.ok(maxAbsDiff(output, tf.tile(v, [1, 5, 1])) < 1e-6);
      }
    });

    it('gives a query that sees no key zero weights and a zero output, with finite gradients (no NaN)', () => {
      const [q, k, v] = [random([2, 2, 4], 1), random([2, 3, 4], 2), random([2, 3, 4], 3)];
      const keyMask = tf.tensor2d([[0, 0, 0], [1, 0, 1]]);
      const { output, weights } = multiHeadAttention(q, k, v, 2, { keyMask });
      assert.equal(maxAbsDiff(tf.slice(output, [0], [1]), tf.zeros([1, 2, 4])), 0);
      assert.equal(maxAbsDiff(tf.slice(weights, [0], [1]), tf.zeros([1, 2, 2, 3])), 0);
      assert.ok(maxAbsDiff(tf.sum(tf.slice(weights, [1], [1]), 3), tf.ones([1, 2, 2])) < 1e-6);
      // Causal with Lq > S: the first query has no key at or before it.
      const early = multiHeadAttention(random([1, 3, 4], 4), random([1, 2, 4], 5), random([1, 2, 4], 6), 2, { causal: true });
      assert.equal(maxAbsDiff(tf.slice(early.output, [0, 0, 0], [1, 1, 4]), tf.zeros([1, 1, 4])), 0);
      const grads = tf.grads((a, b, c) => tf.sum(tf.square(multiHeadAttention(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D, 2, { keyMask }).output)))([q, k, v]);
      for (const g of grads) assert.ok(Array.from(g.dataSync()).every(Number.isFinite));
    });

    it('drops attention weights only when training, reproducibly from the seed, and returns the weights before dropout', () => {
      const [q, k, v] = [random([2, 3, 8], 1), random([2, 5, 8], 2), random([2, 5, 8], 3)];
      const plain = multiHeadAttention(q, k, v, 2);
      const run = (seed: number, training: boolean) => multiHeadAttention(q, k, v, 2, { dropout: { rate: 0.5, seed, training } });
      assert.equal(maxAbsDiff(plain.output, run(1, false).output), 0);
      assert.equal(maxAbsDiff(plain.weights, run(1, true).weights), 0);
      assert.ok(maxAbsDiff(plain.output, run(1, true).output) > 1e-3);
      assert.equal(maxAbsDiff(run(1, true).output, run(1, true).output), 0);
      assert.ok(maxAbsDiff(run(1, true).output, run(2, true).output) > 1e-3);
    });

    it('rejects bad widths, mismatched keys and values, and a key mask of the wrong shape', () => {
      const x = tf.zeros([1, 1, 6]) as tf.Tensor3D;
      assert.throws(() => multiHeadAttention(x, x, x, 4), /attention width 6 is not divisible by 4 heads/);
      assert.throws(() => multiHeadAttention(x, x, x, 0), /attention heads must be a positive integer, got 0/);
      const [q, k] = [tf.zeros([2, 3, 4]) as tf.Tensor3D, tf.zeros([2, 5, 4]) as tf.Tensor3D];
      assert.throws(
        () => multiHeadAttention(q, k, tf.zeros([2, 4, 4]) as tf.Tensor3D, 2),
        /attention: key \[2, 5, 4\] and value \[2, 4, 4\] must both be \[2, S, 4\] for query \[2, 3, 4\]/,
      );
      assert.throws(() => multiHeadAttention(q, k, k, 2, { keyMask: tf.ones([2, 3]) as tf.Tensor2D }), /attention: keyMask must be \[2, 5\] \(B, S\), got \[2, 3\]/);
      assert.throws(() => multiHeadAttention(q, k, k, 2, { dropout: { rate: 1, seed: 0, training: true } }), /dropout rate must be in \[0, 1\), got 1/);
    });
  });

  describe('fusedAttentionOutput', () => {
    /** ‖a − b‖ / ‖b‖. */
    const relative = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.norm(tf.sub(a, b)).dataSync()[0]! / tf.norm(b).dataSync()[0]!);

    it('equals multiHeadAttention’s output and its gradients to q, k, v (key mask, causal, dropout, Lq ≠ S, a query seeing no key)', () => {
      const cases = [
        { lq: 5, s: 5, keyMask: tf.tensor2d([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]]) },
        { lq: 4, s: 6, keyMask: tf.tensor2d([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1], [0, 1, 1, 1, 1, 1]]) },
        { lq: 6, s: 3, keyMask: undefined },
        { lq: 1, s: 1, keyMask: undefined },
      ];
      for (const { lq, s, keyMask } of cases) {
        for (const causal of [false, true]) {
          for (const dropout of [undefined, { rate: 0.3, seed: 11, training: true }]) {
            const [q, k, v] = [random([3, lq, 12], 1), random([3, s, 12], 2), random([3, s, 12], 3)];
            const options = { keyMask, causal, dropout };
            const weight = tf.linspace(-1, 2, 3 * lq * 12).reshape([3, lq, 12]);
            const loss = (fn: (a: tf.Tensor3D, b: tf.Tensor3D, c: tf.Tensor3D) => tf.Tensor3D) =>
              tf.valueAndGrads((a, b, c) => tf.sum(tf.mul(fn(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D), weight)) as tf.Scalar)([q, k, v]);
            const reference = multiHeadAttention(q, k, v, 3, options).output;
            const fused = fusedAttentionOutput(q, k, v, 3, options);
            const label = `Lq ${lq}, S ${s}, mask ${keyMask !== undefined}, causal ${causal}, dropout ${dropout !== undefined}`;
            assert.ok(maxAbsDiff(fused, reference) < 1e-6, label);
            const ours = loss((a, b, c) => fusedAttentionOutput(a, b, c, 3, options));
            const theirs = loss((a, b, c) => multiHeadAttention(a, b, c, 3, options).output);
            ours.grads.forEach((g, i) => {
              assert.ok(Array.from(g.dataSync()).every(Number.isFinite), `${label}: grad ${i} finite`);
              const scale = tf.norm(theirs.grads[i]!).dataSync()[0]!;
              assert.ok(scale === 0 ? maxAbsDiff(g, theirs.grads[i]!) < 1e-7 : relative(g, theirs.grads[i]!) < 1e-5, `${label}: grad ${i}`);
            });
          }
        }
      }
    });

    it('gives the layer’s attend() the same output and Q/K/V/O gradients as its op-by-op form, and leaks no tensors', () => {
      const config = { queryDim: 8, dim: 8, heads: 2, dropout: 0.25, fusedCore: true, seed: 5 };
      const [fused, reference] = [new MultiHeadAttention(config), new MultiHeadAttention(config)];
      const [x, source] = [random([2, 4, 8], 1), random([2, 6, 8], 2)];
      const keyMask = tf.tensor2d([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]]);
      const run = (layer: MultiHeadAttention) =>
        tf.variableGrads(() => tf.sum(tf.mul(layer.attend(x, source, source, { training: true, keyMask, causal: true }), tf.linspace(-1, 1, 8))) as tf.Scalar, layer.trainableVariables());
      const before = tf.memory().numTensors;
      const ours = run(fused);
      const theirs = withOpByOpLayers(() => run(reference));
      assert.ok(Math.abs(ours.value.dataSync()[0]! - theirs.value.dataSync()[0]!) < 1e-5 * Math.max(1, Math.abs(theirs.value.dataSync()[0]!)));
      fused.trainableVariables().forEach((variable, i) => {
        const other = theirs.grads[reference.trainableVariables()[i]!.name]!;
        const g = ours.grads[variable.name]!;
        const scale = tf.tidy(() => tf.norm(other).dataSync()[0]!);
        // b_k's true gradient is 0 (softmax ignores a shift of all of a query's scores): compare absolutely.
        assert.ok(scale < 1e-4 ? maxAbsDiff(g, other) < 1e-6 : relative(g, other) < 1e-5, `variable ${i}`);
      });
      tf.dispose([ours.value, theirs.value, ...Object.values(ours.grads), ...Object.values(theirs.grads)]);
      assert.equal(tf.memory().numTensors, before);
    });
  });

  describe('MultiHeadAttention', () => {
    it('computes projections, per-head attention and the output projection as a hand computation does', () => {
      const layer = new MultiHeadAttention({ queryDim: 4, dim: 4, heads: 2, seed: 1 });
      const identity: Matrix = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
      // Identity-ish weights: W_k doubles, W_o swaps the two heads' halves; biases are small and distinct.
      const weights = {
        wq: identity,
        bq: [0, 0, 0, 0],
        wk: identity.map((row) => row.map((x) => 2 * x)),
        bk: [0, 0.5, 0, 0],
        wv: identity,
        bv: [0.1, 0.2, 0.3, 0.4],
        wo: [[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]],
        bo: [0, 0, 0, 1],
      };
      const variables = layer.trainableVariables();
      assert.deepEqual(variables.map((variable) => variable.shape), [[4, 4], [4], [4, 4], [4], [4, 4], [4], [4, 4], [4]]);
      Object.values(weights).forEach((value, i) => variables[i]!.assign(tf.tensor(value)));

      const query: Matrix = [[1, 0, 0.5, -1], [0, 1, -0.5, 2]];
      const key: Matrix = [[1, 1, 0, 0], [0, -1, 1, 1], [0.5, 0, -1, 2]];
      const value: Matrix = [[1, 2, 3, 4], [-1, 0, 1, 0], [0, 0.5, 0, -2]];
      for (const mask of [undefined, [1, 1, 0]]) {
        const expected = referenceAttention(
          linear(query, weights.wq, weights.bq),
          linear(key, weights.wk, weights.bk),
          linear(value, weights.wv, weights.bv),
          2,
          (_, j) => mask === undefined || mask[j] === 1,
        );
        const out = layer.forward(tf.tensor3d([query]), tf.tensor3d([key]), tf.tensor3d([value]), {
          training: false,
          keyMask: mask && tf.tensor2d([mask]),
        });
        assert.deepEqual(out.output.shape, [1, 2, 4]);
        assert.ok(maxAbsDiff(out.output, tf.tensor3d([linear(expected.output, weights.wo, weights.bo)])) < 1e-5);
        assert.ok(maxAbsDiff(out.weights, tf.tensor4d([expected.weights])) < 1e-6);
      }
    });

    it(`gives every Q/K/V/O weight a gradient on ${backend} (with mask, causal and dropout) and leaks no tensors`, () => {
      const layer = new MultiHeadAttention({ queryDim: 3, keyDim: 5, valueDim: 2, dim: 4, heads: 2, dropout: 0.2, seed: 4 });
      const [q, k, v] = [random([2, 3, 3], 1), random([2, 4, 5], 2), random([2, 4, 2], 3)];
      const keyMask = tf.tensor2d([[1, 1, 1, 0], [1, 1, 1, 1]]);
      const variables = layer.trainableVariables();
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => {
        const { output } = layer.forward(q, k, v, { training: true, keyMask, causal: true });
        return tf.sum(tf.mul(output, tf.linspace(-1, 1, 4))) as tf.Scalar;
      }, variables);
      assert.equal(Object.keys(grads).length, 8);
      const norms = variables.map((variable) => tf.tidy(() => tf.sum(tf.abs(grads[variable.name]!)).dataSync()[0]!));
      // b_k shifts every score of a query by the same amount, which softmax ignores: its true gradient is 0.
      const names = ['W_q', 'b_q', 'W_k', 'b_k', 'W_v', 'b_v', 'W_o', 'b_o'];
      norms.forEach((norm, i) => assert.ok(names[i] === 'b_k' ? norm < 1e-5 : norm > 1e-4, `${names[i]}: ${norm}`));
      tf.dispose([value, ...Object.values(grads)]);
      assert.equal(tf.memory().numTensors, before);
    });

    it('is reproducible from its seed, has the documented shapes, and is deterministic in eval mode', () => {
      const config = { queryDim: 6, keyDim: 3, dim: 8, heads: 4, dropout: 0.3, seed: 2 };
      const [a, b, c] = [new MultiHeadAttention(config), new MultiHeadAttention(config), new MultiHeadAttention({ ...config, seed: 3 })];
      assert.equal(a.valueDim, 3);
      const [q, kv] = [random([2, 5, 6], 1), random([2, 7, 3], 2)];
      const EVAL = { training: false };
      const out = a.forward(q, kv, kv, EVAL);
      assert.deepEqual(out.output.shape, [2, 5, 8]);
      assert.deepEqual(out.weights.shape, [2, 4, 5, 7]);
      assert.equal(maxAbsDiff(out.output, b.forward(q, kv, kv, EVAL).output), 0);
      assert.equal(maxAbsDiff(out.output, a.forward(q, kv, kv, EVAL).output), 0);
      assert.ok(maxAbsDiff(out.output, c.forward(q, kv, kv, EVAL).output) > 1e-4);
      // Training draws a fresh dropout mask per call.
      const train = { training: true };
      assert.ok(maxAbsDiff(a.forward(q, kv, kv, train).output, a.forward(q, kv, kv, train).output) > 1e-4);
    });

    it('rejects inputs of the wrong width and a dim not divisible by the heads', () => {
      const layer = new MultiHeadAttention({ queryDim: 4, dim: 4, heads: 2, seed: 1 });
      const x = tf.zeros([1, 2, 4]) as tf.Tensor3D;
      assert.throws(() => layer.forward(x, tf.zeros([1, 2, 3]) as tf.Tensor3D, x, { training: false }), /MultiHeadAttention key: expected shape \[B, L, 4\], got \[1, 2, 3\]/);
      assert.throws(() => new MultiHeadAttention({ queryDim: 4, dim: 6, heads: 4, seed: 1 }), /MultiHeadAttention: dim 6 must be divisible by heads 4/);
    });
  });
});
