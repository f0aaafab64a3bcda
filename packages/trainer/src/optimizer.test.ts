import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { generateSyntheticDomain } from '@midg/features';
import { GroupOptimizer, clipByGlobalNorm, clipByValue, createSchedule } from './optimizer';
import { dataInfoOf, trainStep } from './train';
import { resolveRun, registerModels } from './registry';
import { PROBE_SCHEMA, ProbeModel, probeModelDefinition } from './testing';
import { parseConfig } from './schema';
import { TRAINING_SCHEMA } from './training-config';

before(async () => {
  await useBackend('wasm');
});

const training = (overrides: Record<string, number | string>) =>
  resolveRun({ model: 'probe', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 1, backend: 'wasm', overrides }).training;
registerModels([probeModelDefinition]);

test('each parameter group steps with its own learning rate', async () => {
  const dataset = generateSyntheticDomain('mosi', { preset: 'tiny' });
  const config = training({ learningRate: 0.001, gradClipNorm: 0 });
  const model = probeModelDefinition.create(resolveRun({ model: 'probe', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 1, backend: 'wasm', overrides: {} }).config, dataInfoOf(dataset), 1);
  const optimizer = new GroupOptimizer(model, config);
  const [w0, b0] = [await model.trainableVariables()[0]!.data(), await model.trainableVariables()[1]!.data()];
  const view = { split: dataset.splits.train, modalities: dataset.modalities, labelScale: 3 };
  tf.dispose(Object.values(trainStep(model, optimizer, view, Int32Array.from([0, 1, 2, 3]), { step: 0, epoch: 1, progress: 0 }, config)));
  const [w1, b1] = [await model.trainableVariables()[0]!.data(), await model.trainableVariables()[1]!.data()];
  // Adam's first step moves every parameter by about its learning rate (m̂/√v̂ = ±1).
  assert.ok(Math.abs(Math.abs(b1[0]! - b0[0]!) - 0.01) < 1e-4, `bias moved ${b1[0]! - b0[0]!} (group rate 0.01)`);
  const moved = Array.from(w1).map((v, i) => Math.abs(v - w0[i]!));
  assert.ok(moved.every((d) => d < 0.0011) && Math.max(...moved) > 0.0009, `weights moved by about 0.001: max ${Math.max(...moved)}`);
  optimizer.dispose();
  model.dispose();
});

test('clipping by global norm and by value', async () => {
  const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([0, -12]) };
  const byNorm = clipByGlobalNorm(grads, 6.5); // global norm 13 → factor ½
  assert.deepEqual(Array.from(await byNorm.a!.data()), [1.5, 2]);
  const byValue = clipByValue(grads, 3.5);
  assert.deepEqual(Array.from(await byValue.b!.data()), [0, -3.5]);
  assert.equal(clipByValue(grads, 0), grads, '0 turns clipping off');
  tf.dispose([...Object.values(grads), ...Object.values(byNorm), ...Object.values(byValue)]);
});

test('warmup-cosine ramps up linearly then decays to 0; plateau cuts the rate after its patience', () => {
  const cosine = createSchedule(training({ lrSchedule: 'warmup-cosine', warmupEpochs: 1, epochs: 3 }), 10);
  assert.equal(cosine.atStep(0), 0.1);
  assert.equal(cosine.atStep(9), 1);
  assert.ok(Math.abs(cosine.atStep(20) - 0.5) < 1e-12, 'half way through the decay');
  assert.ok(cosine.atStep(29) < 0.01);
  const plateau = createSchedule(training({ lrSchedule: 'plateau', plateauPatience: 2, plateauFactor: 0.5 }), 10);
  assert.deepEqual([1.0, 0.9, 0.95, 0.95, 0.95, 0.8].map((mae) => plateau.afterEpoch(mae)), [1, 1, 1, 1, 0.5, 0.5]);
  const none = createSchedule(training({}), 10);
  assert.equal(none.atStep(5), 1);
});

test('parameter groups must cover every variable exactly once', () => {
  const dataset = generateSyntheticDomain('mosi', { preset: 'tiny' });
  const config = parseConfig({ ...TRAINING_SCHEMA, ...PROBE_SCHEMA }, resolveRun({ model: 'probe', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 1, backend: 'wasm', overrides: {} }).config);
  const model = new ProbeModel(config, dataInfoOf(dataset), 1);
  const broken = Object.assign(Object.create(Object.getPrototypeOf(model)) as typeof model, model, { parameterGroups: () => [{ name: 'w', variables: [model.weights] }] });
  assert.throws(() => new GroupOptimizer(broken, training({})), /parameter groups must cover every trainable variable exactly once/);
  model.dispose();
});

test('a variable without a gradient on a step is skipped, and the others keep their own Adam state', async () => {
  const a = tf.variable(tf.tensor1d([1, 2]));
  const b = tf.variable(tf.tensor1d([3]));
  const reference = tf.variable(tf.tensor1d([3]));
  const owner = { name: 'two', trainableVariables: () => [a, b] };
  const optimizer = new GroupOptimizer(owner, training({ learningRate: 0.1 }));
  const alone = tf.train.adam(0.1);
  const grad = (values: number[]) => tf.tensor1d(values);
  const steps: { a?: number[]; b: number[] }[] = [{ a: [1, 1], b: [2] }, { b: [-1] }, { a: [0.5, 0.5], b: [4] }];
  for (const step of steps) {
    const aBefore = Array.from(await a.data());
    const grads: tf.NamedTensorMap = { [b.name]: grad(step.b), ...(step.a ? { [a.name]: grad(step.a) } : {}) };
    optimizer.apply(grads);
    alone.applyGradients([{ name: reference.name, tensor: grad(step.b) }]);
    if (!step.a) assert.deepEqual(Array.from(await a.data()), aBefore, 'no gradient, no move');
    assert.deepEqual(Array.from(await b.data()), Array.from(await reference.data()), 'b steps exactly as its own Adam');
    tf.dispose(Object.values(grads));
  }
  optimizer.dispose();
  alone.dispose();
  tf.dispose([a, b, reference]);
});
