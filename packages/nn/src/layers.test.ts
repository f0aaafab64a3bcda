import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { forEachBackend } from '@midg/backend/testing';
import { maxAbsDiff } from './testing';
import { Dense, Dropout, LayerNorm, Mlp, MlpHead, deriveSeed, matMul, stopGradient } from './layers';

function values(variables: tf.Variable[]): number[][] {
  return variables.map((v) => Array.from(v.dataSync()));
}

describe('deriveSeed', () => {
  it('is stable for the same path and differs between paths and seeds', () => {
    assert.equal(deriveSeed(7, 'a', 1), deriveSeed(7, 'a', 1));
    assert.notEqual(deriveSeed(7, 'a', 1), deriveSeed(7, 'a', 2));
    assert.notEqual(deriveSeed(7, 'a', 1), deriveSeed(8, 'a', 1));
    assert.ok(deriveSeed(123, 'x') >= 0 && deriveSeed(123, 'x') <= 0x7fffffff);
  });
});

forEachBackend((backend) => {
  describe('matMul', () => {
    it('equals tf.matMul in value and gradient', () => {
      const a = tf.randomNormal([3, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
      const b = tf.randomNormal([4, 5], 0, 1, 'float32', 2) as tf.Tensor2D;
      const weights = tf.randomNormal([3, 5], 0, 1, 'float32', 3);
      const loss = (mm: (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.mul(mm(x as tf.Tensor2D, y as tf.Tensor2D), weights));
      assert.ok(maxAbsDiff(matMul(a, b), tf.matMul(a, b)) < 1e-5);
      const ours = tf.grads(loss(matMul))([a, b]);
      const reference = tf.grads(loss((x, y) => tf.matMul(x, y)))([a, b]);
      ours.forEach((g, i) => assert.ok(maxAbsDiff(g, reference[i]!) < 1e-5));
    });

    it('rejects incompatible operands', () => {
      assert.throws(() => matMul(tf.zeros([2, 3]), tf.zeros([4, 5])), /matMul: cannot multiply \[2, 3\] by \[4, 5\]/);
    });
  });

  describe('Dense', () => {
    it('is reproducible from its seed and exposes the tf.layers weights as tf.Variables', () => {
      const [a, b, c] = [11, 11, 12].map((seed) => new Dense({ inputDim: 5, units: 3, seed }));
      const [va, vb, vc] = [a!, b!, c!].map((layer) => layer.trainableVariables());
      assert.deepEqual(va!.map((v) => v.shape), [[5, 3], [3]]);
      assert.ok(va!.every((v) => v instanceof tf.Variable && v.trainable));
      assert.deepEqual(values(va!), values(vb!));
      assert.notDeepEqual(values(va!)[0], values(vc!)[0]);
    });

    it('computes activation(x W + b) on the last axis of any rank', () => {
      const layer = new Dense({ inputDim: 4, units: 2, activation: 'relu', biasInit: 0.5, seed: 1 });
      const [kernel, bias] = layer.trainableVariables();
      const x = tf.randomNormal([2, 3, 4]);
      const expected = tf.relu(tf.add(tf.matMul(tf.reshape(x, [6, 4]), kernel!), bias!)).reshape([2, 3, 2]);
      assert.ok(maxAbsDiff(layer.forward(x), expected) < 1e-6);
      assert.deepEqual(Array.from(bias!.dataSync()), [0.5, 0.5]);
      assert.throws(() => layer.forward(tf.zeros([2, 3])), /dense layer: expected last axis 4, got \[2, 3\]/);
    });

    it('rejects a non-integer width with a precise message', () => {
      assert.throws(() => new Dense({ inputDim: 4, units: 0, seed: 1 }), /dense units must be a positive integer, got 0/);
    });
  });

  describe('LayerNorm', () => {
    it('normalizes each position of a rank-3 input over the last axis', () => {
      const norm = new LayerNorm(6);
      const out = norm.forward(tf.randomNormal([2, 3, 6], 2, 3));
      const { mean, variance } = tf.moments(out, -1);
      assert.ok(tf.max(tf.abs(mean)).dataSync()[0]! < 1e-5);
      assert.ok(maxAbsDiff(variance, tf.onesLike(variance)) < 1e-3);
      assert.equal(norm.trainableVariables().length, 2);
    });
  });

  describe('Dropout', () => {
    it('is the identity in eval mode and draws a fresh reproducible mask per training call', () => {
      const x = tf.ones([4, 50]);
      const first = new Dropout(0.5, 3);
      const second = new Dropout(0.5, 3);
      assert.equal(first.apply(x, { training: false }), x);
      const a1 = first.apply(x, { training: true }).arraySync() as number[][];
      const a2 = first.apply(x, { training: true }).arraySync();
      const b1 = second.apply(x, { training: true }).arraySync();
      assert.notDeepEqual(a1, a2);
      assert.deepEqual(a1, b1);
      // Inverted dropout: kept units are scaled by 1 / (1 - rate).
      assert.ok(a1.flat().every((v) => v === 0 || Math.abs(v - 2) < 1e-6));
    });

    it('rejects a rate outside [0, 1)', () => {
      assert.throws(() => new Dropout(1, 0), /dropout rate must be in \[0, 1\), got 1/);
    });
  });

  describe('Mlp and MlpHead', () => {
    it(`gives every variable a gradient on ${backend} and leaks no tensors`, () => {
      const mlp = new Mlp({ inputDim: 6, hiddenDims: [8, 7], outputDim: 2, dropout: 0.2, seed: 5 });
      const x = tf.randomNormal([3, 4, 6], 0, 1, 'float32', 1);
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.square(mlp.forward(x, { training: true }))) as tf.Scalar,
        mlp.trainableVariables(),
      );
      assert.equal(Object.keys(grads).length, 6);
      assert.ok(Object.values(grads).every((g) => tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]!) > 0));
      tf.dispose([value, ...Object.values(grads)]);
      assert.equal(tf.memory().numTensors, before);
    });

    it('dispose frees its variables', () => {
      const mlp = new Mlp({ inputDim: 3, outputDim: 2, seed: 1 });
      const before = tf.memory().numTensors;
      mlp.dispose();
      assert.equal(tf.memory().numTensors, before - 4);
    });

    it('MlpHead maps [B, d] to [B]', () => {
      const head = new MlpHead({ inputDim: 6, seed: 2 });
      const y = head.forward(tf.randomNormal([5, 6]), { training: false });
      assert.deepEqual(y.shape, [5]);
    });
  });

  describe('stopGradient', () => {
    it('passes values through and blocks the gradient', () => {
      const x = tf.tensor1d([1, 2, 3]);
      const f = (t: tf.Tensor) => tf.sum(tf.add(tf.square(t), stopGradient(tf.square(t))));
      assert.deepEqual(Array.from(f(x).dataSync()), [28]);
      // d/dx of x² + sg(x²) is 2x, not 4x.
      assert.deepEqual(Array.from(tf.grad(f)(x).dataSync()), [2, 4, 6]);
    });
  });
});
