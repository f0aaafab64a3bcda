import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { useBackend } from '@midg/backend';
import { getModel, registerModels, resolveRun, trainRun } from '@midg/trainer';
import { modelContractSuite } from '@midg/trainer/testing';
import { multDefinition } from './index';

before(async () => {
  await useBackend('wasm');
});

const SMALL = multDefinition.testOverrides;

registerModels([multDefinition]);
modelContractSuite(multDefinition, { backend: 'wasm', overrides: SMALL });

test('mult is known by name with MMSA defaults and per-source sections', () => {
  const { defaults, datasets } = getModel('mult').config;
  assert.equal(defaults.hiddenDim, 50);
  assert.equal(defaults.gradClipValue, 0.6);
  assert.equal(defaults.lrSchedule, 'plateau');
  const resolve = (source: string) => resolveRun({ model: 'mult', source, target: 'synth:mosi:tiny', seed: 1, backend: 'wasm', overrides: {} }).config;
  const mosei = resolve('synth:mosei:tiny');
  assert.deepEqual([mosei.hiddenDim, mosei.heads, mosei.kernelT, mosei.kernelA, mosei.kernelV, mosei.batchSize, mosei.learningRate], [30, 6, 5, 1, 3, 32, 0.0005]);
  const sims = resolve('synth:sims:tiny');
  assert.deepEqual([sims.nlevels, sims.kernelA, sims.kernelV], [2, 1, 1]);
  assert.ok(datasets.mosi);
});

test('bad configs are refused at resolve time with one clear line', () => {
  const spec = { model: 'mult', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 1, backend: 'wasm' };
  assert.throws(() => resolveRun({ ...spec, overrides: { hiddenDim: 9, heads: 2 } }), /hiddenDim \(9\) must be divisible by heads \(2\)/);
  assert.throws(() => resolveRun({ ...spec, overrides: { modalities: 'a' } }), /MulT needs at least two/);
});

test('trains end to end: synth:mosi:tiny → synth:sims:tiny', async () => {
  const run = (epochs: number) =>
    trainRun({
      model: 'mult',
      source: 'synth:mosi:tiny',
      target: 'synth:sims:tiny',
      seed: 3,
      backend: 'wasm',
      overrides: { ...SMALL, epochs, patience: 20, batchSize: 32 },
    });
  const result = await run(4);
  const MAE = result.test.MAE!;
  assert.ok(Number.isFinite(MAE), `test MAE ${MAE}`);
  assert.equal(result.epochsRun, 4);
  console.log(`# mult synth:mosi:tiny→synth:sims:tiny 4 epochs: test MAE ${MAE.toFixed(4)}, Mult_acc_2 ${result.test.Mult_acc_2}, ${result.durationMs} ms`);
});
