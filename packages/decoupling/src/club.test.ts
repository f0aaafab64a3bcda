import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { ClubEstimator } from './club';

before(async () => {
  await useBackend('wasm');
});

type PairSampler = (seed: number) => [x: tf.Tensor2D, y: tf.Tensor2D];

/** Fits q_θ for `steps` Adam steps on one sample of pairs, then returns the CLUB estimate on a fresh sample. */
function fittedEstimate(sample: PairSampler, steps = 150): number {
  const [x, y] = sample(1);
  const club = new ClubEstimator({ xDim: x.shape[1], yDim: y.shape[1], hiddenDim: 16, seed: 7 });
  const optimizer = tf.train.adam(0.02);
  for (let i = 0; i < steps; i++) optimizer.minimize(() => club.learningLoss(x, y), false, club.trainableVariables());
  optimizer.dispose();
  const estimate = club.estimate(...sample(2)).dataSync()[0]!;
  club.dispose();
  return estimate;
}

describe('ClubEstimator', () => {
  it('estimates more information for strongly dependent pairs than for independent ones', () => {
    const mixing = tf.randomNormal([4, 4], 0, 1, 'float32', 3);
    const gaussian = (seed: number) => tf.randomNormal([256, 4], 0, 1, 'float32', seed) as tf.Tensor2D;
    const high = fittedEstimate((seed) => {
      const x = gaussian(seed);
      return [x, tf.add(tf.matMul(x, mixing), tf.mul(gaussian(seed + 100), 0.1))];
    });
    const low = fittedEstimate((seed) => [gaussian(seed), gaussian(seed + 100)]);
    assert.ok(high > 2, `dependent estimate ${high}`);
    assert.ok(Math.abs(low) < 0.3, `independent estimate ${low}`);
  });

  it('fits only θ: the learning loss sends no gradient to its inputs', () => {
    const club = new ClubEstimator({ xDim: 2, yDim: 2, seed: 1 });
    const x = tf.randomNormal([8, 2]) as tf.Tensor2D;
    const y = tf.randomNormal([8, 2]) as tf.Tensor2D;
    const [gx, gy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => club.learningLoss(a as tf.Tensor2D, b as tf.Tensor2D))([x, y]);
    assert.equal(tf.sum(tf.abs(gx!)).dataSync()[0], 0);
    assert.equal(tf.sum(tf.abs(gy!)).dataSync()[0], 0);
    // ...while the estimate does reach the encoders' outputs.
    const gEstimate = tf.grad((a: tf.Tensor) => club.estimate(a as tf.Tensor2D, y))(x);
    assert.ok(tf.sum(tf.abs(gEstimate)).dataSync()[0]! > 0);
  });

  it('rejects mismatched pairs', () => {
    const club = new ClubEstimator({ xDim: 2, yDim: 3, seed: 1 });
    assert.throws(() => club.estimate(tf.zeros([4, 2]), tf.zeros([5, 3])), /CLUB: x has 4 rows but y has 5/);
    assert.throws(() => club.estimate(tf.zeros([4, 2]), tf.zeros([4, 2])), /CLUB y: expected shape \[B, 3\], got \[4, 2\]/);
  });
});
