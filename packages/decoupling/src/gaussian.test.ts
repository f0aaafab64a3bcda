import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { GaussianEncoder, batchAggregate, gaussianKl, standardNormal } from './gaussian';

before(async () => {
  await useBackend('wasm');
});

const gaussian = (mean: number[][], logVar: number[][]) => ({ mean: tf.tensor2d(mean), logVar: tf.tensor2d(logVar) });

describe('gaussianKl', () => {
  it('matches the closed form and is 0 only for identical Gaussians', () => {
    // KL(N(1,1) || N(0,1)) = ½·1² = 0.5; KL(N(0,e) || N(0,1)) = ½(e − 1 − 1).
    const q = gaussian([[1, 0], [0, 0]], [[0, 1], [0, 0]]);
    const kl = gaussianKl(q, standardNormal(2)).arraySync();
    assert.ok(Math.abs(kl[0]! - (0.5 + 0.5 * (Math.E - 2))) < 1e-5);
    assert.ok(Math.abs(kl[1]!) < 1e-7);
  });
});

describe('batchAggregate', () => {
  it('moment-matches the batch mixture and stops the gradient', () => {
    const q = gaussian([[0], [2]], [[0], [0]]);
    const aggregate = batchAggregate(q);
    // mean 1; variance E[σ² + μ²] − 1 = (1 + 2) − 1 = 2.
    assert.ok(Math.abs(aggregate.mean.dataSync()[0]! - 1) < 1e-6);
    assert.ok(Math.abs(aggregate.logVar.dataSync()[0]! - Math.log(2)) < 1e-6);
    const grad = tf.grad((m: tf.Tensor) => tf.sum(batchAggregate({ mean: m as tf.Tensor2D, logVar: q.logVar }).mean))(q.mean);
    assert.deepEqual(Array.from(grad.dataSync()), [0, 0]);
  });
});

describe('GaussianEncoder', () => {
  it('starts at the configured log-variance and samples with that spread around the mean', () => {
    const encoder = new GaussianEncoder({ inputDim: 3, latentDim: 2, initialLogVar: -2, seed: 1 });
    const posterior = encoder.posterior(tf.zeros([4000, 3]));
    assert.ok(Math.abs(posterior.logVar.dataSync()[0]! + 2) < 1e-5);
    const samples = encoder.sample(posterior);
    const { mean, variance } = tf.moments(samples, 0);
    assert.ok(tf.max(tf.abs(mean)).dataSync()[0]! < 0.03);
    assert.ok(tf.max(tf.abs(tf.sub(variance, Math.exp(-2)))).dataSync()[0]! < 0.02);
    assert.notDeepEqual(encoder.sample(posterior).dataSync().slice(0, 4), samples.dataSync().slice(0, 4));
  });
});
