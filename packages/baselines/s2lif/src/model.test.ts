import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { useBackend } from '@midg/backend';
import { getModel, registerModels, resolveRun, trainRun } from '@midg/trainer';
import { modelContractSuite } from '@midg/trainer/testing';
import { s2lifDefinition } from './index';

before(async () => {
  await useBackend('wasm');
});

const SMALL = s2lifDefinition.testOverrides;

registerModels([s2lifDefinition]);
modelContractSuite(s2lifDefinition, { backend: 'wasm', overrides: SMALL });
// The contract's steps run at epoch 1 (the text phase); the same contract with the joint schedule covers both branches.
modelContractSuite(s2lifDefinition, { backend: 'wasm', overrides: { ...SMALL, schedule: 'joint', modalities: 'tav' } });

const spec = { model: 's2lif', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 1, backend: 'wasm' };

test('s2lif is known by name with its defaults: text and video, sequential', () => {
  const { defaults, datasets } = getModel('s2lif').config;
  assert.equal(defaults.modalities, 'tv');
  assert.equal(defaults.schedule, 'sequential');
  assert.ok(datasets.mosi && datasets.mosei && datasets.sims);
  const { config } = resolveRun({ ...spec, overrides: {} });
  assert.equal(config.modalities, 'tv');
  assert.ok((config.patience as number) >= (config.textEpochs as number));
});

test('bad configs are refused at resolve time with one clear line', () => {
  const refused = /S2LIF needs text \(t\) and at least one of v, a/;
  assert.throws(() => resolveRun({ ...spec, overrides: { modalities: 'av' } }), refused);
  assert.throws(() => resolveRun({ ...spec, overrides: { modalities: 'v' } }), refused);
  assert.throws(() => resolveRun({ ...spec, overrides: { modalities: 't' } }), refused);
  assert.throws(() => resolveRun({ ...spec, overrides: { epochs: 10, textEpochs: 10 } }), /epochs \(10\) must exceed textEpochs \(10\)/);
  assert.throws(() => resolveRun({ ...spec, overrides: { patience: 3, textEpochs: 5 } }), /patience \(3\) must be ≥ textEpochs \(5\)/);
  assert.throws(() => resolveRun({ ...spec, overrides: { weightDecay: 0.01 } }), /weightDecay \(0\.01\) must be 0 with schedule sequential/);
  // The joint schedule has no phases, so none of the phase rules apply.
  assert.doesNotThrow(() => resolveRun({ ...spec, overrides: { schedule: 'joint', epochs: 2, patience: 1, weightDecay: 0.01 } }));
  assert.doesNotThrow(() => resolveRun({ ...spec, overrides: { modalities: 'tav' } }));
});

test('trains end to end: synth:mosi:tiny → synth:sims:tiny, both phases', async () => {
  const epochs = 8;
  const events: { epoch: number; losses: Record<string, number> }[] = [];
  const result = await trainRun(
    { model: 's2lif', source: 'synth:mosi:tiny', target: 'synth:sims:tiny', seed: 3, backend: 'wasm', overrides: { ...SMALL, textEpochs: 2, epochs, patience: 20, batchSize: 32 } },
    { onEpoch: (event) => events.push({ epoch: event.epoch, losses: event.losses }) },
  );
  const MAE = result.test.MAE!;
  assert.ok(Number.isFinite(MAE), `test MAE ${MAE}`);
  assert.equal(result.epochsRun, epochs);
  // Text phase: total = textMse; video phase: total = fusedMse + λ_s·density.
  const lambda = getModel('s2lif').config.defaults.sparsityWeight as number;
  for (const { epoch, losses } of events) {
    const expected = epoch <= 2 ? losses.textMse! : losses.fusedMse! + lambda * losses.density!;
    assert.ok(Math.abs(losses.total! - expected) < 1e-5, `epoch ${epoch}: total ${losses.total} = ${expected}`);
  }
  console.log(`# s2lif synth:mosi:tiny→synth:sims:tiny ${epochs} epochs (2 text + ${epochs - 2} video): test MAE ${MAE.toFixed(4)}, Mult_acc_2 ${result.test.Mult_acc_2}, best epoch ${result.bestEpoch}, ${result.durationMs} ms`);
});
