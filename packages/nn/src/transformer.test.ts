import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { forEachBackend } from '@midg/backend/testing';
import { maxAbsDiff } from './testing';
import { TransformerEncoder, TransformerLayer, gelu, lastRealStep, sinusoidalPositions } from './transformer';

const random = (shape: [number, number, number], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor3D;

/** x with steps `from..` (axis 1) replaced by other values. */
function changeFrom(x: tf.Tensor3D, from: number, seed: number): tf.Tensor3D {
  const [batch, length, dim] = x.shape;
  const keep = tf.concat([tf.ones([batch, from, dim]), tf.zeros([batch, length - from, dim])], 1);
  return tf.add(tf.mul(x, keep), tf.mul(tf.randomNormal([batch, length, dim], 0, 5, 'float32', seed), tf.sub(1, keep))) as tf.Tensor3D;
}

forEachBackend(() => {
  describe('TransformerLayer / TransformerEncoder', () => {
    const config = { dim: 8, heads: 2, layers: 2, seed: 7 };

    it('padded keys change nothing (self- and cross-attention)', () => {
      tf.tidy(() => {
        const encoder = new TransformerEncoder({ ...config, activation: 'gelu' });
        const x = random([2, 5, 8], 1);
        const keyMask = tf.tensor2d([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]);
        const a = encoder.forward(x, { training: false, keyMask });
        const b = encoder.forward(changeFrom(x, 3, 2), { training: false, keyMask });
        // Real steps (first 3 of row 0) are unaffected by what sits in the padded steps.
        assert.ok(maxAbsDiff(tf.slice(a, [0, 0, 0], [1, 3, 8]), tf.slice(b, [0, 0, 0], [1, 3, 8])) < 1e-5);

        const source = random([2, 4, 8], 3);
        const sourceMask = tf.tensor2d([[1, 1, 0, 0], [1, 1, 1, 0]]);
        const c = encoder.forward(x, { training: false, keyMask: sourceMask, source });
        const d = encoder.forward(x, { training: false, keyMask: sourceMask, source: changeFrom(source, 3, 4) });
        const e = encoder.forward(x, { training: false, keyMask: sourceMask, source: changeFrom(source, 2, 5) });
        assert.ok(maxAbsDiff(c, d) < 1e-5);
        assert.ok(maxAbsDiff(tf.slice(c, [0, 0, 0], [1, 5, 8]), tf.slice(e, [0, 0, 0], [1, 5, 8])) < 1e-5);
        assert.ok(maxAbsDiff(tf.slice(c, [1, 0, 0], [1, 5, 8]), tf.slice(e, [1, 0, 0], [1, 5, 8])) > 1e-3, 'a real key matters');
        encoder.dispose();
      });
    });

    it('causal: later steps never change earlier outputs', () => {
      tf.tidy(() => {
        const encoder = new TransformerEncoder(config);
        const x = random([2, 6, 8], 11);
        for (const from of [1, 3, 5]) {
          const a = encoder.forward(x, { training: false, causal: true });
          const b = encoder.forward(changeFrom(x, from, 12 + from), { training: false, causal: true });
          assert.ok(maxAbsDiff(tf.slice(a, [0, 0, 0], [2, from, 8]), tf.slice(b, [0, 0, 0], [2, from, 8])) < 1e-5);
          assert.ok(maxAbsDiff(tf.slice(a, [0, from, 0], [2, 6 - from, 8]), tf.slice(b, [0, from, 0], [2, 6 - from, 8])) > 1e-3);
        }
        encoder.dispose();
      });
    });

    it('has finite, non-zero gradients to every weight, with dropout on', () => {
      const encoder = new TransformerEncoder({ ...config, dropout: 0.1, attentionDropout: 0.1, activation: 'gelu' });
      const x = random([2, 4, 8], 21);
      const source = random([2, 3, 8], 22);
      const keyMask = tf.tensor2d([[1, 1, 0], [1, 1, 1]]);
      const variables = encoder.trainableVariables();
      assert.equal(variables.length, config.layers * 16 + 2);
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(encoder.forward(x, { training: true, keyMask, source }))) as tf.Scalar, variables);
      for (const variable of variables) {
        const grad = grads[variable.name]!;
        const values = grad.dataSync();
        assert.ok(values.every(Number.isFinite), `${variable.name} finite`);
        assert.ok(values.some((v) => v !== 0), `${variable.name} non-zero`);
      }
      tf.dispose([x, source, keyMask, ...Object.values(grads)]);
      encoder.dispose();
    });

    it('layerNormVariables: the in-layer LayerNorm gains and biases, the final one on request', () => {
      const encoder = new TransformerEncoder(config);
      const all = encoder.trainableVariables();
      const norms = encoder.layerNormVariables();
      assert.equal(norms.length, config.layers * 4, 'two LayerNorms (γ, β) per layer');
      assert.ok(norms.every((v) => all.includes(v)), 'all of them are trainable variables of the encoder');
      const dim = config.dim;
      assert.ok(norms.every((v) => v.shape.length === 1 && v.shape[0] === dim), 'each is a [dim] vector');
      // Gains start at 1 and biases at 0, alternating.
      norms.forEach((v, i) => assert.ok(v.dataSync().every((x) => x === (i % 2 === 0 ? 1 : 0)), v.name));
      const withFinal = encoder.layerNormVariables({ includeFinal: true });
      assert.deepEqual(withFinal.slice(0, norms.length), norms);
      assert.deepEqual(withFinal.slice(norms.length), all.slice(-2), 'the final LayerNorm comes last');
      const bare = new TransformerEncoder({ ...config, finalNorm: false });
      assert.equal(bare.layerNormVariables({ includeFinal: true }).length, config.layers * 4);
      const layer = new TransformerLayer(config);
      assert.equal(layer.layerNormVariables().length, 4);
      encoder.dispose();
      bare.dispose();
      layer.dispose();
    });

    it('is deterministic when not training, seeded, and leaks no tensors', () => {
      const x = random([1, 3, 8], 31);
      const before = tf.memory().numTensors;
      const a = new TransformerLayer({ dim: 8, heads: 4, dropout: 0.5, seed: 3 });
      const b = new TransformerLayer({ dim: 8, heads: 4, dropout: 0.5, seed: 3 });
      const ya = a.forward(x, { training: false });
      const yb = b.forward(x, { training: false });
      assert.equal(maxAbsDiff(ya, yb), 0);
      tf.dispose([ya, yb]);
      a.dispose();
      b.dispose();
      assert.equal(tf.memory().numTensors, before);
      x.dispose();
    });
  });

  describe('gelu', () => {
    it('matches the tanh approximation at known points', () => {
      const y = gelu(tf.tensor1d([-3, -1, 0, 1, 3]));
      const expected = [-0.00363739, -0.15880801, 0, 0.84119199, 2.99636261];
      y.dataSync().forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-5));
      y.dispose();
    });
  });

  describe('sinusoidalPositions', () => {
    it('has known values', () => {
      const pe = sinusoidalPositions(3, 6);
      const rows = pe.arraySync();
      assert.deepEqual(rows[0], [0, 1, 0, 1, 0, 1]);
      const angle = (pos: number, c: number) => pos / Math.pow(10000, (2 * Math.floor(c / 2)) / 6);
      for (const pos of [1, 2]) {
        for (let c = 0; c < 6; c++) {
          const expected = c % 2 === 0 ? Math.sin(angle(pos, c)) : Math.cos(angle(pos, c));
          assert.ok(Math.abs(rows[pos]![c]! - expected) < 1e-6);
        }
      }
      assert.ok(Math.abs(rows[1]![0]! - Math.sin(1)) < 1e-6);
      pe.dispose();
    });
  });

  describe('lastRealStep', () => {
    it('takes each sequence’s last real step; zeros when none', () => {
      tf.tidy(() => {
        const x = tf.tensor3d(
          [
            [[1, 2], [3, 4], [5, 6]],
            [[7, 8], [9, 10], [11, 12]],
            [[13, 14], [15, 16], [17, 18]],
          ],
        );
        const mask = tf.tensor2d([[1, 1, 0], [1, 1, 1], [0, 0, 0]]);
        assert.deepEqual(lastRealStep(x, mask).arraySync(), [[3, 4], [11, 12], [0, 0]]);
        const grad = tf.grad((input: tf.Tensor) => tf.sum(lastRealStep(input as tf.Tensor3D, mask)))(x);
        assert.deepEqual((grad as tf.Tensor3D).arraySync()[0], [[0, 0], [1, 1], [0, 0]]);
        // One step (utterance vectors): tf.oneHot cannot have depth 1.
        const single = tf.tensor3d([[[1, 2]], [[3, 4]]]);
        assert.deepEqual(lastRealStep(single, tf.tensor2d([[1], [0]])).arraySync(), [[1, 2], [0, 0]]);
      });
    });
  });
});
