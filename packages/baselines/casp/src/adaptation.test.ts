/**
 * CASP's adaptation: only the in-layer LayerNorm variables move (everything else bit-for-bit), target labels play no
 * part, `adapt: false` leaves the source model as it is, `adaptOn` picks the split, and padding changes nothing.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { generateSyntheticDomain, type Dataset, type Split } from '@midg/features';
import { dataInfoOf, makeUnlabeledBatch, disposeBatch, registerModels, resolveRun, unlabeledData, type ConfigRecord, type TargetInputs, type UnlabeledData } from '@midg/trainer';
import { caspDefinition } from './index';
import type { CaspModel } from './model';

before(async () => {
  await useBackend('wasm');
});

registerModels([caspDefinition]);
const source = generateSyntheticDomain('mosi', { preset: 'tiny' });
const target = generateSyntheticDomain('sims', { preset: 'tiny' });
const QUICK: ConfigRecord = { ...caspDefinition.testOverrides, keepFraction: 0.1, adaptBatchSize: 64 };

function create(overrides: ConfigRecord = {}, seed = 5): CaspModel {
  const { config } = resolveRun({ model: 'casp', source: 'synth:mosi:tiny', target: 'synth:sims:tiny', seed, backend: 'wasm', overrides: { ...QUICK, ...overrides } });
  return caspDefinition.create(config, dataInfoOf(source), seed) as CaspModel;
}

const inputsOf = (split: Split): UnlabeledData => unlabeledData({ split, modalities: target.modalities, labelScale: 1 });
const targetInputs = (dataset: Dataset = target): TargetInputs => ({ test: inputsOf(dataset.splits.test), train: inputsOf(dataset.splits.train) });

async function predictions(model: CaspModel, split: Split = target.splits.test): Promise<number[]> {
  const batch = makeUnlabeledBatch({ split, modalities: target.modalities, labelScale: 1 }, Int32Array.from({ length: 64 }, (_, i) => i));
  const out = model.predict(batch);
  const values = Array.from(await out.data());
  tf.dispose(out);
  disposeBatch(batch);
  return values;
}

const snapshot = (variables: tf.Variable[]) => variables.map((v) => Array.from(v.dataSync()));

describe('CASP adaptation', () => {
  it('changes only the LayerNorm gains and biases inside the encoder layers; every other variable is bit-for-bit unchanged', async () => {
    const model = create();
    const norms = new Set(model.layerNormVariables());
    const all = model.trainableVariables();
    // 3 modalities × 1 layer × 2 LayerNorms × (γ, β); the encoders' final LNs are not among them.
    assert.equal(norms.size, 12);
    const others = all.filter((v) => !norms.has(v));
    assert.equal(others.length + norms.size, all.length);
    const before = snapshot(others);
    const normsBefore = snapshot([...norms]);
    const predictionsBefore = await predictions(model);
    const tensors = tf.memory().numTensors;
    const { split, report } = await model.adaptToTarget!(targetInputs(), { seed: 5 });
    assert.equal(tf.memory().numTensors, tensors, 'no tensors left behind');
    assert.equal(split, 'test');
    assert.deepEqual(snapshot(others), before, 'non-LN variables identical');
    assert.notDeepEqual(snapshot([...norms]), normsBefore, 'the layer norms did adapt');
    assert.notDeepEqual(await predictions(model), predictionsBefore);
    assert.equal(report.samples, target.splits.test.size);
    assert.equal(report.storedPredictions, 3, 'before training and after each of the 2 epochs (storeEvery 1)');
    assert.equal(report.kept, Math.ceil(0.1 * target.splits.test.size));
    assert.ok(report.keptMeanInstability! <= report.meanInstability!, 'stable selection keeps the steadier samples');
    assert.ok(Number.isFinite(report.contrastiveLossLast) && Number.isFinite(report.pseudoLossLast), JSON.stringify(report));
    model.dispose();
  });

  it('target labels play no part: NaN labels give identical adapted predictions and report', async () => {
    const withNaN: Dataset = {
      ...target,
      splits: {
        ...target.splits,
        test: { ...target.splits.test, labels: target.splits.test.labels.map(() => NaN) },
        train: { ...target.splits.train, labels: target.splits.train.labels.map(() => NaN) },
      },
    };
    const real = create();
    const blind = create();
    const a = await real.adaptToTarget!(targetInputs(), { seed: 9 });
    const b = await blind.adaptToTarget!(targetInputs(withNaN), { seed: 9 });
    assert.deepEqual(b, a);
    const predicted = await predictions(blind);
    assert.ok(predicted.every(Number.isFinite));
    assert.deepEqual(predicted, await predictions(real));
    real.dispose();
    blind.dispose();
  });

  it('adapt: false has no adaptation hook and predicts as the source model', async () => {
    const off = create({ adapt: false });
    const on = create();
    assert.equal(off.adaptToTarget, undefined, 'the trainer then scores the source model as it is');
    assert.deepEqual(await predictions(off), await predictions(on));
    await on.adaptToTarget!(targetInputs(), { seed: 5 });
    assert.notDeepEqual(await predictions(off), await predictions(on));
    // Without adaptation one modality is fine.
    assert.doesNotThrow(() => create({ adapt: false, modalities: 'ta' }).dispose());
    off.dispose();
    on.dispose();
  });

  it('adaptOn: train adapts on the target train split; the literal selection keeps the least stable samples', async () => {
    const model = create({ adaptOn: 'train', selection: 'literal', pseudoEpochs: 1 });
    const { split, report } = await model.adaptToTarget!(targetInputs(), { seed: 5 });
    assert.equal(split, 'train');
    assert.equal(report.samples, target.splits.train.size);
    assert.ok(report.keptMeanInstability! >= report.meanInstability!, JSON.stringify(report));
    model.dispose();
  });

  it('padded steps change nothing (source and augmented view)', async () => {
    const model = create();
    const view = { split: target.splits.test, modalities: target.modalities, labelScale: 1 };
    const rows = Int32Array.from({ length: 16 }, (_, i) => i);
    const batch = makeUnlabeledBatch(view, rows);
    const noisy = {
      ...batch,
      features: Object.fromEntries(
        target.modalities.map((m) => [m, tf.tidy(() => tf.add(batch.features[m]!, tf.mul(tf.sub(1, tf.expandDims(batch.masks[m]!, 2)), tf.randomNormal(batch.features[m]!.shape, 0, 5, 'float32', 3))))]),
      ),
    };
    const padded = target.modalities.some((m) => batch.masks[m]!.min().dataSync()[0] === 0);
    assert.ok(padded, 'the batch has padding to perturb');
    const a = model.backbone.forward(batch, { training: false, zeroed: 'a' });
    const b = model.backbone.forward(noisy, { training: false, zeroed: 'a' });
    const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(a.representation, b.representation))).dataSync()[0]!);
    assert.ok(difference < 1e-5, `max difference ${difference}`);
    const rounded = (input: typeof batch) => tf.tidy(() => Array.from(model.predict(input).dataSync()).map((x) => x.toFixed(5)));
    assert.deepEqual(rounded(noisy), rounded(batch));
    tf.dispose([a.prediction, a.representation, b.prediction, b.representation, ...Object.values(noisy.features)]);
    disposeBatch(batch);
    model.dispose();
  });
});
