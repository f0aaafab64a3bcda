/**
 * The dropout multiplier tf.dropout draws (floor(u + keep) / keep with u ~ U[0, 1) from tf.randomUniform's seeded
 * Alea generator), computed in one WebAssembly loop (alea-fill.ts) and uploaded as one tensor. tf.dropout builds
 * it with a generic per-element generator call, then three kernels (add, floor, div), each recorded on the
 * gradient tape with copies of its inputs; at the encoder's sizes that was a tenth of a training step. The values
 * are bit for bit tf.dropout's for the same seed (fused.test.ts, alea-fill.test.ts), so results and seeds are
 * unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { fillAleaMultiplier } from './alea-fill';

const TWO_TO_MINUS_32 = 2.3283064365386963e-10;

/** Alea's seed hash (seedrandom's Mash): one instance hashes ' ' three times, then the seed three times. */
function mash(): (data: string) => number {
  let n = 0xefc8249d;
  return (data) => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000;
    }
    return (n >>> 0) * TWO_TO_MINUS_32;
  };
}

/** Alea's initial state for a seed, as the three integers s·2^32 (see alea-fill.ts). */
function aleaState(seed: string): [number, number, number] {
  const hash = mash();
  const initial = [hash(' '), hash(' '), hash(' ')];
  return initial.map((s) => {
    let value = s - hash(seed);
    if (value < 0) value += 1;
    return value / TWO_TO_MINUS_32;
  }) as [number, number, number];
}

/**
 * The smallest k in [0, 2^32] whose u = k·2^-32 is kept: float32(float32(u) + keep) ≥ 1, as tf.dropout computes
 * floor(u + keep) in float32 (u + keep < 2). The test is monotone in k, so a binary search finds it.
 */
export function keepThreshold(keep: number): number {
  let low = 0;
  let high = 2 ** 32;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (Math.fround(Math.fround(middle * TWO_TO_MINUS_32) + keep) >= 1) high = middle;
    else low = middle + 1;
  }
  return low;
}

const thresholds = new Map<number, number>();

/**
 * tf.dropout(x, rate, undefined, seed)'s multiplier for x of `shape`: 1/keep where kept, 0 where dropped, with
 * keep = 1 − rate, in float32 exactly as tf.dropout's kernels compute it.
 */
export function dropoutMultiplier(shape: readonly number[], rate: number, seed: number): tf.Tensor {
  if (!(rate > 0 && rate < 1)) throw new Error(`dropout multiplier: rate must be in (0, 1), got ${rate}`);
  const size = shape.reduce((a, b) => a * b, 1);
  const keep = Math.fround(1 - rate);
  let threshold = thresholds.get(keep);
  if (threshold === undefined) thresholds.set(keep, (threshold = keepThreshold(keep)));
  const values = fillAleaMultiplier(aleaState(seed.toString()), size, threshold, Math.fround(1 / keep));
  // The wasm backend copies the values into its heap; the others keep the array they get, so they get their own.
  return tf.tensor(tf.getBackend() === 'wasm' ? values : values.slice(), [...shape], 'float32');
}
