import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { stopGradient } from '@midg/nn';
import { cmd, diffLoss, meanPairwiseCmd, meanReconstructionLoss } from './losses';

before(async () => {
  await useBackend('wasm');
});

const scalar = async (t: tf.Tensor) => {
  const value = (await t.data())[0]!;
  t.dispose();
  return value;
};

const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);

describe('diff loss (soft orthogonality)', () => {
  test('is 0 for codes in orthogonal subspaces', async () => {
    // The cross-correlation AᵀB pairs feature columns over the batch: it vanishes when every centred column of A is
    // orthogonal (in ℝ^B) to every centred column of B. Here A lives on samples 0–1 and B on samples 2–3 (each as
    // ±r, so centring leaves them there); row normalisation only rescales rows, which keeps the supports apart.
    const r = tf.randomNormal([1, 6], 0, 1, 'float32', 1);
    const s = tf.randomNormal([1, 6], 0, 1, 'float32', 2);
    const zeros = tf.zeros([2, 6]);
    const a = tf.concat([r, tf.neg(r), zeros]) as tf.Tensor2D;
    const b = tf.concat([zeros, s, tf.neg(s)]) as tf.Tensor2D;
    close(await scalar(diffLoss(a, b)), 0, 1e-12, 'L_diff');
    // Sanity: the same codes on shared samples are not orthogonal.
    assert.ok((await scalar(diffLoss(a, tf.concat([s, tf.neg(s), zeros]) as tf.Tensor2D))) > 1e-3);
    tf.dispose([r, s, zeros, a, b]);
  });

  test('is 4/d² for a hand case: two opposite rows, one shared direction', async () => {
    // Centred rows ±e₀ (norm 1) and ±e₁: the cross-correlation has one entry, 1·1 + (−1)(−1) = 2, and 2² / d².
    const d = 3;
    const a = tf.tensor2d([[1, 0, 0], [-1, 0, 0]]);
    const b = tf.tensor2d([[0, 5, 0], [0, -5, 0]]);
    close(await scalar(diffLoss(a, b)), 4 / d ** 2, 1e-5, 'L_diff(±e₀, ±5e₁)');
    // Adding a constant to every row changes nothing (columns are centred first).
    const shifted = tf.add(a, 7) as tf.Tensor2D;
    close(await scalar(diffLoss(shifted, b)), 4 / d ** 2, 1e-5, 'L_diff after a shift');
    tf.dispose([a, b, shifted]);
  });

  test('has a finite gradient, also for a batch of one (all-zero centred rows)', async () => {
    const a = tf.randomNormal([4, 5], 0, 1, 'float32', 3) as tf.Tensor2D;
    const b = tf.randomNormal([4, 5], 0, 1, 'float32', 4) as tf.Tensor2D;
    const grad = tf.grad((x: tf.Tensor) => diffLoss(x as tf.Tensor2D, b))(a);
    assert.ok(Array.from(await grad.data()).every(Number.isFinite));
    const single = tf.slice(a, [0, 0], [1, 5]) as tf.Tensor2D;
    const singleGrad = tf.grad((x: tf.Tensor) => diffLoss(x as tf.Tensor2D, single))(single);
    assert.ok(Array.from(await singleGrad.data()).every(Number.isFinite));
    tf.dispose([a, b, grad, single, singleGrad]);
  });
});

test('the detached row norm gives the gradient of the stopGradient form it replaced', async () => {
  // The former body: the norm of stopGradient(centred), its backward pass run and zeroed.
  const reference = (a: tf.Tensor2D, b: tf.Tensor2D) => {
    const unit = (x: tf.Tensor2D) => {
      const centred = tf.sub(x, tf.mean(x, 0, true));
      return tf.div(centred, tf.add(tf.norm(stopGradient(centred), 2, 1, true), 1e-6)) as tf.Tensor2D;
    };
    return tf.mean(tf.square(tf.matMul(unit(a), unit(b), true, false))) as tf.Scalar;
  };
  const a = tf.randomNormal([6, 5], 0, 1, 'float32', 7) as tf.Tensor2D;
  const b = tf.randomNormal([6, 5], 0, 1, 'float32', 8) as tf.Tensor2D;
  const [expectedA, expectedB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => reference(x as tf.Tensor2D, y as tf.Tensor2D))([a, b]);
  const [actualA, actualB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => diffLoss(x as tf.Tensor2D, y as tf.Tensor2D))([a, b]);
  close(await scalar(diffLoss(a, b)), await scalar(reference(a, b)), 1e-7, 'L_diff');
  close(await scalar(tf.max(tf.abs(tf.sub(actualA!, expectedA!)))), 0, 1e-7, 'dL/da');
  close(await scalar(tf.max(tf.abs(tf.sub(actualB!, expectedB!)))), 0, 1e-7, 'dL/db');
  assert.ok((await scalar(tf.max(tf.abs(expectedA!)))) > 1e-4, 'the gradient is not trivially zero');
  tf.dispose([a, b, expectedA!, expectedB!, actualA!, actualB!]);
});

describe('CMD (central moment discrepancy)', () => {
  test('CMD(x, x + c) = ‖c‖: a shift moves the mean only', async () => {
    const x = tf.randomNormal([16, 5], 0, 1, 'float32', 5) as tf.Tensor2D;
    const c = tf.tensor1d([0.5, 1, -1, 0, 0]); // ‖c‖ = 1.5
    const shifted = tf.add(x, c) as tf.Tensor2D;
    close(await scalar(cmd(x, shifted, 5)), 1.5, 1e-4, 'CMD(x, x + c)');
    close(await scalar(cmd(shifted, x, 5)), 1.5, 1e-4, 'CMD(x + c, x)');
    tf.dispose([x, c, shifted]);
  });

  test('CMD(x, x) = 0 with a finite gradient (the √ has an ε)', async () => {
    const x = tf.randomNormal([8, 4], 0, 1, 'float32', 6) as tf.Tensor2D;
    close(await scalar(cmd(x, x, 5)), 0, 1e-5, 'CMD(x, x)');
    const [gradX] = tf.grads((a: tf.Tensor) => cmd(a as tf.Tensor2D, x, 5))([x]);
    const both = tf.grad((a: tf.Tensor) => cmd(a as tf.Tensor2D, a as tf.Tensor2D, 5))(x);
    assert.ok(Array.from(await gradX!.data()).every(Number.isFinite), 'gradient of CMD(·, x) at x is finite');
    assert.ok(Array.from(await both.data()).every(Number.isFinite), 'gradient of CMD(x, x) is finite');
    tf.dispose([x, gradX!, both]);
  });

  test('higher moments count: same mean, different spread', async () => {
    const x = tf.tensor2d([[1], [-1]]);
    const y = tf.tensor2d([[2], [-2]]);
    // Moments 2..5 of ±1 vs ±2: |1 − 4| + 0 + |1 − 16| + 0 = 18 (odd central moments vanish).
    close(await scalar(cmd(x, y, 5)), 18, 1e-4, 'CMD(±1, ±2)');
    close(await scalar(cmd(x, y, 1)), 0, 1e-5, 'first moment only');
    tf.dispose([x, y]);
  });

  test('pairwise mean over shared codes, and at least two are needed', async () => {
    const x = tf.zeros([4, 3]) as tf.Tensor2D;
    const y = tf.fill([4, 3], 1) as tf.Tensor2D; // mean differs by (1,1,1): CMD √3
    const z = tf.fill([4, 3], 2) as tf.Tensor2D; // CMD(x,z) = 2√3, CMD(y,z) = √3
    close(await scalar(meanPairwiseCmd([x, y, z], 5)), (4 * Math.sqrt(3)) / 3, 1e-4, 'mean of three pairs');
    assert.throws(() => meanPairwiseCmd([x], 5), /at least two shared codes/);
    close(await scalar(meanReconstructionLoss([x, y], [y, y])), 0.5, 1e-6, 'mean of per-modality MSE');
    tf.dispose([x, y, z]);
  });
});
