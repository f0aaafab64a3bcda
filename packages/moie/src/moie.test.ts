import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { maxAbsDiff, scalar } from '@midg/nn/testing';
import { DomainDiscriminator } from './discriminator';
import { Router } from './experts';
import { gradientReversal } from './grl';
import { MixtureOfInvariantExperts, expertUsage } from './moie';

before(async () => {
  await useBackend('wasm');
});

const EVAL = { training: false };
const TRAIN = { training: true };

describe('gradientReversal', () => {
  it('is the identity forward and scales the gradient by −λ backward', () => {
    const x = tf.tensor2d([[0.3, -1.2], [2, 0.5]]);
    const weights = tf.tensor2d([[1.5, -2], [0.25, 3]]);
    const downstream = (t: tf.Tensor) => tf.sum(tf.mul(tf.sin(t), weights));
    for (const lambda of [1, 0.3, 2]) {
      assert.equal(maxAbsDiff(gradientReversal(x, lambda), x), 0);
      const plain = tf.grad(downstream)(x);
      const reversed = tf.grad((t: tf.Tensor) => downstream(gradientReversal(t, lambda)))(x);
      assert.ok(maxAbsDiff(reversed, tf.mul(plain, -lambda)) < 1e-6, `lambda ${lambda}`);
    }
  });

  it('rejects a non-finite lambda', () => {
    assert.throws(() => gradientReversal(tf.zeros([1]), Number.NaN), /lambda must be a finite number, got NaN/);
  });
});

describe('Router', () => {
  it('gives non-negative weights summing to 1 per sample', () => {
    const gates = new Router({ inputDim: 6, experts: 5, seed: 1 }).forward(tf.randomNormal([7, 6], 0, 3), EVAL);
    assert.deepEqual(gates.shape, [7, 5]);
    assert.ok(tf.min(gates).dataSync()[0]! >= 0);
    for (const rowSum of tf.sum(gates, 1).dataSync()) assert.ok(Math.abs(rowSum - 1) < 1e-5);
  });
});

describe('MixtureOfInvariantExperts', () => {
  const config = { inputDim: 9, hiddenDim: 8, experts: 3, expertHidden: 16, routerHidden: 8, seed: 4 };

  it('outputs the gate-weighted sum of its experts, gates [B, K] and ŷ1 [B]', async () => {
    const moie = new MixtureOfInvariantExperts(config);
    const input = tf.randomNormal([5, 9]) as tf.Tensor2D;
    const { representation, gates, prediction } = moie.forward(input, EVAL);
    assert.deepEqual(representation.shape, [5, 8]);
    assert.deepEqual(gates.shape, [5, 3]);
    assert.deepEqual(prediction.shape, [5]);
    // Recompute Σ_k g_k E_k with a plain loop over samples and experts.
    const g = gates.arraySync();
    const outputs = moie.experts.map((expert) => expert.forward(input, EVAL).arraySync());
    const expected = g.map((row, b) => outputs[0]![b]!.map((_, j) => row.reduce((s, gk, k) => s + gk * outputs[k]![b]![j]!, 0)));
    assert.ok(maxAbsDiff(representation, tf.tensor2d(expected)) < 1e-5);
    assert.ok(maxAbsDiff(prediction, moie.head.forward(representation, EVAL)) < 1e-6);
    const usage = await expertUsage(gates);
    assert.equal(usage.length, 3);
    assert.ok(Math.abs(usage.reduce((s, u) => s + u, 0) - 1) < 1e-5);
  });

  it('is reproducible from its seed', () => {
    const input = tf.randomNormal([3, 9]) as tf.Tensor2D;
    const run = (seed: number) => new MixtureOfInvariantExperts({ ...config, seed }).forward(input, EVAL).representation;
    assert.equal(maxAbsDiff(run(4), run(4)), 0);
    assert.ok(maxAbsDiff(run(4), run(5)) > 1e-4);
  });

  it('with K = 1 equals its single expert', () => {
    const moie = new MixtureOfInvariantExperts({ ...config, experts: 1 });
    const input = tf.randomNormal([4, 9]) as tf.Tensor2D;
    const { representation, gates } = moie.forward(input, EVAL);
    assert.deepEqual(Array.from(gates.dataSync()), [1, 1, 1, 1]);
    assert.ok(maxAbsDiff(representation, moie.experts[0]!.forward(input, EVAL)) < 1e-6);
  });

  it('gives every variable a gradient on wasm and leaks no tensors', () => {
    const moie = new MixtureOfInvariantExperts(config);
    const input = tf.randomNormal([6, 9]) as tf.Tensor2D;
    const labels = tf.tensor1d([0.5, -1, 2, 0, 1, -0.3]);
    const domains = tf.tensor1d([0, 1, 0, 1, 1, 0]);
    const variables = moie.trainableVariables();
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const { representation, prediction } = moie.forward(input, TRAIN);
      return tf.add(tf.losses.meanSquaredError(labels, prediction), moie.domainLoss(representation, domains, 0.5)) as tf.Scalar;
    }, variables);
    for (const variable of variables) {
      assert.ok(tf.tidy(() => scalar(tf.sum(tf.abs(grads[variable.name]!)))) > 0, variable.name);
    }
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before);
  });

  it("sends the representation a gradient opposite (×λ) to the discriminator's own objective", () => {
    const moie = new MixtureOfInvariantExperts(config);
    const representation = moie.forward(tf.randomNormal([6, 9]) as tf.Tensor2D, EVAL).representation;
    const domains = tf.tensor1d([0, 1, 0, 1, 1, 0]);
    const lambda = 0.7;
    const adversarial = tf.grad((r: tf.Tensor) => moie.domainLoss(r as tf.Tensor2D, domains, lambda))(representation);
    const discriminator = tf.grad((r: tf.Tensor) => moie.discriminator.loss(r as tf.Tensor2D, domains))(representation);
    assert.ok(scalar(tf.sum(tf.mul(adversarial, discriminator))) < 0);
    assert.ok(maxAbsDiff(adversarial, tf.mul(discriminator, -lambda)) < 1e-6);
    // The same loss still trains the discriminator normally.
    const variables = moie.discriminator.trainableVariables();
    const viaGrl = tf.variableGrads(() => moie.domainLoss(representation, domains, lambda), variables).grads;
    const direct = tf.variableGrads(() => moie.discriminator.loss(representation, domains), variables).grads;
    for (const v of variables) assert.ok(maxAbsDiff(viaGrl[v.name]!, direct[v.name]!) < 1e-6);
  });
});

describe('DomainDiscriminator', () => {
  it('computes the binary cross-entropy of eq. (4) from its logits', () => {
    const discriminator = new DomainDiscriminator({ inputDim: 3, hiddenDim: 4, seed: 2 });
    const representation = tf.randomNormal([5, 3], 0, 2) as tf.Tensor2D;
    const labels = [1, 0, 0, 1, 1];
    const logits = Array.from(discriminator.logits(representation).dataSync());
    const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
    const expected = -labels.reduce((s, d, i) => s + d * Math.log(sigmoid(logits[i]!)) + (1 - d) * Math.log(1 - sigmoid(logits[i]!)), 0) / 5;
    assert.ok(Math.abs(scalar(discriminator.loss(representation, tf.tensor1d(labels))) - expected) < 1e-5);
    assert.throws(() => discriminator.loss(representation, tf.tensor1d([1, 0])), /domain labels: expected shape \[5\], got \[2\]/);
  });

  it('lowers its loss when trained alone on separable domains', () => {
    const discriminator = new DomainDiscriminator({ inputDim: 4, hiddenDim: 8, seed: 3 });
    const sourceA = tf.add(tf.randomNormal([32, 4], 0, 1, 'float32', 1), 1.5);
    const sourceB = tf.sub(tf.randomNormal([32, 4], 0, 1, 'float32', 2), 1.5);
    const representation = tf.concat([sourceA, sourceB]) as tf.Tensor2D;
    const labels = tf.concat([tf.zeros([32]), tf.ones([32])]) as tf.Tensor1D;
    const initial = scalar(discriminator.loss(representation, labels));
    const optimizer = tf.train.adam(0.01);
    for (let i = 0; i < 100; i++) optimizer.minimize(() => discriminator.loss(representation, labels), false, discriminator.trainableVariables());
    const final = scalar(discriminator.loss(representation, labels));
    assert.ok(final < 0.1 && final < initial / 4, `${initial} → ${final}`);
  });
});
