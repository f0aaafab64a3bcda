import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { generateSyntheticDomain } from '@midg/features';
import { tidyOutput } from '@midg/nn';
import { dataInfoOf, disposeBatch, makeBatch, parseConfig, registerModels, resolveRunConfig, TRAINING_SCHEMA, type Batch, type ConfigRecord } from '@midg/trainer';
import { midgDefinition } from './definition';
import { MidgModel } from './model';
import { MIDG_SCHEMA, type MidgRunConfig } from './schema';

registerModels([midgDefinition]);

const source = generateSyntheticDomain('mosi', { preset: 'tiny' });
const info = dataInfoOf(source);
const view = { split: source.splits.train, modalities: source.modalities, labelScale: 3 };

const context = { step: 0, epoch: 1, progress: 0 };

function config(overrides: ConfigRecord = {}): MidgRunConfig {
  const record = resolveRunConfig({ model: 'midg', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 1, backend: 'wasm', overrides: { hiddenDim: 16, heads: 2, ...overrides } });
  return parseConfig({ ...TRAINING_SCHEMA, ...MIDG_SCHEMA }, record);
}

async function withBatch<T>(fn: (batch: Batch) => T | Promise<T>): Promise<T> {
  const batch = makeBatch(view, Int32Array.from({ length: 16 }, (_, i) => i));
  try {
    return await fn(batch);
  } finally {
    disposeBatch(batch);
  }
}

/** Names of trainable variables whose gradient of the total loss is all zero. */
function deadVariables(model: MidgModel, batch: Batch): number[] {
  const variables = model.trainableVariables();
  const { value, grads } = tf.variableGrads(() => model.losses(batch, context).total, variables);
  const dead = variables.flatMap((v, i) => (tf.tidy(() => tf.max(tf.abs(grads[v.name]!)).dataSync()[0]!) === 0 ? [i] : []));
  tf.dispose([value, ...Object.values(grads)]);
  return dead;
}

before(async () => {
  await useBackend('wasm');
});

test('full MIDG: every loss part is present and finite, and every weight gets a gradient', async () => {
  const model = new MidgModel(config(), info, 1);
  await withBatch((batch) => {
    const { total, parts } = tidyOutput(() => model.losses(batch, context));
    assert.deepEqual(Object.keys(parts).sort(), ['dis', 'discAcc', 'in', 'inMse', 'mixMse', 'out']);
    for (const part of [total, ...Object.values(parts)]) assert.ok(Number.isFinite(part.dataSync()[0]));
    tf.dispose([total, ...Object.values(parts)]);
    assert.deepEqual(deadVariables(model, batch), []);
  });
  model.dispose();
});

test('prediction goes through the out-of-domain pipeline only (§4.3)', async () => {
  const model = new MidgModel(config(), info, 1);
  const inDomainPipeline = (model as unknown as { inDomain: { trainableVariables(): tf.Variable[] } }).inDomain;
  await withBatch(async (batch) => {
    const before = model.predict(batch);
    const usageBefore = await model.expertUsage(batch);
    // Scrambling the MoIE (router, experts, head, discriminator) must not change ŷ2.
    for (const variable of inDomainPipeline.trainableVariables()) tf.tidy(() => variable.assign(tf.add(tf.mul(variable, -3), 0.1)));
    const after = model.predict(batch);
    assert.deepEqual(Array.from(after.dataSync()), Array.from(before.dataSync()));
    assert.notDeepEqual(await model.expertUsage(batch), usageBefore, 'the scrambled router did change');
    tf.dispose([before, after]);
  });
  model.dispose();
});

test('router usage is a distribution over the K experts', async () => {
  const model = new MidgModel(config({ experts: 3 }), info, 1);
  const usage = await withBatch((batch) => model.expertUsage(batch));
  assert.equal(usage.length, 3);
  assert.ok(Math.abs(usage.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  model.dispose();
});

test('ablation switches remove the module and its loss, and the model still trains end to end', async () => {
  const sizes: Record<string, number> = {};
  for (const ablation of ['none', 'no-moie', 'no-adapter', 'no-moie-no-adapter']) {
    const model = new MidgModel(config({ ablation }), info, 1);
    sizes[ablation] = model.trainableVariables().reduce((n, v) => n + v.size, 0);
    await withBatch(async (batch) => {
      const { total, parts } = tidyOutput(() => model.losses(batch, context));
      assert.equal('in' in parts, !ablation.startsWith('no-moie'), `${ablation}: L_in only with MoIE`);
      tf.dispose([total, ...Object.values(parts)]);
      assert.deepEqual(deadVariables(model, batch), [], `${ablation}: no dead weights`);
      assert.equal((await model.expertUsage(batch)).length, ablation.startsWith('no-moie') ? 0 : 4);
    });
    model.dispose();
  }
  assert.ok(sizes['no-moie']! < sizes.none!, 'MoIE off has fewer weights');
  assert.ok(sizes['no-adapter']! < sizes.none!, 'adapter off has fewer weights');
  assert.ok(sizes['no-moie-no-adapter']! < Math.min(sizes['no-moie']!, sizes['no-adapter']!));
});

test('modality subsets build a model over just those modalities', async () => {
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

test('CLUB estimator: the auxiliary step fits only the variational nets', async () => {
  const model = new MidgModel(config({ estimator: 'club' }), info, 1);
  await withBatch((batch) => {
    const { total, parts } = tidyOutput(() => model.losses(batch, context));
    tf.dispose([total, ...Object.values(parts)]);
    const main = model.trainableVariables().map((v) => Array.from(v.dataSync()));
    const club = (model as unknown as { decoupler: { clubVariables(): tf.Variable[] } }).decoupler.clubVariables();
    const clubBefore = club.map((v) => Array.from(v.dataSync()));
    const tensors = tf.memory().numTensors;
    model.afterStep();
    assert.notDeepEqual(club.map((v) => Array.from(v.dataSync())), clubBefore, 'CLUB nets moved');
    assert.deepEqual(model.trainableVariables().map((v) => Array.from(v.dataSync())), main, 'main weights untouched');
    // The Adam slots of the CLUB optimizer appear on its first step; a second step must not add anything.
    const afterFirst = tf.memory().numTensors;
    model.afterStep();
    assert.equal(tf.memory().numTensors, afterFirst);
    assert.ok(afterFirst >= tensors);
  });
  model.dispose();
});

test('bad MIDG config values are one clear error naming the key and what is allowed', async () => {
  const bad = (overrides: ConfigRecord) => () => config(overrides);
  assert.throws(bad({ estimator: 'clubb' }), /"estimator" must be one of club \| kl, got "clubb"/);
  assert.throws(bad({ ablation: 'no-router' }), /"ablation" must be one of none \| no-moie/);
  assert.throws(bad({ mixWeight: 2 }), /"mixWeight" must be a number in \[0, 1\]/);
  assert.throws(bad({ experts: 0 }), /"experts" must be a whole number ≥ 1/);
  assert.throws(bad({ alpha: -1 }), /"alpha" must be a number ≥ 0, got -1/);
  assert.throws(bad({ hiddenDim: 18, heads: 4 }), /hiddenDim 18 must be divisible by heads 4/);
  assert.throws(() => new MidgModel(config({ domainLabels: 'source' }), info, 1), /domainLabels=source needs exactly two source datasets/);
});

test('same seed, same weights and same predictions; another seed differs', async () => {
  const predictions = await Promise.all([1, 1, 2].map(async (seed) => {
    const model = new MidgModel(config(), info, seed);
    const values = await withBatch((batch) => {
      const p = model.predict(batch);
      const out = Array.from(p.dataSync());
      p.dispose();
      return out;
    });
    model.dispose();
    return values;
  }));
  assert.deepEqual(predictions[0], predictions[1]);
  assert.notDeepEqual(predictions[0], predictions[2]);
});
