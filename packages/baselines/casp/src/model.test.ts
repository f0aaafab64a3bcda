import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { useBackend } from '@midg/backend';
import { getModel, registerModels, resolveRun, trainRun } from '@midg/trainer';
import { modelContractSuite } from '@midg/trainer/testing';
import { caspDefinition } from './index';

before(async () => {
  await useBackend('wasm');
});

const SMALL = caspDefinition.testOverrides;

registerModels([caspDefinition]);
modelContractSuite(caspDefinition, { backend: 'wasm', overrides: SMALL });

test('casp is known by name, marked as using target inputs, with the reference defaults', () => {
  const definition = getModel('casp');
  assert.equal(definition.usesTargetInputs, true);
  const { defaults, datasets } = definition.config;
  assert.deepEqual([defaults.projDim, defaults.heads, defaults.nlevels], [40, 8, 5]);
  assert.deepEqual([defaults.contrastiveEpochs, defaults.storeEvery, defaults.pseudoEpochs, defaults.temperature], [15, 3, 5, 0.5]);
  assert.deepEqual([defaults.adapt, defaults.adaptOn, defaults.selection, defaults.keepFraction], [true, 'test', 'stable', 0.05]);
  assert.deepEqual([defaults.batchSize, defaults.learningRate, defaults.gradClipNorm, defaults.lrSchedule], [24, 0.001, 0.8, 'plateau']);
  assert.deepEqual(Object.keys(datasets).sort(), ['mosei', 'mosi', 'sims']);
  const resolved = resolveRun({ model: 'casp', source: 'synth:sims:tiny', target: 'synth:mosi:tiny', seed: 1, backend: 'wasm', overrides: { adaptOn: 'train' } }).config;
  assert.equal(resolved.adaptOn, 'train');
});

test('bad configs are refused at resolve time with one clear line', () => {
  const spec = { model: 'casp', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 1, backend: 'wasm' };
  assert.throws(() => resolveRun({ ...spec, overrides: { projDim: 9, heads: 2 } }), /projDim \(9\) must be divisible by heads \(2\)/);
  assert.throws(() => resolveRun({ ...spec, overrides: { modalities: 't' } }), /needs at least two \(or adapt=false\)/);
  assert.doesNotThrow(() => resolveRun({ ...spec, overrides: { modalities: 't', adapt: false } }));
  assert.throws(() => resolveRun({ ...spec, overrides: { contrastiveEpochs: 2, storeEvery: 3 } }), /at least two stored predictions/);
  assert.throws(() => resolveRun({ ...spec, overrides: { selection: 'best' } }), /one of stable \| literal/);
  assert.throws(() => resolveRun({ ...spec, overrides: { adaptOn: 'valid' } }), /one of test \| train/);
});

test('trains end to end: synth:mosi:tiny → synth:sims:tiny, source-only and adapted metrics; adapt=false scores the source model', async () => {
  const spec = { model: 'casp', source: 'synth:mosi:tiny', target: 'synth:sims:tiny', seed: 3, backend: 'wasm' };
  const overrides = { ...SMALL, epochs: 4, patience: 20, batchSize: 32, contrastiveEpochs: 3, storeEvery: 1, pseudoEpochs: 2, keepFraction: 0.2 };
  const result = await trainRun({ ...spec, overrides });
  assert.equal(result.epochsRun, 4);
  const adaptation = result.adaptation;
  assert.ok(adaptation, 'the run reports the adaptation');
  assert.match(adaptation.inputs, /synth:sims:tiny test split, 256 samples, inputs only \(no labels\)/);
  assert.equal(adaptation.report.kept, Math.ceil(0.2 * 256));
  const adapted = result.test.MAE!;
  const sourceOnly = adaptation.sourceOnlyTest.MAE!;
  assert.ok(Number.isFinite(adapted) && Number.isFinite(sourceOnly));
  assert.notDeepEqual(result.test, adaptation.sourceOnlyTest, 'adaptation changed the target predictions');
  console.log(
    `# casp synth:mosi:tiny→synth:sims:tiny 4 epochs + adaptation: test MAE ${adapted.toFixed(4)} (source-only ${sourceOnly.toFixed(4)}), ` +
      `Mult_acc_2 ${result.test.Mult_acc_2} (source-only ${adaptation.sourceOnlyTest.Mult_acc_2}), ${result.durationMs} ms; report ${JSON.stringify(adaptation.report)}`,
  );

  const off = await trainRun({ ...spec, overrides: { ...overrides, adapt: false } });
  assert.equal(off.adaptation, undefined);
  assert.deepEqual(off.test, adaptation.sourceOnlyTest, 'without adaptation the target metrics are the source model’s');
});
