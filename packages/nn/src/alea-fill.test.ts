import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { forEachBackend } from '@midg/backend/testing';
import { fillAleaMultiplier } from './alea-fill';
import { dropoutMultiplier, keepThreshold } from './dropout-mask';

const TWO_TO_MINUS_32 = 2.3283064365386963e-10;

/** seedrandom's Alea recurrence on doubles, as tf.randomUniform runs it, with tf.dropout's keep test. */
function aleaOnDoubles(state: readonly number[], size: number, keep: number, kept: number): Float32Array {
  let [s0, s1, s2] = state.map((k) => k * TWO_TO_MINUS_32) as [number, number, number];
  let c = 1;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const t = 2091639 * s0 + c * TWO_TO_MINUS_32;
    s0 = s1;
    s1 = s2;
    c = t | 0;
    s2 = t - c;
    out[i] = Math.fround(Math.fround(s2) + keep) >= 1 ? kept : 0;
  }
  return out;
}

describe('Alea in WebAssembly', () => {
  it('gives the double-precision recurrence value for value, over states at the edges of the integer range', () => {
    const states: [number, number, number][] = [
      [0, 0, 0],
      [2 ** 32 - 1, 2 ** 32 - 1, 2 ** 32 - 1],
      [1, 2 ** 31, 2 ** 32 - 2],
      [123456789, 987654321, 3141592653],
    ];
    for (const rate of [0.1, 0.25, 0.5, 0.9]) {
      const keep = Math.fround(1 - rate);
      const kept = Math.fround(1 / keep);
      for (const state of states) {
        const expected = aleaOnDoubles(state, 100_003, keep, kept);
        const got = fillAleaMultiplier(state, 100_003, keepThreshold(keep), kept);
        const first = got.findIndex((v, i) => v !== expected[i]);
        assert.equal(first, -1, `rate ${rate}, state ${state}: value ${first} differs`);
      }
    }
  });

  it('grows its memory for large sizes and returns exactly the size asked for', () => {
    const big = fillAleaMultiplier([5, 6, 7], 3_000_000, keepThreshold(0.5), 2);
    assert.equal(big.length, 3_000_000);
    const kept = big.reduce((n, v) => n + (v === 2 ? 1 : 0), 0) / big.length;
    assert.ok(Math.abs(kept - 0.5) < 0.01, `half kept, got ${kept}`);
    assert.equal(fillAleaMultiplier([5, 6, 7], 0, 0, 2).length, 0);
  });
});

forEachBackend((backend) => {
  describe(`dropout multiplier at training sizes (${backend})`, () => {
    it('equals tf.dropout on a [32, 50, 128] activation, for rates the models use', () => {
      for (const [rate, seed] of [[0.1, 7], [0.3, 2 ** 30 + 3], [0.15, 424242]] as const) {
        const ones = tf.ones([32, 50, 128]);
        const reference = tf.dropout(ones, rate, undefined, seed).dataSync();
        const ours = dropoutMultiplier([32, 50, 128], rate, seed).dataSync();
        const first = ours.findIndex((v, i) => v !== reference[i]);
        assert.equal(first, -1, `rate ${rate}, seed ${seed}: element ${first} differs`);
        ones.dispose();
      }
    });
  });
});
