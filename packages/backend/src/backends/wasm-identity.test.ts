import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../index';

interface RefCounts {
  refCount(dataId: tf.DataId): number;
  numDataIds(): number;
}

test('wasm Identity shares memory: tape copies cost nothing, and each holder keeps the data alive', async () => {
  await useBackend('wasm');
  const backend = tf.backend() as unknown as RefCounts;
  const idsBefore = backend.numDataIds();
  const x = tf.tensor1d([1, 2, 3]);
  const copy = tf.clone(x); // the engine's clone runs the Identity kernel
  assert.equal(copy.dataId, x.dataId);
  assert.equal(backend.refCount(x.dataId), 2);
  x.dispose();
  assert.deepEqual(Array.from(copy.dataSync()), [1, 2, 3]);
  copy.dispose();
  assert.equal(backend.numDataIds(), idsBefore, 'the shared memory is freed with its last holder');

  // Gradients whose tape saved inputs through Identity stay right after the inputs are gone.
  const w = tf.variable(tf.tensor1d([2, -1]));
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.mul(w, w), tf.tensor1d([3, 5]))) as tf.Scalar, [w]);
  assert.deepEqual(Array.from(grads[w.name]!.dataSync()), [12, -10]);
  tf.dispose([value, w, ...Object.values(grads)]);

  const text = tf.tensor(['a', 'b']);
  assert.deepEqual(tf.clone(text).arraySync(), ['a', 'b'], 'strings still go through the copying kernel');
  text.dispose();
});
