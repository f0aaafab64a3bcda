import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { withOpByOpLayers } from '@midg/nn';
import { REFERENCE_SHAPES, disposeBatch, getModel, makeBatch, randomBenchmarkData, registerModels, resolveRun, trainRun } from '@midg/trainer';
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

test('the fused attention core (and fused layers) give the op-by-op losses and gradients, causal mask on', () => {
  const { config } = resolveRun({ model: 'mult', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 1, backend: 'wasm', overrides: { ...SMALL, attnMask: true } });
  const { view, info, indices } = randomBenchmarkData(REFERENCE_SHAPES, 8);
  // Padded key steps too: sample i has 50 − 7i real steps (t), fewer for a and v.
  Object.values(view.split.features).forEach((features, m) => features!.lengths.forEach((_, i) => (features!.lengths[i] = Math.max(1, 50 - 7 * i - 3 * m))));
  const batch = makeBatch(view, indices);
  const run = (fn: () => ReturnType<typeof tf.variableGrads>, model: ReturnType<typeof multDefinition.create>) => {
    const result = fn();
    const grads = model.trainableVariables().map((v) => result.grads[v.name]!);
    return { value: result.value, grads };
  };
  const [fused, reference] = [multDefinition.create(config, info, 7), multDefinition.create(config, info, 7)];
  const step = (model: typeof fused) => () => tf.variableGrads(() => model.losses(batch, { step: 0, epoch: 1, progress: 0 }).total, model.trainableVariables());
  const ours = run(step(fused), fused);
  const theirs = withOpByOpLayers(() => run(step(reference), reference));
  const relative = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => [tf.norm(tf.sub(a, b)).dataSync()[0]!, tf.norm(b).dataSync()[0]!]);
  const [lossDiff, lossScale] = relative(ours.value, theirs.value);
  assert.ok(lossDiff! <= 1e-5 * lossScale!, `loss ${lossDiff} vs ${lossScale}`);
  ours.grads.forEach((g, i) => {
    const [diff, scale] = relative(g, theirs.grads[i]!);
    assert.ok(scale! < 1e-6 ? diff! < 1e-6 : diff! <= 1e-4 * scale!, `gradient ${i}: ${diff} vs ${scale}`);
  });
  tf.dispose([ours.value, theirs.value, ...ours.grads, ...theirs.grads]);
  disposeBatch(batch);
  fused.dispose();
  reference.dispose();
});
