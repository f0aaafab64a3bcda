/** The MuLT-specific behaviour: causal limits, padding, single-step sequences, the conv projection. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import type { Modality } from '@midg/features';
import { maxAbsDiff } from '@midg/nn/testing';
import type { DataInfo, UnlabeledBatch } from '@midg/trainer';
import { MultModel, type MultConfig } from './model';
import { MultTransformer } from './mult-transformer';
import { TemporalConv } from './temporal-conv';

before(async () => {
  await useBackend('wasm');
});

const SMALL: MultConfig = {
  hiddenDim: 8,
  heads: 2,
  nlevels: 1,
  kernelT: 3,
  kernelA: 2,
  kernelV: 1,
  attnDropout: 0.3,
  attnDropoutA: 0.2,
  attnDropoutV: 0.1,
  reluDropout: 0.1,
  resDropout: 0.1,
  embedDropout: 0.2,
  textDropout: 0.5,
  outputDropout: 0.5,
  attnMask: true,
  positionalEmbedding: true,
};
const DIMS: Record<Modality, number> = { t: 5, a: 3, v: 4 };

function info(lengths: Record<Modality, number>): DataInfo {
  return { modalities: ['t', 'a', 'v'], dims: DIMS, seqLens: lengths, sourceCount: 1, trainSize: 10 };
}

/** Right-padded masks from real lengths per row. */
function maskOf(realLengths: number[], length: number): tf.Tensor2D {
  return tf.tensor2d(realLengths.map((real) => Array.from({ length }, (_, j) => (j < real ? 1 : 0))));
}

function batchOf(lengths: Record<Modality, number>, real: Record<Modality, number[]>, seed: number): UnlabeledBatch {
  const rows = real.t.length;
  const features: UnlabeledBatch['features'] = {};
  const masks: UnlabeledBatch['masks'] = {};
  (['t', 'a', 'v'] as const).forEach((m, i) => {
    const mask = maskOf(real[m], lengths[m]);
    // Padded steps are zero, as the loaders leave them.
    features[m] = tf.mul(tf.randomNormal([rows, lengths[m], DIMS[m]], 0, 1, 'float32', seed + i), tf.expandDims(mask, 2)) as tf.Tensor3D;
    masks[m] = mask;
  });
  return { features, masks, sourceIds: tf.zeros([rows], 'int32') as tf.Tensor1D, indices: Int32Array.from({ length: rows }, (_, i) => i) };
}

/** x with steps `from..` (axis 1) of row `row` replaced by large random values. */
function scribble(x: tf.Tensor3D, row: number, from: number, seed: number): tf.Tensor3D {
  const [batch, length, dim] = x.shape;
  const where = tf.buffer([batch, length, 1]);
  for (let j = from; j < length; j++) where.set(1, row, j, 0);
  const hit = where.toTensor();
  return tf.add(tf.mul(x, tf.sub(1, hit)), tf.mul(tf.randomNormal([batch, length, dim], 0, 10, 'float32', seed), hit)) as tf.Tensor3D;
}

describe('MuLT', () => {
  it('causal mask on: a query never sees keys beyond its limit j ≤ i + (S − L)', () => {
    tf.tidy(() => {
      const [length, keys, dim] = [4, 6, 8];
      const make = (causal: boolean) =>
        new MultTransformer({ dim, heads: 2, layers: 2, attentionDropout: 0, reluDropout: 0, resDropout: 0, embedDropout: 0, positions: true, causal, seed: 3 });
      const x = tf.randomNormal([2, length, dim], 0, 1, 'float32', 1) as tf.Tensor3D;
      const source = tf.randomNormal([2, keys, dim], 0, 1, 'float32', 2) as tf.Tensor3D;
      const keyMask = tf.ones([2, keys]) as tf.Tensor2D;
      const causal = make(true);
      const base = causal.forward({ x, source, keyMask, training: false });
      for (let query = 0; query < length - 1; query++) {
        const limit = query + (keys - length);
        const changed = causal.forward({ x, source: scribble(source, 0, limit + 1, 10 + query), keyMask, training: false });
        const seen = (t: tf.Tensor3D, from: number, size: number) => tf.slice(t, [0, from, 0], [1, size, dim]);
        assert.ok(maxAbsDiff(seen(base, 0, query + 1), seen(changed, 0, query + 1)) < 1e-5, `queries ≤ ${query} ignore keys > ${limit}`);
        assert.ok(maxAbsDiff(seen(base, query + 1, 1), seen(changed, query + 1, 1)) > 1e-4, `query ${query + 1} sees key ${limit + 1}`);
      }
      // Without the mask, the first query sees the last key.
      const open = make(false);
      const openBase = open.forward({ x, source, keyMask, training: false });
      const openChanged = open.forward({ x, source: scribble(source, 0, keys - 1, 20), keyMask, training: false });
      assert.ok(maxAbsDiff(tf.slice(openBase, [0, 0, 0], [1, 1, dim]), tf.slice(openChanged, [0, 0, 0], [1, 1, dim])) > 1e-4);
      causal.dispose();
      open.dispose();
    });
  });

  it('padded steps never change the prediction; real steps do', () => {
    const lengths = { t: 6, a: 4, v: 5 };
    const model = new MultModel(SMALL, info(lengths), 7);
    tf.tidy(() => {
      const batch = batchOf(lengths, { t: [6, 3, 1], a: [4, 2, 1], v: [5, 5, 2] }, 1);
      const base = model.predict(batch);
      for (const [m, row, from] of [['t', 1, 3], ['t', 2, 1], ['a', 1, 2], ['v', 2, 2]] as const) {
        const features = { ...batch.features, [m]: scribble(batch.features[m]!, row, from, 30 + row) };
        assert.ok(maxAbsDiff(base, model.predict({ ...batch, features })) < 1e-5, `padding of ${m} row ${row}`);
      }
      const real = { ...batch.features, a: scribble(batch.features.a!, 1, 1, 40) };
      assert.ok(maxAbsDiff(base, model.predict({ ...batch, features: real })) > 1e-4, 'a real step matters');
    });
    model.dispose();
  });

  it('at L = 1 every attention weight is 1: the Q/K projections cannot change the prediction', () => {
    for (const [length, matters] of [[1, false], [3, true]] as const) {
      const lengths = { t: length, a: length, v: length };
      const model = new MultModel(SMALL, info(lengths), 9);
      tf.tidy(() => {
        const full = [length, length, length];
        const batch = batchOf(lengths, { t: full, a: full, v: full }, 5);
        const before = model.predict(batch);
        const queryKey = model.queryKeyVariables();
        assert.equal(queryKey.length, 4 * (6 * SMALL.nlevels + 3 * Math.max(SMALL.nlevels, 3)));
        queryKey.forEach((variable, i) => variable.assign(tf.randomNormal(variable.shape, 0, 3, 'float32', 100 + i)));
        const diff = maxAbsDiff(before, model.predict(batch));
        if (matters) assert.ok(diff > 1e-4, `at L = ${length} the scores matter (${diff})`);
        else assert.ok(diff < 1e-5, `at L = 1 the scores do not matter (${diff})`);
      });
      model.dispose();
    }
  });

  it('one modality is refused with a clear error; two work', () => {
    assert.throws(() => new MultModel(SMALL, { ...info({ t: 2, a: 2, v: 2 }), modalities: ['t'] }, 1), /at least two modalities/);
    const model = new MultModel(SMALL, { ...info({ t: 2, a: 2, v: 2 }), modalities: ['t', 'v'] }, 1);
    tf.tidy(() => {
      const batch = batchOf({ t: 2, a: 2, v: 2 }, { t: [2, 1], a: [2, 2], v: [1, 2] }, 3);
      const prediction = model.predict({ ...batch, features: { t: batch.features.t, v: batch.features.v } });
      assert.deepEqual(prediction.shape, [2]);
    });
    model.dispose();
  });

  it('the temporal conv is Σ_i x_{t+i} W_i over the masked, end-padded input', () => {
    const conv = new TemporalConv({ inputDim: 2, units: 3, kernel: 3, seed: 4 });
    tf.tidy(() => {
      const x = tf.randomNormal([1, 4, 2], 0, 1, 'float32', 8) as tf.Tensor3D;
      const mask = tf.tensor2d([[1, 1, 1, 0]]);
      const y = conv.forward(x, mask).arraySync()[0]!;
      const w = (conv.trainableVariables()[0] as tf.Tensor2D).arraySync();
      const xs = x.arraySync()[0]!.map((row, t) => (t < 3 ? row : [0, 0]));
      for (let t = 0; t < 4; t++) {
        for (let o = 0; o < 3; o++) {
          let expected = 0;
          for (let i = 0; i < 3; i++) for (let c = 0; c < 2; c++) expected += (xs[t + i]?.[c] ?? 0) * w[i * 2 + c]![o]!;
          assert.ok(Math.abs(y[t]![o]! - expected) < 1e-5);
        }
      }
    });
    conv.dispose();
  });
});
