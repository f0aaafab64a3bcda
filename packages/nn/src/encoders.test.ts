import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { forEachBackend } from '@midg/backend/testing';
import { maxAbsDiff } from './testing';
import { DataError } from '@midg/features';
import { MultimodalEncoder } from './multimodal';
import { UnimodalEncoder, maskFromLengths, maskedMean } from './unimodal';

const EVAL = { training: false };

forEachBackend((backend) => {
  describe('maskFromLengths', () => {
    it('marks the first length steps of each row', () => {
      const mask = maskFromLengths(Int32Array.from([1, 3, 2]), 3);
      assert.deepEqual(mask.arraySync(), [
        [1, 0, 0],
        [1, 1, 1],
        [1, 1, 0],
      ]);
    });

    it('rejects lengths outside 1..seqLen with a DataError', () => {
      assert.throws(() => maskFromLengths(Int32Array.from([2, 0]), 3), (e: unknown) => {
        assert.ok(e instanceof DataError);
        assert.match(e.message, /sample 1 has sequence length 0; lengths must be in 1\.\.3/);
        return true;
      });
      assert.throws(() => maskFromLengths(Int32Array.from([4]), 3), DataError);
    });
  });

  describe('maskedMean', () => {
    it('averages only the real steps', () => {
      const x = tf.tensor3d([[[1], [3], [100]]]);
      const mean = maskedMean(x, tf.tensor2d([[1, 1, 0]]));
      assert.deepEqual(Array.from(mean.dataSync()), [2]);
    });
  });

  describe('UnimodalEncoder', () => {
    const config = { inputDim: 5, hiddenDim: 8, seed: 3 };

    it('maps [B, L, D] to [B, d] and works for utterance-level data (L = 1)', () => {
      const encoder = new UnimodalEncoder(config);
      const out = encoder.forward(tf.randomNormal([4, 6, 5]), maskFromLengths(Int32Array.from([6, 1, 3, 4]), 6), EVAL);
      assert.deepEqual(out.shape, [4, 8]);
      const single = encoder.forward(tf.randomNormal([4, 1, 5]), tf.ones([4, 1]) as tf.Tensor2D, EVAL);
      assert.deepEqual(single.shape, [4, 8]);
      assert.ok(Number.isFinite(tf.sum(single).dataSync()[0]!));
    });

    it('ignores padded steps: garbage in masked-out steps, in range or appended, leaves the output unchanged', () => {
      const encoder = new UnimodalEncoder(config);
      const lengths = Int32Array.from([4, 2, 1]);
      const mask = maskFromLengths(lengths, 4);
      const x = tf.mul(tf.randomNormal([3, 4, 5], 0, 1, 'float32', 9), mask.expandDims(2)) as tf.Tensor3D;
      const reference = encoder.forward(x, mask, EVAL);

      const inRange = tf.add(x, tf.mul(tf.randomNormal([3, 4, 5], 0, 1e3, 'float32', 4), tf.sub(1, mask.expandDims(2))));
      const appended = tf.concat([tf.fill([3, 2, 5], 1e6), tf.randomNormal([3, 1, 5], 0, 100, 'float32', 5)], 1);
      const padded = tf.concat([inRange, appended], 1) as tf.Tensor3D;
      assert.ok(maxAbsDiff(reference, encoder.forward(padded, maskFromLengths(lengths, 7), EVAL)) < 1e-5);

      // Overwriting the real steps does change the output (the test above is not vacuous).
      const changed = encoder.forward(tf.add(x, 1) as tf.Tensor3D, mask, EVAL);
      assert.ok(maxAbsDiff(reference, changed) > 1e-3);
    });

    it('gives utterance-level input (L = 1, a shortcut) the same result as the general masked path', () => {
      const encoder = new UnimodalEncoder(config);
      const x = tf.randomNormal([3, 1, 5], 0, 1, 'float32', 6) as tf.Tensor3D;
      const single = encoder.forward(x, tf.ones([3, 1]) as tf.Tensor2D, EVAL);
      const withPadding = tf.concat([x, tf.fill([3, 2, 5], 7)], 1) as tf.Tensor3D;
      assert.ok(maxAbsDiff(single, encoder.forward(withPadding, maskFromLengths(Int32Array.from([1, 1, 1]), 3), EVAL)) < 1e-5);
    });

    it('is reproducible from its seed, deterministic in eval, stochastic in training', () => {
      const x = tf.randomNormal([3, 2, 5], 0, 1, 'float32', 4) as tf.Tensor3D;
      const mask = tf.ones([3, 2]) as tf.Tensor2D;
      const a = new UnimodalEncoder(config);
      const b = new UnimodalEncoder(config);
      const c = new UnimodalEncoder({ ...config, seed: 4 });
      assert.equal(maxAbsDiff(a.forward(x, mask, EVAL), b.forward(x, mask, EVAL)), 0);
      assert.ok(maxAbsDiff(a.forward(x, mask, EVAL), c.forward(x, mask, EVAL)) > 1e-3);
      assert.ok(maxAbsDiff(a.forward(x, mask, EVAL), a.forward(x, mask, { training: true })) > 1e-4);
    });

    it(`has a gradient for every variable on ${backend} and leaks no tensors`, () => {
      const encoder = new UnimodalEncoder(config);
      const x = tf.randomNormal([3, 4, 5]) as tf.Tensor3D;
      const mask = maskFromLengths(Int32Array.from([4, 2, 3]), 4);
      const variables = encoder.trainableVariables();
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.mul(encoder.forward(x, mask, { training: true }), tf.linspace(-1, 1, 8))) as tf.Scalar,
        variables,
      );
      assert.equal(Object.keys(grads).length, variables.length);
      for (const variable of variables) {
        assert.ok(tf.tidy(() => tf.sum(tf.abs(grads[variable.name]!)).dataSync()[0]!) > 0, variable.name);
      }
      tf.dispose([value, ...Object.values(grads)]);
      assert.equal(tf.memory().numTensors, before);
    });

    it('rejects inputs of the wrong width or a mismatched mask', () => {
      const encoder = new UnimodalEncoder(config);
      assert.throws(() => encoder.forward(tf.zeros([2, 3, 4]), tf.ones([2, 3]), EVAL), /expected shape \[B, L, 5\], got \[2, 3, 4\]/);
      assert.throws(() => encoder.forward(tf.zeros([2, 3, 5]), tf.ones([2, 2]), EVAL), /mask: expected shape \[2, 3\], got \[2, 2\]/);
    });
  });

  describe('MultimodalEncoder', () => {
    it('encodes exactly the modalities given, in t/a/v order, with distinct weights', () => {
      const encoder = new MultimodalEncoder({ dims: { v: 3, t: 4 }, hiddenDim: 6, seed: 1 });
      assert.deepEqual(encoder.modalities, ['t', 'v']);
      const x = { t: tf.randomNormal([2, 5, 4]) as tf.Tensor3D, v: tf.randomNormal([2, 1, 3]) as tf.Tensor3D };
      const masks = { t: maskFromLengths(Int32Array.from([5, 2]), 5), v: tf.ones([2, 1]) as tf.Tensor2D };
      const out = encoder.forward(x, masks, EVAL);
      assert.deepEqual(Object.keys(out).sort(), ['t', 'v']);
      assert.deepEqual(out.t!.shape, [2, 6]);
      assert.deepEqual(out.v!.shape, [2, 6]);
      assert.equal(encoder.trainableVariables().length, 2 * encoder.encoders.t!.trainableVariables().length);
    });

    it('names a missing modality', () => {
      const encoder = new MultimodalEncoder({ dims: { t: 4, a: 2 }, seed: 1 });
      assert.throws(
        () => encoder.forward({ t: tf.zeros([1, 1, 4]) }, { t: tf.ones([1, 1]) }, EVAL),
        /MultimodalEncoder: missing features for modality "a"/,
      );
    });
  });
});
