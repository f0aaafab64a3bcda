import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import type { Modality } from '@midg/features';
import { getModel, registerModels, trainRun, type UnlabeledBatch } from '@midg/trainer';
import { modelContractSuite } from '@midg/trainer/testing';
import { AlmtModel, almtDefinition, type AlmtConfig } from './index';

before(async () => {
  await useBackend('wasm');
});

const SMALL = almtDefinition.testOverrides;
const SMALL_CONFIG = { ...SMALL, projDepth: 1, ahlDepth: 3, dropout: 0 } as AlmtConfig;

registerModels([almtDefinition]);
modelContractSuite(almtDefinition, { backend: 'wasm', overrides: SMALL });

test('almt is known by name; per-dataset fusion depth is 2 on MOSI, 4 on MOSEI and SIMS', () => {
  const { defaults, datasets } = getModel('almt').config;
  assert.equal(defaults.hiddenDim, 128);
  assert.equal(defaults.learningRate, 1e-4);
  assert.equal(defaults.lrSchedule, 'warmup-cosine');
  assert.deepEqual([datasets.mosi?.fusionDepth, datasets.mosei?.fusionDepth, datasets.sims?.fusionDepth], [2, 4, 4]);
});

const DIMS = { t: 6, a: 5, v: 4 };
const L = 8;

function info(modalities: Modality[]) {
  return { modalities, dims: DIMS, seqLens: { t: L, a: L, v: L }, sourceCount: 1, trainSize: 10 };
}

/** A batch whose padded steps hold `padValue` (not zeros), lengths per modality given per sample. */
function batchOf(lengths: Record<Modality, number[]>, length: number, padValue: number, seed: number): UnlabeledBatch {
  const features: UnlabeledBatch['features'] = {};
  const masks: UnlabeledBatch['masks'] = {};
  for (const m of ['t', 'a', 'v'] as const) {
    const real = lengths[m];
    const mask = tf.tensor2d(real.flatMap((n) => Array.from({ length }, (_, j) => (j < n ? 1 : 0))), [real.length, length]);
    const values = tf.randomNormal([real.length, L, DIMS[m]], 0, 1, 'float32', seed + m.charCodeAt(0));
    const cut = tf.slice(values, [0, 0, 0], [real.length, length, DIMS[m]]);
    const mask3 = tf.expandDims(mask, 2);
    features[m] = tf.add(tf.mul(cut, mask3), tf.mul(tf.sub(1, mask3), padValue)) as tf.Tensor3D;
    masks[m] = mask;
    tf.dispose([values, cut, mask3]);
  }
  return { features, masks, sourceIds: tf.zeros([3], 'int32') as tf.Tensor1D, indices: Int32Array.from([0, 1, 2]) };
}

const disposeBatch = (batch: UnlabeledBatch) => tf.dispose([...Object.values(batch.features), ...Object.values(batch.masks), batch.sourceIds]);

test('padded frames change nothing: neither their values nor how many there are', async () => {
  const model = new AlmtModel(SMALL_CONFIG, info(['t', 'a', 'v']), 9);
  const lengths = { t: [3, 5, 1], a: [5, 2, 4], v: [1, 5, 5] };
  const zeros = batchOf(lengths, L, 0, 1);
  const garbage = batchOf(lengths, L, 7.5, 1);
  const shorter = batchOf(lengths, 5, 0, 1);
  const predictions = [zeros, garbage, shorter].map((batch) => model.predict(batch));
  const [p0, p1, p2] = await Promise.all(predictions.map((p) => p.data()));
  for (let i = 0; i < 3; i++) {
    assert.ok(Math.abs(p0![i]! - p1![i]!) < 1e-5, `sample ${i}: padded values leak (${p0![i]} vs ${p1![i]})`);
    assert.ok(Math.abs(p0![i]! - p2![i]!) < 1e-5, `sample ${i}: padded length leaks (${p0![i]} vs ${p2![i]})`);
  }
  // A real frame does matter.
  const moreAudio = batchOf({ ...lengths, a: [6, 2, 4] }, L, 0, 1);
  const p3 = model.predict(moreAudio);
  assert.ok(Math.abs((await p3.data())[0]! - p0![0]!) > 1e-6, 'an extra real audio frame changes the prediction');
  tf.dispose([...predictions, p3]);
  [zeros, garbage, shorter, moreAudio].forEach(disposeBatch);
  model.dispose();
});

test('modalities: language plus audio and/or vision; anything without language or with language alone is refused', async () => {
  const model = new AlmtModel(SMALL_CONFIG, info(['t', 'v']), 2);
  const batch = batchOf({ t: [3, 5, 1], a: [1, 1, 1], v: [1, 5, 5] }, L, 0, 1);
  const before = tf.memory().numTensors;
  const prediction = model.predict(batch);
  assert.deepEqual(prediction.shape, [3]);
  prediction.dispose();
  assert.equal(tf.memory().numTensors, before);
  disposeBatch(batch);
  model.dispose();
  assert.throws(() => new AlmtModel(SMALL_CONFIG, info(['a', 'v']), 2), /ALMT needs language \(t\).*got modalities=av/);
  await assert.rejects(
    trainRun({ model: 'almt', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 1, backend: 'wasm', overrides: { ...SMALL, modalities: 't' } }),
    /ALMT needs language \(t\).*got modalities=t/,
  );
  await assert.rejects(
    trainRun({ model: 'almt', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 1, backend: 'wasm', overrides: { ...SMALL, fusionHeads: 3 } }),
    /hiddenDim 16 must be divisible by fusionHeads 3/,
  );
});

test('utterance vectors (L = 1) work, and a longer target is cut to the positions built from the source', async () => {
  const model = new AlmtModel(SMALL_CONFIG, { ...info(['t', 'a', 'v']), seqLens: { t: 1, a: 1, v: 1 } }, 4);
  const single = batchOf({ t: [1, 1, 1], a: [1, 1, 1], v: [1, 1, 1] }, 1, 0, 2);
  const longer = batchOf({ t: [1, 1, 1], a: [1, 1, 1], v: [1, 1, 1] }, 3, 0, 2);
  const [p1, p2] = [model.predict(single), model.predict(longer)];
  assert.deepEqual(p1.shape, [3]);
  assert.deepEqual(Array.from(await p1.data()), Array.from(await p2.data()));
  tf.dispose([p1, p2]);
  [single, longer].forEach(disposeBatch);
  model.dispose();
});

test('end to end: trains on synth:mosi:tiny, scored on synth:sims:tiny', async () => {
  const result = await trainRun({
    model: 'almt',
    source: 'synth:mosi:tiny',
    target: 'synth:sims:tiny',
    seed: 3,
    backend: 'wasm',
    overrides: { ...SMALL, epochs: 3, warmupEpochs: 1, learningRate: 1e-3, batchSize: 32 },
  });
  assert.equal(result.epochsRun, 3);
  assert.ok(Number.isFinite(result.test.MAE) && Number.isFinite(result.test.Mult_acc_2), `SIMS metrics: ${Object.keys(result.test).join(', ')}`);
  console.log(
    `almt synth:mosi:tiny→synth:sims:tiny: test MAE ${result.test.MAE!.toFixed(3)}, Mult_acc_2 ${result.test.Mult_acc_2!.toFixed(3)}, ` +
      `best epoch ${result.bestEpoch}/${result.epochsRun}, ${(result.durationMs / 1000).toFixed(1)} s`,
  );
});
