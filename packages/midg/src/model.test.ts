import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { generateSyntheticDomain } from '@midg/features';
import { tidyOutput } from '@midg/nn';
import { dataInfoOf, disposeBatch, makeBatch, resolveRunConfig, type Batch, type ConfigRecord } from '../index';
import { MidgModel } from './model';

const source = generateSyntheticDomain('mosi', { preset: 'tiny' });
const info = dataInfoOf(source);
const view = { split: source.splits.train, modalities: source.modalities, labelScale: 3 };

function config(overrides: ConfigRecord = {}): ConfigRecord {
  return resolveRunConfig({ model: 'midg', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 1, overrides: { hiddenDim: 16, heads: 2, ...overrides } });
}

function withBatch<T>(fn: (batch: Batch) => T): T {
  const batch = makeBatch(view, Int32Array.from({ length: 16 }, (_, i) => i));
  try {
    return fn(batch);
  } finally {
    disposeBatch(batch);
  }
}

/** Names of trainable variables whose gradient of the total loss is all zero. */
function deadVariables(model: MidgModel, batch: Batch): number[] {
  const variables = model.trainableVariables();
  const { value, grads } = tf.variableGrads(() => model.losses(batch, 0).total, variables);
  const dead = variables.flatMap((v, i) => (tf.tidy(() => tf.max(tf.abs(grads[v.name]!)).dataSync()[0]!) === 0 ? [i] : []));
  tf.dispose([value, ...Object.values(grads)]);
  return dead;
}

before(async () => {
  await useBackend('wasm');
});

test('full MIDG: every loss part is present and finite, and every weight gets a gradient', () => {
  const model = new MidgModel(config(), info, 1);
  withBatch((batch) => {
    const { total, parts } = tidyOutput(() => model.losses(batch, 0));
    assert.deepEqual(Object.keys(parts).sort(), ['dis', 'in', 'inMse', 'mixMse', 'out']);
    for (const part of [total, ...Object.values(parts)]) assert.ok(Number.isFinite(part.dataSync()[0]));
    tf.dispose([total, ...Object.values(parts)]);
    assert.deepEqual(deadVariables(model, batch), []);
  });
  model.dispose();
});

test('prediction goes through the out-of-domain pipeline only (§4.3)', () => {
  const model = new MidgModel(config(), info, 1);
  const inDomainPipeline = (model as unknown as { inDomain: { trainableVariables(): tf.Variable[] } }).inDomain;
  withBatch((batch) => {
    const before = model.predict(batch);
    const usageBefore = model.expertUsage(batch);
    // Scrambling the MoIE (router, experts, head, discriminator) must not change ŷ2.
    for (const variable of inDomainPipeline.trainableVariables()) tf.tidy(() => variable.assign(tf.add(tf.mul(variable, -3), 0.1)));
    const after = model.predict(batch);
    assert.deepEqual(Array.from(after.dataSync()), Array.from(before.dataSync()));
    assert.notDeepEqual(model.expertUsage(batch), usageBefore, 'the scrambled router did change');
    tf.dispose([before, after]);
  });
  model.dispose();
});

test('router usage is a distribution over the K experts', () => {
  const model = new MidgModel(config({ experts: 3 }), info, 1);
  const usage = withBatch((batch) => model.expertUsage(batch));
  assert.equal(usage.length, 3);
  assert.ok(Math.abs(usage.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  model.dispose();
});

test('ablation switches remove the module and its loss, and the model still trains end to end', () => {
  const sizes: Record<string, number> = {};
  for (const ablation of ['none', 'no-moie', 'no-adapter', 'no-moie-no-adapter']) {
    const model = new MidgModel(config({ ablation }), info, 1);
    sizes[ablation] = model.trainableVariables().reduce((n, v) => n + v.size, 0);
    withBatch((batch) => {
      const { total, parts } = tidyOutput(() => model.losses(batch, 0));
      assert.equal('in' in parts, !ablation.startsWith('no-moie'), `${ablation}: L_in only with MoIE`);
      tf.dispose([total, ...Object.values(parts)]);
      assert.deepEqual(deadVariables(model, batch), [], `${ablation}: no dead weights`);
      assert.equal(model.expertUsage(batch).length, ablation.startsWith('no-moie') ? 0 : 4);
    });
    model.dispose();
  }
  assert.ok(sizes['no-moie']! < sizes.none!, 'MoIE off has fewer weights');
  assert.ok(sizes['no-adapter']! < sizes.none!, 'adapter off has fewer weights');
  assert.ok(sizes['no-moie-no-adapter']! < Math.min(sizes['no-moie']!, sizes['no-adapter']!));
});

test('modality subsets build a model over just those modalities', () => {
  for (const modalities of [['t'], ['a', 'v'], ['t', 'v']] as const) {
    const model = new MidgModel(config(), { ...info, modalities: [...modalities] }, 1);
    const subView = { ...view, modalities: [...modalities] };
    const batch = makeBatch(subView, Int32Array.from([0, 1, 2, 3]));
    const prediction = model.predict(batch);
    assert.deepEqual(prediction.shape, [4]);
    tf.dispose(prediction);
    disposeBatch(batch);
    model.dispose();
  }
});

test('CLUB estimator: the auxiliary step fits only the variational nets', () => {
  const model = new MidgModel(config({ estimator: 'club' }), info, 1);
  withBatch((batch) => {
    const { total, parts } = tidyOutput(() => model.losses(batch, 0));
    tf.dispose([total, ...Object.values(parts)]);
    const main = model.trainableVariables().map((v) => Array.from(v.dataSync()));
    const club = (model as unknown as { decoupler: { clubVariables(): tf.Variable[] } }).decoupler.clubVariables();
    const clubBefore = club.map((v) => Array.from(v.dataSync()));
    const tensors = tf.memory().numTensors;
    model.auxiliaryStep();
    assert.notDeepEqual(club.map((v) => Array.from(v.dataSync())), clubBefore, 'CLUB nets moved');
    assert.deepEqual(model.trainableVariables().map((v) => Array.from(v.dataSync())), main, 'main weights untouched');
    // The Adam slots of the CLUB optimizer appear on its first step; a second step must not add anything.
    const afterFirst = tf.memory().numTensors;
    model.auxiliaryStep();
    assert.equal(tf.memory().numTensors, afterFirst);
    assert.ok(afterFirst >= tensors);
  });
  model.dispose();
});

test('bad MIDG config values are one clear error naming the key', () => {
  assert.throws(() => new MidgModel({ ...config(), estimator: 'mine' }, info, 1), /"estimator" must be one of kl \| club/);
  assert.throws(() => new MidgModel({ ...config(), ablation: 'no-router' }, info, 1), /"ablation" must be one of/);
  assert.throws(() => new MidgModel({ ...config(), mixWeight: 2 }, info, 1), /"mixWeight" must be a number in \[0, 1\]/);
  assert.throws(() => new MidgModel({ ...config(), experts: 0 }, info, 1), /"experts"/);
  assert.throws(() => new MidgModel(config({ domainLabels: 'source' }), info, 1), /domainLabels=source needs exactly two source datasets/);
});

test('same seed, same weights and same predictions; another seed differs', () => {
  const predictions = [1, 1, 2].map((seed) => {
    const model = new MidgModel(config(), info, seed);
    const values = withBatch((batch) => {
      const p = model.predict(batch);
      const out = Array.from(p.dataSync());
      p.dispose();
      return out;
    });
    model.dispose();
    return values;
  });
  assert.deepEqual(predictions[0], predictions[1]);
  assert.notDeepEqual(predictions[0], predictions[2]);
});
