import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { availableBackends, backendProbes, forEachBackend } from './testing';

const ran: string[] = [];

forEachBackend((backend) => {
  describe('a suite', () => {
    it('runs with its backend active and computes', () => {
      assert.equal(tf.getBackend(), backend);
      const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).arraySync());
      assert.deepEqual(sum, [4, 6]);
      ran.push(backend);
    });
  });
});

describe('forEachBackend', () => {
  it('probes every registered backend; wasm and cpu load, tensorflow (tfjs-node not installed) does not', () => {
    assert.deepEqual(backendProbes().map((probe) => probe.name), ['wasm', 'cpu', 'tensorflow']);
    assert.deepEqual(availableBackends(), ['wasm', 'cpu']);
    assert.match(backendProbes()[2]!.unavailable ?? '', /^not installed: .*@tensorflow\/tfjs-node/);
  });
});

after(() => {
  // Every available backend's suite ran, in order.
  assert.deepEqual(ran, availableBackends());
});
