import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { classCentres, relativeDistance, updatedUnimodalLabels } from './label-generation';
import { SampleMemory, type Task } from './memory';

before(async () => {
  await useBackend('wasm');
});

const centres = () => ({ positive: tf.tensor1d([1, 0]), negative: tf.tensor1d([-1, 0]) });

test('hand case: C± = (±1, 0), F_m = (0.5, 0), F_t = (0, 0), y_m = y_t = 1 at epoch 2 moves y_t to 0', async () => {
  const c = centres();
  const fusionDelta = relativeDistance(tf.tensor2d([[0.5, 0]]), c);
  const unimodalDelta = relativeDistance(tf.tensor2d([[0, 0]]), c);
  assert.ok(Math.abs((await fusionDelta.data())[0]! - 2) < 1e-6, 'δ_m = (1.5 − 0.5) / 0.5 = 2');
  assert.equal((await unimodalDelta.data())[0], 0, 'δ_t = 0 (equidistant)');
  const y = updatedUnimodalLabels({ fusionLabels: tf.tensor1d([1]), unimodalLabels: tf.tensor1d([1]), fusionDelta, unimodalDelta, epoch: 2, bound: 1 });
  // ŷ_t = ½·0·1 + ½·(1 + 0 − 2) = −½; y_t = ⅓·1 + ⅔·(−½) = 0.
  assert.ok(Math.abs((await y.data())[0]!) < 1e-6, `y_t = ${(await y.data())[0]}`);
});

test('generated labels are clamped to the label range before the momentum update', async () => {
  const c = centres();
  // F_t sits on the positive centre: δ_t = (2 − 0)/(0 + ε) is huge, ŷ_t clamps to 1; at epoch 3: ½·y_t + ½·1.
  const y = updatedUnimodalLabels({
    fusionLabels: tf.tensor1d([0.2]),
    unimodalLabels: tf.tensor1d([0]),
    fusionDelta: relativeDistance(tf.tensor2d([[0.5, 0]]), c),
    unimodalDelta: relativeDistance(tf.tensor2d([[1, 0]]), c),
    epoch: 3,
    bound: 1,
  });
  assert.ok(Math.abs((await y.data())[0]! - 0.5) < 1e-6);
});

test('class centres: means of the seen rows by label sign; zero labels and unseen rows join neither; empty class → 0', async () => {
  const memory = tf.tensor2d([[2, 0], [4, 2], [-1, -1], [9, 9], [7, 7]]);
  const labels = tf.tensor1d([0.5, 1, -0.3, 0, 0.8]);
  const seen = tf.tensor1d([1, 1, 1, 1, 0]);
  const excluded = classCentres(memory, labels, seen, true);
  assert.deepEqual(Array.from(await excluded.positive.data()), [3, 1]);
  assert.deepEqual(Array.from(await excluded.negative.data()), [-1, -1]);
  const included = classCentres(memory, labels, seen, false);
  assert.deepEqual(Array.from(await included.positive.data()), [5, 11 / 3].map(Math.fround));
  const none = classCentres(memory, tf.tensor1d([1, 1, 1, 1, 1]), seen, true);
  assert.deepEqual(Array.from(await none.negative.data()), [0, 0]);
});

test('memory: y_s starts at y_m, stays there in epoch 1, moves from epoch 2; no tensor leaks', async () => {
  const memory = new SampleMemory(4, ['t'], { m: 2, t: 2 });
  const before = tf.memory().numTensors;
  const features = (m: number[][], t: number[][]) => new Map<Task, tf.Tensor2D>([['m', tf.tensor2d(m)], ['t', tf.tensor2d(t)]]);
  const options = { excludeZero: true, centreLabels: 'own' as const, bound: 1 };
  // Epoch 1: rows 0 (positive) and 1 (negative) fill the memory with the centres (±1, 0).
  const first = features([[1, 0], [-1, 0]], [[1, 0], [-1, 0]]);
  const labels1 = tf.tensor1d([1, -1]);
  memory.update(Int32Array.from([0, 1]), labels1, first, { ...options, epoch: 1 });
  assert.deepEqual(Array.from(await memory.labels('t')), [1, -1, 0, 0]);
  // Epoch 2: row 2 (y_m = 1, F_m = (0.5, 0), F_t = (0, 0)) is the hand case: y_t → 0.
  const second = features([[0.5, 0]], [[0, 0]]);
  const labels2 = tf.tensor1d([1]);
  memory.update(Int32Array.from([2]), labels2, second, { ...options, epoch: 2 });
  const t = await memory.labels('t');
  assert.ok(Math.abs(t[2]!) < 1e-6, `y_t of row 2 = ${t[2]}`);
  assert.deepEqual(Array.from(await memory.labels('m')), [1, -1, 1, 0]);
  tf.dispose([...first.values(), ...second.values(), labels1, labels2]);
  assert.equal(tf.memory().numTensors, before, 'updates leave no tensors behind');
  assert.throws(() => memory.unimodalTargets(Int32Array.from([4]), tf.tensor1d([0])), /index 4 is outside the training split \(size 4\)/);
  memory.dispose();
});
