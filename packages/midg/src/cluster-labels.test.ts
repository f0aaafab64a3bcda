// domainLabels=cluster in the model (docs/method.md, "domainLabels: cluster"): the fallback before the first
// clustering, the labels after it, what is clustered (A_m), determinism, and the options it combines with.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { generateSyntheticDomain } from '@midg/features';
import type { ModalityTensors } from '@midg/nn';
import { batchIndices, dataInfoOf, disposeBatch, makeBatch, parseConfig, registerModels, resolveRunConfig, TRAINING_SCHEMA, type Batch, type ConfigRecord, type StepContext } from '@midg/trainer';
import { midgDefinition } from './definition';
import type { LatentDomains } from './latent-domains';
import { MidgModel } from './model';
import { MIDG_SCHEMA, type MidgRunConfig } from './schema';

registerModels([midgDefinition]);

const source = generateSyntheticDomain('mosi', { preset: 'tiny' });
const info = dataInfoOf(source);
const view = { split: source.splits.train, modalities: source.modalities, labelScale: 3 };
const CLUSTERS = 3;

function config(overrides: ConfigRecord = {}): MidgRunConfig {
  const record = resolveRunConfig({
    model: 'midg',
    source: 'synth:mosi:tiny',
    target: 'synth:mosi:tiny',
    seed: 1,
    backend: 'wasm',
    overrides: { hiddenDim: 16, heads: 2, domainLabels: 'cluster', clusterCount: CLUSTERS, ...overrides },
  });
  return parseConfig({ ...TRAINING_SCHEMA, ...MIDG_SCHEMA }, record);
}

interface Internals {
  latentDomains?: LatentDomains;
  groupWeights?: tf.Tensor1D;
  encoder: { forward(features: Batch['features'], masks: Batch['masks'], options: { training: boolean }): ModalityTensors<tf.Tensor2D> };
}
const internals = (model: MidgModel) => model as unknown as Internals;

/** One epoch without optimizer steps: losses (gathering A_m) then afterStep on every batch, then onEpochEnd. */
async function gatherEpoch(model: MidgModel, epoch: number): Promise<Record<string, number> | void> {
  for (const indices of batchIndices(source.splits.train.size, 64)) {
    const batch = makeBatch(view, indices);
    tf.tidy(() => void model.losses(batch, { step: 0, epoch, progress: 0 }));
    model.afterStep();
    disposeBatch(batch);
  }
  return model.onEpochEnd({ step: 0, epoch, progress: 0 });
}

function scalars(model: MidgModel, context: StepContext): Record<string, number> {
  const batch = makeBatch(view, Int32Array.from({ length: 32 }, (_, i) => i));
  const values = tf.tidy(() => Object.fromEntries(Object.entries(model.losses(batch, context).parts).map(([name, part]) => [name, part.dataSync()[0]!])));
  disposeBatch(batch);
  model.afterStep();
  return values;
}

before(async () => {
  await useBackend('wasm');
});

test('before the first clustering: one domain, adversary and penalty logged but weighted 0; after it: K domains, weighted 1', async () => {
  const model = new MidgModel(config({ invariantOn: 'shared', envPenalty: 'irm', grlLambda: 1 }), info, 1);
  assert.deepEqual(Object.keys(model.lossWeights()).sort(), ['dis', 'envApplied', 'inApplied', 'inMse', 'out']);
  const all = Int32Array.from({ length: info.trainSize }, (_, i) => i);
  assert.ok(internals(model).latentDomains!.labelsOf(all).every((label) => label === 0), 'fallback: every sample in domain 0');
  const early = scalars(model, { step: 0, epoch: 1, progress: 0 });
  assert.ok(early.in! > 0 && early.env! > 0, `raw L_in ${early.in} and IRM penalty ${early.env} are logged`);
  assert.equal(early.inApplied, 0);
  assert.equal(early.envApplied, 0);

  const report = (await gatherEpoch(model, 1)) as Record<string, number>;
  assert.equal(report.clusterRows, info.trainSize, 'every training row was gathered and clustered');
  assert.equal(report.clusterChanged, 1);
  assert.ok(report.clustersUsed! >= 2 && report.clustersUsed! <= CLUSTERS, `clusters used ${report.clustersUsed}`);
  const labels = internals(model).latentDomains!.labelsOf(all);
  assert.ok(labels.every((label) => label >= 0 && label < CLUSTERS));
  assert.equal(new Set(labels).size, report.clustersUsed);

  const later = scalars(model, { step: 10, epoch: 2, progress: 0.5 });
  assert.ok(Math.abs(later.inApplied! - later.in!) < 1e-7, 'after the clustering L_in enters the total');
  assert.ok(later.envApplied! > 0 && Math.abs(later.envApplied! - later.env!) < 1e-7);
  // A fresh 3-way softmax discriminator: its cross-entropy is near ln 3.
  assert.ok(Math.abs(later.in! - Math.log(CLUSTERS)) < 0.5, `L_in ${later.in}`);
  model.dispose();
});

test('the clustered rows are A_m, the encoders output before decoupling (dropout 0: training and eval A_m agree)', async () => {
  const model = new MidgModel(config({ dropout: 0 }), info, 1);
  const rows = Int32Array.from([5, 17, 2]);
  const batch = makeBatch(view, rows);
  tf.tidy(() => void model.losses(batch, { step: 0, epoch: 1, progress: 0 }));
  model.afterStep();
  const expected = tf.tidy(() => {
    const shared = internals(model).encoder.forward(batch.features, batch.masks, { training: false });
    return tf.concat(source.modalities.map((m) => shared[m]!), 1).arraySync() as number[][];
  });
  disposeBatch(batch);
  const stored = (internals(model).latentDomains as unknown as { features: Float32Array }).features;
  const width = expected[0]!.length;
  assert.equal(width, source.modalities.length * 16);
  rows.forEach((row, i) => {
    for (let j = 0; j < width; j++) assert.ok(Math.abs(stored[row * width + j]! - expected[i]![j]!) < 1e-5, `row ${row}, column ${j}`);
  });
  model.dispose();
});

test('the same seed gives the same latent domains; GroupDRO keeps one weight per cluster', async () => {
  const labelsAfterOneEpoch = async (seed: number) => {
    const model = new MidgModel(config({ envPenalty: 'groupdro' }), info, seed);
    assert.equal(internals(model).groupWeights!.shape[0], CLUSTERS);
    await gatherEpoch(model, 1);
    const labels = Array.from(internals(model).latentDomains!.labelsOf(Int32Array.from({ length: info.trainSize }, (_, i) => i)));
    model.dispose();
    return labels;
  };
  const a = await labelsAfterOneEpoch(4);
  assert.deepEqual(await labelsAfterOneEpoch(4), a);
});

test('cluster labels are accepted with invariantOn=shared and every penalty; nothing is clustered when nothing uses them', () => {
  for (const envPenalty of ['none', 'vrex', 'irm', 'groupdro']) midgDefinition.validate({ ...config(), invariantOn: 'shared', envPenalty });
  assert.throws(() => midgDefinition.validate({ ...config(), clusterCount: 1 }), /"clusterCount" must be a whole number ≥ 2/);
  const plain = new MidgModel(config({ ablation: 'no-moie' }), info, 1);
  assert.equal(internals(plain).latentDomains, undefined);
  plain.dispose();
  assert.throws(() => new MidgModel(config({ clusterCount: 400 }), info, 1), /clusterCount 400 is more than the 320 training samples/);
});
