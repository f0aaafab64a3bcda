/**
 * The dropout multiplier tf.dropout draws (floor(u + keep) / keep with u ~ U[0, 1) from tf.randomUniform's seeded
 * Alea generator), computed in one host loop into a reused buffer and uploaded as one tensor. tf.dropout builds
 * it with a generic per-element generator call, then three kernels (add, floor, div), each recorded on the
 * gradient tape with copies of its inputs; at the encoder's sizes that was a tenth of a training step. The values
 * are bit for bit tf.dropout's for the same seed (dropout-mask.test.ts), so results and seeds are unchanged.
 */
import * as tf from '@tensorflow/tfjs';

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

/**
 * Writes tf.dropout's multiplier into `out`: u_i is the i-th value of seedrandom.alea(seed) (the generator behind
 * tf.randomUniform) rounded to float32, and the multiplier is `kept` where float32(u_i + keep) ≥ 1, else 0.
 */
function fillMultiplier(seed: string, keep: number, kept: number, out: Float32Array): void {
  const hash = mash();
  let s0 = hash(' ');
  let s1 = hash(' ');
  let s2 = hash(' ');
  s0 -= hash(seed);
  if (s0 < 0) s0 += 1;
  s1 -= hash(seed);
  if (s1 < 0) s1 += 1;
  s2 -= hash(seed);
  if (s2 < 0) s2 += 1;
  let c = 1;
  for (let i = 0; i < out.length; i++) {
    const t = 2091639 * s0 + c * TWO_TO_MINUS_32;
    s0 = s1;
    s1 = s2;
    c = t | 0;
    s2 = t - c;
    out[i] = Math.fround(Math.fround(s2) + keep) >= 1 ? kept : 0;
  }
}

/**
 * One host buffer, grown as needed, reused on wasm, whose tensors copy the host values into the backend's memory
 * (a fresh large host array per call is costly: its pages are new each time). The cpu and node backends keep a
 * reference to the array instead, so there each multiplier gets its own.
 */
let scratch = new Float32Array(0);

function hostBuffer(size: number): Float32Array {
  if (tf.getBackend() !== 'wasm') return new Float32Array(size);
  if (scratch.length < size) scratch = new Float32Array(size);
  return scratch.subarray(0, size);
}

/**
 * tf.dropout(x, rate, undefined, seed)'s multiplier for x of `shape`: 1/keep where kept, 0 where dropped, with
 * keep = 1 − rate, in float32 exactly as tf.dropout's kernels compute it.
 */
export function dropoutMultiplier(shape: readonly number[], rate: number, seed: number): tf.Tensor {
  if (!(rate > 0 && rate < 1)) throw new Error(`dropout multiplier: rate must be in (0, 1), got ${rate}`);
  const values = hostBuffer(shape.reduce((a, b) => a * b, 1));
  const keep = Math.fround(1 - rate);
  // floor(u + keep) / keep in float32: u + keep < 2, so the floor is 1 exactly when the sum reaches 1.
  fillMultiplier(seed.toString(), keep, Math.fround(1 / keep), values);
  return tf.tensor(values, [...shape], 'float32');
}
