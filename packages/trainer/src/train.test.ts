import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { type Dataset } from '@midg/features';
import { evaluateCheckpoint, trainRun, type ConfigRecord, type EpochEvent, type RunSpec } from './index';

// Small but real: the tiny synthetic domains, a narrow model, a few epochs on a subsample.
const quick = { hiddenDim: 16, heads: 2, epochs: 3, patience: 10, maxTrainSamples: 96, batchSize: 32 };
const spec: RunSpec = { model: 'midg', source: 'synth:mosi:tiny', target: 'synth:sims:tiny', seed: 3, overrides: quick };
const datasets = new Map<string, Dataset>();

before(async () => {
  await useBackend('wasm');
});

test('a cross-domain run reports target metrics on the target native scale, and tensors do not leak across epochs', async () => {
  const tensorsPerEpoch: number[] = [];
  const events: EpochEvent[] = [];
  const result = await trainRun(spec, 'wasm', {
    datasets,
    onEpoch: (event) => {
      events.push(event);
      tensorsPerEpoch.push(tf.memory().numTensors);
    },
  });
  assert.equal(events.length, 3);
  assert.deepEqual(events.map((e) => e.epoch), [1, 2, 3]);
  assert.ok(events.every((e) => Number.isFinite(e.losses.total) && e.samplesPerSecond > 0));
  // Adam's slots exist after the first step; from then on the count must not grow.
  assert.equal(tensorsPerEpoch[2], tensorsPerEpoch[1], `tensors per epoch: ${tensorsPerEpoch.join(', ')}`);
  // SIMS metrics (target) on the test split, MOSI metrics (source) on the validation split.
  assert.ok('Mult_acc_3' in result.test && !('Has0_acc_2' in result.test));
  assert.ok('Has0_acc_2' in result.valid);
  assert.ok(result.test.MAE! > 0 && result.test.MAE! < 2, `SIMS MAE on [-1, 1]: ${result.test.MAE}`);
  assert.ok(result.bestEpoch >= 1 && result.bestEpoch <= 3);
  assert.equal(result.expertUsage?.length, 4);
  const afterRun = tf.memory().numTensors;
  assert.ok(afterRun <= tensorsPerEpoch[0]!, `the model and optimizer were disposed (${afterRun} tensors left)`);
});

test('the same seed reproduces a run exactly; another seed does not', async () => {
  const a = await trainRun({ ...spec, target: spec.source }, 'wasm', { datasets });
  const b = await trainRun({ ...spec, target: spec.source }, 'wasm', { datasets });
  const c = await trainRun({ ...spec, target: spec.source, seed: 4 }, 'wasm', { datasets });
  assert.deepEqual(a.test, b.test);
  assert.notDeepEqual(a.test, c.test);
});

test('a checkpoint re-evaluates to the same metrics, also on another target', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'midg-ckpt-'));
  try {
    const checkpoint = join(dir, 'run');
    const result = await trainRun(spec, 'wasm', { datasets, checkpointDir: checkpoint });
    const again = evaluateCheckpoint(checkpoint);
    assert.equal(again.target, spec.target);
    for (const [name, value] of Object.entries(result.test)) assert.ok(Math.abs(again.metrics[name]! - value) < 1e-9, name);
    const other = evaluateCheckpoint(checkpoint, { target: 'synth:mosei:tiny' });
    assert.ok('Has0_acc_2' in other.metrics);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ablations and modality subsets train end to end through the run config', async () => {
  const variants: { ablation?: string; modalities?: string }[] = [{ ablation: 'no-moie-no-adapter' }, { ablation: 'no-adapter', modalities: 'ta' }, { modalities: 'v' }];
  for (const overrides of variants) {
    const result = await trainRun({ ...spec, overrides: { ...quick, epochs: 1, ...(overrides as ConfigRecord) } }, 'wasm', { datasets });
    assert.ok(Number.isFinite(result.test.MAE), JSON.stringify(overrides));
    assert.equal(result.config.modalities, overrides.modalities ?? 'tav');
  }
});

test('bad run input fails with a clear error', async () => {
  await assert.rejects(trainRun({ ...spec, source: 'synth:imdb:tiny' }, 'wasm'), /unknown synthetic domain "imdb"/);
  await assert.rejects(trainRun({ ...spec, overrides: { modalities: 'tx' } }, 'wasm'), /bad modalities "tx"/);
  await assert.rejects(trainRun({ ...spec, source: 'mmsa:/nonexistent/file.pkl' }, 'wasm'), /nonexistent/);
});
