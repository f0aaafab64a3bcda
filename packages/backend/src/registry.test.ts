import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError, listBackends, requestedBackend, useBackend } from './index';

test('wasm is the default and computes', async () => {
  delete process.env.MIDG_BACKEND;
  assert.equal(requestedBackend(), 'wasm');
  assert.equal(await useBackend(), 'wasm');
  const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).arraySync());
  assert.deepEqual(sum, [4, 6]);
});

test('MIDG_BACKEND selects the cpu fallback', async () => {
  process.env.MIDG_BACKEND = 'cpu';
  try {
    assert.equal(await useBackend(), 'cpu');
  } finally {
    delete process.env.MIDG_BACKEND;
  }
  assert.equal(await useBackend('wasm'), 'wasm');
});

test('unknown backends and a missing tfjs-node give one clear error', async () => {
  await assert.rejects(useBackend('nope'), (error: unknown) =>
    error instanceof BackendUnavailableError && /unknown backend "nope"/.test(error.message));
  await assert.rejects(useBackend('tensorflow'), (error: unknown) =>
    error instanceof BackendUnavailableError && /npm install --no-save @tensorflow\/tfjs-node/.test(error.message));
  assert.deepEqual(listBackends().map((b) => b.name).sort(), ['cpu', 'tensorflow', 'wasm']);
});
