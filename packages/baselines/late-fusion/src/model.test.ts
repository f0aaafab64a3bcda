import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { getModel, registerModels, trainRun } from '@midg/trainer';
import { modelContractSuite } from '@midg/trainer/testing';
import { LateFusionModel, lateFusionDefinition } from './index';

before(async () => {
  await useBackend('wasm');
});

registerModels([lateFusionDefinition]);
modelContractSuite(lateFusionDefinition, { backend: 'wasm', overrides: { hiddenDim: 16 } });

test('late-fusion is known by name with its config file defaults', () => {
  assert.equal(getModel('late-fusion').config.defaults.hiddenDim, 64);
});

test('late fusion learns on the synthetic benchmark', async () => {
  const run = (epochs: number) =>
    trainRun({ model: 'late-fusion', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 5, backend: 'wasm', overrides: { epochs, hiddenDim: 16, patience: 20 } });
  const untrained = await run(1);
  const trained = await run(8);
  assert.ok(trained.test.MAE! < untrained.test.MAE!, `MAE after 8 epochs ${trained.test.MAE} vs after 1 ${untrained.test.MAE}`);
  assert.equal(trained.expertUsage, undefined, 'no router, no expert usage');
});

test('fusion weights: one per present modality, summing to one; bad config values are rejected at resolve time', async () => {
  const info = { modalities: ['t', 'v'] as const, dims: { t: 8, v: 4 }, seqLens: { t: 3, v: 3 }, sourceCount: 1, trainSize: 10 };
  const tensorsBefore = tf.memory().numTensors;
  const model = new LateFusionModel({ hiddenDim: 8, dropout: 0 }, { ...info, modalities: [...info.modalities] }, 1);
  const weights = await model.fusionWeights();
  assert.equal(weights.length, 2);
  assert.ok(Math.abs(weights[0]! + weights[1]! - 1) < 1e-6);
  model.dispose();
  assert.equal(tf.memory().numTensors, tensorsBefore, 'dispose frees every weight');
  await assert.rejects(
    trainRun({ model: 'late-fusion', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 5, backend: 'wasm', overrides: { hiddenDim: 0 } }),
    /"hiddenDim" must be a whole number ≥ 1, got 0/,
  );
});
