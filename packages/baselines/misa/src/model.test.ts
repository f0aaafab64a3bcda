import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import type { UnlabeledBatch } from '@midg/trainer';
import { getModel, registerModels, resolveRun, trainRun } from '@midg/trainer';
import { modelContractSuite } from '@midg/trainer/testing';
import { MisaModel, misaDefinition, type MisaOptions } from './index';

before(async () => {
  await useBackend('wasm');
});

const SMALL = misaDefinition.testOverrides;

registerModels([misaDefinition]);
modelContractSuite(misaDefinition, { backend: 'wasm', overrides: { ...SMALL } });

const options: MisaOptions = {
  hiddenSize: 8,
  encoder: 'unimodal',
  dropout: 0.2,
  heads: 2,
  ffnDim: 16,
  transformerDropout: 0.1,
  diffWeight: 0.1,
  simWeight: 0.3,
  reconWeight: 1,
  cmdMoments: 5,
};

/** A batch of `rows` samples for the given modalities, [rows, length, dim], with the last `padded` steps masked out. */
function batchOf(dims: Partial<Record<'t' | 'a' | 'v', number>>, rows: number, length: number, padded: number, padValue: number): UnlabeledBatch {
  const features: UnlabeledBatch['features'] = {};
  const masks: UnlabeledBatch['masks'] = {};
  for (const [m, dim] of Object.entries(dims) as ['t' | 'a' | 'v', number][]) {
    features[m] = tf.tidy(() => {
      const real = tf.randomNormal([rows, length - padded, dim], 0, 1, 'float32', dim);
      return tf.concat([real, tf.fill([rows, padded, dim], padValue)], 1) as tf.Tensor3D;
    });
    masks[m] = tf.tidy(() => tf.concat([tf.ones([rows, length - padded]), tf.zeros([rows, padded])], 1) as tf.Tensor2D);
  }
  return { features, masks, sourceIds: tf.zeros([rows], 'int32') as tf.Tensor1D, indices: Int32Array.from({ length: rows }, (_, i) => i) };
}

async function predictions(model: MisaModel, batch: UnlabeledBatch): Promise<number[]> {
  const predicted = model.predict(batch);
  const values = await predicted.array();
  predicted.dispose();
  return values;
}

const disposeInputs = (batch: UnlabeledBatch) => tf.dispose([...Object.values(batch.features), ...Object.values(batch.masks), batch.sourceIds]);

test('misa is known by name, with MMSA defaults and per-dataset sections', () => {
  const { defaults, datasets } = getModel('misa').config;
  assert.equal(defaults.hiddenSize, 128);
  assert.equal(defaults.learningRate, 1e-4);
  assert.deepEqual([datasets.mosi!.diffWeight, datasets.mosi!.simWeight, datasets.mosi!.reconWeight], [0.1, 0.3, 1]);
  assert.deepEqual([datasets.mosei!.diffWeight, datasets.mosei!.simWeight, datasets.mosei!.reconWeight], [0.3, 0.8, 1]);
  assert.deepEqual([datasets.sims!.diffWeight, datasets.sims!.simWeight, datasets.sims!.reconWeight], [0.3, 1, 0.8]);
  const { config } = resolveRun({ model: 'misa', source: 'synth:mosei:tiny', target: 'synth:mosi:tiny', seed: 1, backend: 'wasm', overrides: {} });
  assert.equal(config.simWeight, 0.8, 'the source domain picks the section');
});

test('lossWeights are the configured weights of the summed parts', () => {
  const info = { modalities: ['t', 'a', 'v'] as ('t' | 'a' | 'v')[], dims: { t: 5, a: 3, v: 4 }, seqLens: { t: 4, a: 4, v: 4 }, sourceCount: 1, trainSize: 8 };
  const model = new MisaModel({ ...options, diffWeight: 0.3, simWeight: 0.8, reconWeight: 0.5 }, info, 1);
  assert.deepEqual(model.lossWeights(), { mse: 1, diff: 0.3, cmd: 0.8, recon: 0.5 });
  model.dispose();
});

test('padding is masked, utterance-level input works, and both encoders run', async () => {
  const tensorsBefore = tf.memory().numTensors;
  for (const encoder of ['unimodal', 'mean'] as const) {
    const info = { modalities: ['t', 'a', 'v'] as ('t' | 'a' | 'v')[], dims: { t: 5, a: 3, v: 4 }, seqLens: { t: 6, a: 6, v: 6 }, sourceCount: 1, trainSize: 8 };
    const model = new MisaModel({ ...options, encoder }, info, 2);
    const zeroPad = batchOf(info.dims, 4, 6, 2, 0);
    const otherPad = batchOf(info.dims, 4, 6, 2, 3.5);
    const a = await predictions(model, zeroPad);
    const b = await predictions(model, otherPad);
    a.forEach((value, i) => assert.ok(Math.abs(value - b[i]!) < 1e-5, `${encoder}: padding changed prediction ${i}: ${value} vs ${b[i]}`));
    const utterance = batchOf(info.dims, 3, 1, 0, 0);
    const single = await predictions(model, utterance);
    assert.equal(single.length, 3);
    assert.ok(single.every(Number.isFinite));
    [zeroPad, otherPad, utterance].forEach(disposeInputs);
    model.dispose();
  }
  assert.equal(tf.memory().numTensors, tensorsBefore, 'predict and dispose leave no tensor behind');
});

test('two modalities work (four tokens); one modality is refused with one clear error', async () => {
  const info = { modalities: ['t', 'v'] as ('t' | 'a' | 'v')[], dims: { t: 5, v: 4 }, seqLens: { t: 3, v: 3 }, sourceCount: 1, trainSize: 8 };
  const model = new MisaModel(options, info, 3);
  const batch = batchOf(info.dims, 4, 3, 1, 0);
  const labels = tf.tensor1d([0.1, -0.5, 0.9, 0]);
  const { total, parts } = model.losses({ ...batch, labels, groupIds: new Int32Array(4) });
  assert.ok(Number.isFinite((await total.data())[0]!));
  assert.deepEqual(Object.keys(parts).sort(), ['cmd', 'diff', 'mse', 'recon']);
  tf.dispose([total, ...Object.values(parts), labels]);
  disposeInputs(batch);
  model.dispose();
  assert.throws(() => new MisaModel(options, { ...info, modalities: ['t'] }, 3), /misa needs at least two modalities/);
  assert.throws(
    () => resolveRun({ model: 'misa', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 1, backend: 'wasm', overrides: { modalities: 'a' } }),
    /misa needs at least two/,
  );
  assert.throws(
    () => resolveRun({ model: 'misa', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 1, backend: 'wasm', overrides: { hiddenSize: 9 } }),
    /hiddenSize \(9\) must be divisible by heads \(2\)/,
  );
});

test('end to end: trains on synth:mosi:tiny and scores synth:sims:tiny', async () => {
  const result = await trainRun({
    model: 'misa',
    source: 'synth:mosi:tiny',
    target: 'synth:sims:tiny',
    seed: 5,
    backend: 'wasm',
    overrides: { hiddenSize: 32, ffnDim: 64, epochs: 4, learningRate: 1e-3 },
  });
  console.log(`misa synth:mosi:tiny→synth:sims:tiny: ${JSON.stringify(result.test)} epochs ${result.epochsRun} in ${result.durationMs} ms`);
  assert.equal(result.epochsRun, 4);
  assert.ok(Number.isFinite(result.test.MAE!), `test MAE ${result.test.MAE}`);
});
