import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { useBackend } from '@midg/backend';
import type { Dataset } from '@midg/features';
import { registerModels, trainRun, type ConfigRecord, type EpochEvent, type RunSpec } from '@midg/trainer';
import { midgDefinition, midgDgDefinition } from './definition';

registerModels([midgDefinition, midgDgDefinition]);
const quick = { hiddenDim: 16, heads: 2, epochs: 2, patience: 10, maxTrainSamples: 96, batchSize: 32 };
const spec: RunSpec = { model: 'midg', source: 'synth:mosi:tiny', target: 'synth:sims:tiny', seed: 3, backend: 'wasm', overrides: quick };
const datasets = new Map<string, Dataset>();

before(async () => {
  await useBackend('wasm');
});

test('MIDG trains end to end and reports expert usage on the target', async () => {
  const result = await trainRun(spec, { datasets });
  assert.ok(Number.isFinite(result.test.MAE));
  assert.equal(result.expertUsage?.length, 4);
  assert.equal(result.adaptation, undefined, 'MIDG does not adapt to the target');
});

test('ablations and modality subsets train end to end through the run config', async () => {
  const variants: ConfigRecord[] = [{ ablation: 'no-moie-no-adapter' }, { ablation: 'no-adapter', modalities: 'ta' }, { modalities: 'v' }];
  for (const overrides of variants) {
    const result = await trainRun({ ...spec, overrides: { ...quick, epochs: 1, ...overrides } }, { datasets });
    assert.ok(Number.isFinite(result.test.MAE), JSON.stringify(overrides));
    assert.equal(result.config.modalities, overrides.modalities ?? 'tav');
  }
});

test('two sources train with source-id domain labels; one source with them is a clear error', async () => {
  const result = await trainRun(
    { ...spec, source: 'synth:mosi:tiny+synth:sims:tiny', target: 'synth:mosei:tiny', overrides: { ...quick, domainLabels: 'source' } },
    { datasets },
  );
  assert.ok('Has0_acc_2' in result.test && Number.isFinite(result.test.MAE));
  await assert.rejects(trainRun({ ...spec, overrides: { ...quick, domainLabels: 'source' } }, { datasets }), /domainLabels=source needs exactly two source datasets/);
});

test('midg-dg trains end to end with its defaults; its latent domains are re-clustered every epoch on the rows trained on', async () => {
  const epochs: EpochEvent[] = [];
  const result = await trainRun({ ...spec, model: 'midg-dg', overrides: quick }, { datasets, onEpoch: (event) => epochs.push(event) });
  assert.ok(Number.isFinite(result.test.MAE));
  assert.equal(result.config.domainLabels, 'cluster');
  assert.equal(epochs.length, 2);
  for (const event of epochs) {
    assert.equal(event.diagnostics?.clusterRows, quick.maxTrainSamples, `epoch ${event.epoch}: the rows of the training subset`);
    assert.ok(event.diagnostics!.clustersUsed! >= 2, `epoch ${event.epoch}: ${event.diagnostics!.clustersUsed} clusters used`);
    assert.ok(Number.isFinite(event.losses.inApplied));
    assert.equal(event.losses.envApplied, undefined, 'the selected defaults have no environment penalty');
  }
  assert.equal(epochs[0]!.losses.inApplied, 0, 'epoch 1: no clusters yet, the adversary is weighted 0');
  assert.ok(epochs[1]!.losses.inApplied! > 0, 'epoch 2: the clusters of epoch 1 are the domains');
});
