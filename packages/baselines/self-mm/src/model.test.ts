import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { generateSyntheticDomain, type Modality } from '@midg/features';
import { dataInfoOf, disposeBatch, getModel, makeBatch, registerModels, resolveRun, trainRun, type EpochEvent, type TrainingView } from '@midg/trainer';
import { modelContractSuite } from '@midg/trainer/testing';
import { SelfMmModel, selfMmDefinition } from './index';

const SMALL = selfMmDefinition.testOverrides;

before(async () => {
  await useBackend('wasm');
});

registerModels([selfMmDefinition]);
modelContractSuite(selfMmDefinition, { backend: 'wasm', overrides: SMALL });

const dataset = generateSyntheticDomain('mosi', { preset: 'tiny' });
const view: TrainingView = { split: dataset.splits.train, modalities: dataset.modalities, labelScale: 3 };
const rows = (count: number, offset = 0) => Int32Array.from({ length: count }, (_, i) => i + offset);

function build(modalities = 'tav'): SelfMmModel {
  const { config } = resolveRun({ model: 'self-mm', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 3, backend: 'wasm', overrides: { ...SMALL, modalities } });
  const info = { ...dataInfoOf(dataset), modalities: [...modalities] as Modality[] };
  return selfMmDefinition.create(config, info, 3) as SelfMmModel;
}

/** max |grad| over each head's variables for one loss evaluation at `epoch`. */
function headGradients(model: SelfMmModel, indices: Int32Array, epoch: number): Record<string, number> {
  const batch = makeBatch(view, indices);
  const { value, grads } = tf.variableGrads(() => model.losses(batch, { step: 0, epoch, progress: 0 }).total, model.trainableVariables());
  const out: Record<string, number> = {};
  for (const task of ['m', 't', 'a', 'v'] as const) {
    out[task] = Math.max(...model.headVariables(task).map((v) => tf.tidy(() => tf.max(tf.abs(grads[v.name]!)).dataSync()[0]!)));
  }
  tf.dispose([value, ...Object.values(grads)]);
  disposeBatch(batch);
  return out;
}

test('self-mm is known by name with MMSA defaults and per-dataset sections', () => {
  const { config } = getModel('self-mm');
  assert.equal(config.defaults.postFusionDim, 128);
  assert.equal(config.defaults.batchSize, 16);
  assert.equal(config.datasets.mosei?.learningRateVideo, 0.0001);
  assert.equal(config.datasets.sims?.postTextDim, 64);
});

test('epoch 1: the unimodal heads get exactly zero gradient; from epoch 2 generated labels move and they learn', async () => {
  const model = build();
  try {
    const epoch1 = headGradients(model, rows(8), 1);
    assert.ok(epoch1.m! > 0, 'the fusion head learns in epoch 1');
    for (const m of ['t', 'a', 'v']) assert.equal(epoch1[m], 0, `${m} head gradient in epoch 1`);
    // One epoch-1 pass fills the memory, then an epoch-2 step generates new labels for rows 0..7.
    const step = (indices: Int32Array, epoch: number) => {
      const batch = makeBatch(view, indices);
      tf.dispose(Object.values(model.losses(batch, { step: 0, epoch, progress: 0 }).parts));
      model.afterStep(batch, { step: 0, epoch, progress: 0 });
      disposeBatch(batch);
    };
    step(rows(32), 1);
    const fusion = await model.labels('m');
    // `+ 0` folds −0 into 0: a normalized label of −0 is stored as 0 in y_t.
    const same = (values: Float32Array) => Array.from(values.slice(0, 32), (y) => y + 0);
    assert.deepEqual(same(await model.labels('t')), same(fusion), 'y_t = y_m after epoch 1');
    step(rows(8), 2);
    const text = await model.labels('t');
    assert.ok(text.slice(0, 8).some((y, i) => Math.abs(y - fusion[i]!) > 1e-4), 'y_t moved away from y_m at epoch 2');
    assert.ok(text.every((y) => y >= -1 && y <= 1), 'labels stay in [-1, 1]');
    const epoch2 = headGradients(model, rows(8), 2);
    for (const m of ['t', 'a', 'v']) assert.ok(epoch2[m]! > 0, `${m} head gradient in epoch 2`);
  } finally {
    model.dispose();
  }
});

test('modality subsets: one head per present modality, loss parts match, predictions finite', async () => {
  for (const modalities of ['ta', 'v']) {
    const model = build(modalities);
    const batch = makeBatch(view, rows(8));
    const { total, parts } = model.losses(batch, { step: 0, epoch: 1, progress: 0 });
    assert.deepEqual(Object.keys(model.lossWeights()), ['fusion', ...modalities]);
    assert.deepEqual(Object.keys(parts), ['fusion', ...modalities]);
    const predictions = model.predict(batch);
    assert.ok(Array.from(await predictions.data()).every(Number.isFinite));
    assert.ok(Number.isFinite((await total.data())[0]!));
    tf.dispose([total, ...Object.values(parts), predictions]);
    disposeBatch(batch);
    model.dispose();
  }
});

test('end to end: synth:mosi:tiny → synth:sims:tiny; the generator reports weights from epoch 2', async () => {
  const events: EpochEvent[] = [];
  const result = await trainRun(
    { model: 'self-mm', source: 'synth:mosi:tiny', target: 'synth:sims:tiny', seed: 5, backend: 'wasm', overrides: { ...SMALL, epochs: 3 } },
    { onEpoch: (event) => events.push(event) },
  );
  console.log(`self-mm trainRun mosi:tiny→sims:tiny: MAE ${result.test.MAE?.toFixed(4)} Acc2 ${result.test.Mult_acc_2 ?? result.test.Has0_acc_2} in ${result.durationMs} ms`, JSON.stringify(result.test));
  assert.ok(Number.isFinite(result.test.MAE!));
  assert.equal(events.length, 3);
  assert.equal(events[0]!.diagnostics?.weight_t, 0, 'epoch 1 keeps y_t = y_m');
  assert.ok(events[1]!.diagnostics!.weight_t! > 0, 'labels diverge from epoch 2');
  // As in MMSA, a sample's loss uses its labels from before its own update, so unimodal losses start in epoch 3.
  assert.equal(events[1]!.losses.t, 0);
  assert.ok(events[2]!.losses.t! > 0);
  for (const part of ['fusion', 't', 'a', 'v']) assert.ok(Number.isFinite(events[2]!.losses[part]!), `loss part ${part}`);
});
