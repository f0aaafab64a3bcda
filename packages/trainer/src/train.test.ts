import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { generateSyntheticDomain, resolveDataset, writeMmsa, type Dataset } from '@midg/features';
import { MAJORITY_METRIC, majorityAccuracy } from '@midg/metrics';
import { evaluateCheckpoint, registerModels, runKey, trainRun, unlabeledData, type EpochEvent, type RunSpec } from './index';
import { probeModelDefinition } from './testing';

registerModels([probeModelDefinition]);
const quick = { epochs: 3, patience: 10, maxTrainSamples: 96, batchSize: 32 };
const spec: RunSpec = { model: 'probe', source: 'synth:mosi:tiny', target: 'synth:sims:tiny', seed: 3, backend: 'wasm', overrides: quick };
const datasets = new Map<string, Dataset>();

before(async () => {
  await useBackend('wasm');
});

test('a cross-domain run reports target metrics on the target native scale, calls every hook, and leaks no tensors', async () => {
  const tensorsPerEpoch: number[] = [];
  const events: EpochEvent[] = [];
  const result = await trainRun(spec, {
    datasets,
    onEpoch: (event) => {
      events.push(event);
      tensorsPerEpoch.push(tf.memory().numTensors);
    },
  });
  assert.deepEqual(events.map((e) => e.epoch), [1, 2, 3]);
  assert.ok(events.every((e) => Number.isFinite(e.losses.total) && e.samplesPerSecond > 0));
  assert.ok(events.every((e) => typeof e.diagnostics?.weightNorm === 'number'), 'onEpochEnd numbers are recorded per epoch');
  assert.ok(events.every((e) => Math.abs(e.losses.total! - (e.losses.mse! + 0.01 * e.losses.l2!)) < 1e-5), 'epoch parts are the step means');
  assert.equal(tensorsPerEpoch[2], tensorsPerEpoch[1], `tensors per epoch: ${tensorsPerEpoch.join(', ')}`);
  assert.ok('Mult_acc_3' in result.test && !('Has0_acc_2' in result.test), 'SIMS metrics on the target');
  assert.ok('Has0_acc_2' in result.valid, 'MOSI metrics on the source validation split');
  const sims = resolveDataset('synth:sims:tiny');
  assert.deepEqual(Object.keys(result.test).slice(0, 2), ['Mult_acc_2', MAJORITY_METRIC], 'the majority-class ACC right after the ACC');
  assert.equal(result.test[MAJORITY_METRIC], majorityAccuracy('sims', sims.splits.test.labels));
  assert.ok(!(MAJORITY_METRIC in result.valid), 'recorded for the target test split only');
  assert.ok(result.test.MAE! > 0 && result.test.MAE! < 2, `SIMS MAE on [-1, 1]: ${result.test.MAE}`);
  assert.equal(result.key, runKey(spec));
  assert.equal(result.backend, 'wasm');
  assert.ok(result.adaptation, 'the probe adapts (a no-op shift by default)');
  assert.deepEqual(result.adaptation.sourceOnlyTest, result.test, 'a zero shift leaves the target metrics as they were');
  assert.ok(tf.memory().numTensors <= tensorsPerEpoch[0]!, 'the model and optimizer were disposed');
});

test('the same seed reproduces a run exactly; another seed does not', async () => {
  const inDomain = { ...spec, target: spec.source };
  const a = await trainRun(inDomain, { datasets });
  const b = await trainRun(inDomain, { datasets });
  const c = await trainRun({ ...inDomain, seed: 4 }, { datasets });
  assert.deepEqual(a.test, b.test);
  assert.notDeepEqual(a.test, c.test);
});

test('test-time adaptation sees the target inputs only: other target labels change nothing it does', async () => {
  const adapting = { ...spec, overrides: { ...quick, adaptShift: true } };
  const real = await trainRun(adapting, { datasets });
  // Scoring needs finite labels, so the target's test labels are negated here; unlabeledData is shown NaN ones below.
  const target = resolveDataset('synth:sims:tiny');
  const flipped: Dataset = { ...target, splits: { ...target.splits, test: { ...target.splits.test, labels: target.splits.test.labels.map((y) => -y) } } };
  const blind = await trainRun(adapting, { datasets: new Map([...datasets, ['synth:sims:tiny', flipped]]) });
  assert.ok(real.adaptation && blind.adaptation);
  assert.notEqual(real.adaptation.report.shift, 0, 'the probe did adapt');
  assert.deepEqual(blind.adaptation.report, real.adaptation.report);
  assert.match(real.adaptation.inputs, /synth:sims:tiny test split, 256 samples, inputs only/);
  assert.notDeepEqual(real.test, real.adaptation.sourceOnlyTest, 'adapted metrics are reported beside the source-only ones');
});

test('unlabeled target data hands out batches without labels, NaN labels and all', async () => {
  const target = resolveDataset('synth:sims:tiny');
  const split = { ...target.splits.test, labels: target.splits.test.labels.map(() => NaN) };
  const seen: number[] = [];
  await unlabeledData({ split, modalities: target.modalities, labelScale: 1 }).forEachBatch(100, (batch) => {
    assert.ok(!('labels' in batch), 'no labels field');
    seen.push(...batch.indices);
  }, 5);
  assert.equal(seen.length, split.size);
  assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: split.size }, (_, i) => i), 'every row once, shuffled by the seed');
  assert.notDeepEqual(seen, [...seen].sort((a, b) => a - b));
});

test('a checkpoint re-evaluates to the source-only metrics, also on another target', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'midg-ckpt-'));
  try {
    const checkpoint = join(dir, 'run');
    const result = await trainRun(spec, { datasets, checkpointDir: checkpoint });
    const again = await evaluateCheckpoint(checkpoint);
    assert.equal(again.target, spec.target);
    for (const [name, value] of Object.entries(result.adaptation!.sourceOnlyTest)) assert.ok(Math.abs(again.metrics[name]! - value) < 1e-9, name);
    const other = await evaluateCheckpoint(checkpoint, { target: 'synth:mosei:tiny' });
    assert.ok('Has0_acc_2' in other.metrics);
    assert.equal(other.metricFamily, 'mosi');
    assert.equal(other.metrics[MAJORITY_METRIC], majorityAccuracy('mosi', resolveDataset('synth:mosei:tiny').splits.test.labels));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('schedules change the recorded learning rate', async () => {
  const events: EpochEvent[] = [];
  await trainRun({ ...spec, overrides: { ...quick, lrSchedule: 'warmup-cosine', warmupEpochs: 1 } }, { datasets, onEpoch: (e) => events.push(e) });
  const rates = events.map((e) => e.learningRate);
  assert.ok(rates[0]! > rates[1]! && rates[1]! > rates[2]!, `cosine decay after warmup: ${rates.join(', ')}`);
});

test("a user's dataset is scored with its own metric family, whatever its domain is called; a file load warns once", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'midg-family-'));
  try {
    // SIMS-scaled labels in a file whose name says nothing, declared as domain "mosi" with labelRange [-1, 1].
    const path = join(dir, 'reviews.pkl');
    writeMmsa(generateSyntheticDomain('sims', { preset: 'tiny' }), path);
    const config = join(dir, 'datasets.yaml');
    writeFileSync(config, `reviews: { path: reviews.pkl, labelRange: [-1, 1], domain: mosi }\n`);
    const warnings: string[] = [];
    const resolve = { datasetsConfig: config, warn: (line: string) => warnings.push(line) };
    const run = { ...spec, source: 'reviews', target: 'reviews', overrides: { ...quick, epochs: 1 } };
    const declared = await trainRun(run, { resolve });
    assert.ok('Mult_acc_3' in declared.test && 'Mult_acc_3' in declared.valid, 'SIMS metrics from the [-1, 1] range, not the domain name');
    assert.equal(warnings.length, 0);
    // The same file by path: read on [-3, 3] and scored as MOSI, with one warning for the in-domain run's one load.
    const undeclared = await trainRun({ ...run, source: `mmsa:${path}`, target: `mmsa:${path}` }, { resolve });
    assert.ok('Has0_acc_2' in undeclared.test);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /every label lies in \[-1, 1\], but no label range was declared/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad run input fails with a clear error', async () => {
  await assert.rejects(trainRun({ ...spec, source: 'synth:imdb:tiny' }), /unknown synthetic domain "imdb"/);
  await assert.rejects(trainRun({ ...spec, overrides: { modalities: 'tx' } }), /"modalities" must be a non-empty subset of t, a, v/);
  await assert.rejects(trainRun({ ...spec, source: 'mmsa:/nonexistent/file.pkl' }), /nonexistent/);
  await assert.rejects(trainRun(spec, { expectedKey: '0123456789abcdef' }), /run key mismatch: planned 0123456789abcdef/);
  await assert.rejects(trainRun({ ...spec, backend: 'cpu' }), /asks for backend "cpu" but "wasm" is active/);
});
