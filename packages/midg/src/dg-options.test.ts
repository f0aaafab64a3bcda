// The domain-generalization options of issue 8 (docs/method.md, "Domain-generalization options"): GRL schedule,
// video domain labels, where the adversary acts, the discriminator's own optimizer group, environment penalties.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { generateSyntheticDomain } from '@midg/features';
import { dannLambda, type MixtureOfInvariantExperts } from '@midg/moie';
import { GroupOptimizer, dataInfoOf, disposeBatch, groupIdsOf, makeBatch, parseConfig, registerModels, resolveRunConfig, TRAINING_SCHEMA, type Batch, type ConfigRecord, type StepContext } from '@midg/trainer';
import { midgDefinition } from './definition';
import { MidgModel, varianceOverPresent } from './model';
import { MIDG_SCHEMA, type MidgRunConfig } from './schema';

registerModels([midgDefinition]);

const source = generateSyntheticDomain('mosi', { preset: 'tiny' });
const VIDEOS = 5;
// The tiny synthetic ids have no video structure; give the split MMSA-style ids over 5 videos.
const videoSplit = { ...source.splits.train, ids: source.splits.train.ids.map((_, i) => `vid${i % VIDEOS}$_$${i}`) };
const videoView = { split: videoSplit, modalities: source.modalities, labelScale: 3 };
const videoInfo = { ...dataInfoOf(source), groupCount: VIDEOS };
const context: StepContext = { step: 0, epoch: 1, progress: 0.5 };

function config(overrides: ConfigRecord = {}): MidgRunConfig {
  const record = resolveRunConfig({ model: 'midg', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 1, backend: 'wasm', overrides: { hiddenDim: 16, heads: 2, ...overrides } });
  return parseConfig({ ...TRAINING_SCHEMA, ...MIDG_SCHEMA }, record);
}

async function withVideoBatch<T>(fn: (batch: Batch) => T | Promise<T>): Promise<T> {
  const batch = makeBatch(videoView, Int32Array.from({ length: 20 }, (_, i) => i));
  try {
    return await fn(batch);
  } finally {
    disposeBatch(batch);
  }
}

interface Internals {
  inDomain: MixtureOfInvariantExperts;
  decoupler: { branches: Record<string, { outEncoder: { trainableVariables(): tf.Variable[] } }> };
  sharedDiscriminator?: { trainableVariables(): tf.Variable[]; logits(x: tf.Tensor2D): tf.Tensor };
  groupWeights?: tf.Tensor1D;
}
const internals = (model: MidgModel) => model as unknown as Internals;

/** Largest |∂ L_in / ∂ v| over the out-of-domain encoder heads q(A_om | A_m) (the test path after A_m). */
function adversarialGradientOnOutEncoders(model: MidgModel, batch: Batch): number {
  const outVariables = new Set(Object.values(internals(model).decoupler.branches).flatMap((branch) => branch.outEncoder.trainableVariables()));
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(() => model.losses(batch, context).parts.in!, model.trainableVariables());
    let largest = 0;
    for (const v of outVariables) {
      const grad = grads[v.name];
      if (grad) largest = Math.max(largest, tf.max(tf.abs(grad)).dataSync()[0]!);
    }
    return largest;
  });
}

before(async () => {
  await useBackend('wasm');
});

test('DANN GRL ramp: 0 at p = 0, λ·(2/(1+e^−5) − 1) at ½, λ·(2/(1+e^−10) − 1) at 1', () => {
  assert.equal(dannLambda(0.4, 0), 0);
  assert.ok(Math.abs(dannLambda(0.4, 0.5) - 0.4 * (2 / (1 + Math.exp(-5)) - 1)) < 1e-12);
  assert.ok(Math.abs(dannLambda(1, 0.5) - 0.9866142981514305) < 1e-12);
  assert.ok(Math.abs(dannLambda(0.4, 1) - 0.4 * (2 / (1 + Math.exp(-10)) - 1)) < 1e-12);
  const constant = new MidgModel(config({ grlLambda: 0.3 }), dataInfoOf(source), 1);
  const dann = new MidgModel(config({ grlLambda: 0.3, grlSchedule: 'dann' }), dataInfoOf(source), 1);
  assert.equal(constant.grlLambdaAt({ step: 9, epoch: 2, progress: 0.7 }), 0.3);
  assert.equal(dann.grlLambdaAt({ step: 9, epoch: 2, progress: 0.7 }), dannLambda(0.3, 0.7));
  constant.dispose();
  dann.dispose();
});

test('video groups: the video of <video>$_$<segment>, else the whole id, numbered in order of appearance', () => {
  assert.deepEqual(groupIdsOf(['b$_$1', 'a$_$1', 'b$_$2', 'plain', 'a$_$7']), { groupIds: Int32Array.from([0, 1, 0, 2, 1]), count: 3 });
  assert.equal(dataInfoOf(source).groupCount, source.splits.train.size, 'synthetic ids have no video: one group per sample');
});

test('V-REx: 0 for equal per-group losses, > 0 otherwise, absent groups ignored', () => {
  const penalty = (risks: number[], present: number[]) => tf.tidy(() => varianceOverPresent(tf.tensor1d(risks), tf.tensor1d(present)).dataSync()[0]!);
  assert.equal(penalty([0.7, 0.7, 0.7], [1, 1, 1]), 0);
  assert.equal(penalty([0.7, 5, 0.7], [1, 0, 1]), 0);
  assert.ok(Math.abs(penalty([1, 3, 0], [1, 1, 0]) - 1) < 1e-6, 'variance of {1, 3} is 1');
});

test('video labels: a multi-class discriminator over the training split videos; discAcc in [0, 1]', async () => {
  const model = new MidgModel(config({ domainLabels: 'video' }), videoInfo, 1);
  await withVideoBatch((batch) => {
    assert.deepEqual(Array.from(batch.groupIds.subarray(0, 7)), [0, 1, 2, 3, 4, 0, 1]);
    tf.tidy(() => {
      const logits = internals(model).inDomain.discriminator.logits(tf.zeros([3, 16]) as tf.Tensor2D);
      assert.deepEqual(logits.shape, [3, VIDEOS]);
      const { parts } = model.losses(batch, context);
      const accuracy = parts.discAcc!.dataSync()[0]!;
      assert.ok(accuracy >= 0 && accuracy <= 1, `discAcc ${accuracy}`);
      // A fresh 5-way softmax discriminator: its cross-entropy is near ln 5, far from the binary ln 2.
      assert.ok(Math.abs(parts.in!.dataSync()[0]! - Math.log(VIDEOS)) < 0.5, `L_in ${parts.in!.dataSync()[0]}`);
    });
  });
  assert.throws(() => new MidgModel(config({ domainLabels: 'video' }), { ...videoInfo, groupCount: 1 }, 1), /at least two videos/);
  model.dispose();
});

test('default MIDG logs discAcc in [0, 1] for the stream discriminator', async () => {
  const model = new MidgModel(config(), dataInfoOf(source), 1);
  await withVideoBatch((batch) =>
    tf.tidy(() => {
      const accuracy = model.losses(batch, context).parts.discAcc!.dataSync()[0]!;
      assert.ok(accuracy >= 0 && accuracy <= 1, `discAcc ${accuracy}`);
    }),
  );
  model.dispose();
});

test('invariantOn=shared: the adversary reaches the out-of-domain encoders (the test path); moie does not', async () => {
  await withVideoBatch((batch) => {
    const paper = new MidgModel(config({ grlLambda: 1 }), videoInfo, 1);
    const moie = new MidgModel(config({ grlLambda: 1, domainLabels: 'video' }), videoInfo, 1);
    const shared = new MidgModel(config({ grlLambda: 1, domainLabels: 'video', invariantOn: 'shared' }), videoInfo, 1);
    assert.equal(adversarialGradientOnOutEncoders(paper, batch), 0, 'stream labels: the A_om side is gradient-stopped');
    assert.equal(adversarialGradientOnOutEncoders(moie, batch), 0, 'moie + video: the adversary sees only A_im');
    assert.ok(adversarialGradientOnOutEncoders(shared, batch) > 0, 'shared: the reversed gradient reaches q(A_om | A_m)');
    tf.tidy(() => assert.deepEqual(internals(shared).sharedDiscriminator!.logits(tf.zeros([2, 3 * 16]) as tf.Tensor2D).shape, [2, VIDEOS]));
    for (const model of [paper, moie, shared]) model.dispose();
  });
});

test('discriminatorOptimizer=separate: its own parameter group covers exactly the discriminator variables', () => {
  const training = { learningRate: 0.001, weightDecay: 0 };
  for (const invariantOn of ['moie', 'shared'] as const) {
    const model = new MidgModel(config({ domainLabels: 'video', invariantOn, discriminatorOptimizer: 'separate', discriminatorLearningRate: 0.0005 }), videoInfo, 1);
    const discriminator = invariantOn === 'moie' ? internals(model).inDomain.discriminator.trainableVariables() : internals(model).sharedDiscriminator!.trainableVariables();
    const groups = model.parameterGroups();
    assert.deepEqual(groups.map((g) => g.name), ['main', 'discriminator']);
    assert.deepEqual(new Set(groups[1]!.variables), new Set(discriminator));
    assert.equal(groups[1]!.learningRate, 0.0005);
    const all = model.trainableVariables();
    assert.deepEqual(new Set(groups[0]!.variables), new Set(all.filter((v) => !discriminator.includes(v))));
    new GroupOptimizer(model, training).dispose();
    model.dispose();
  }
  const paper = new MidgModel(config(), dataInfoOf(source), 1);
  assert.deepEqual(paper.parameterGroups().map((g) => [g.name, g.variables.length]), [['all', paper.trainableVariables().length]]);
  paper.dispose();
});

test('environment penalties: logged per step, weighted 0 during the warm-up, and GroupDRO moves weight to the worse group', async () => {
  await withVideoBatch((batch) => {
    for (const envPenalty of ['vrex', 'irm', 'groupdro'] as const) {
      const model = new MidgModel(config({ domainLabels: 'video', envPenalty, envPenaltyWeight: 2, envWarmupEpochs: 1 }), videoInfo, 1);
      assert.equal(model.lossWeights().envApplied, 2);
      tf.tidy(() => {
        const warm = model.losses(batch, { step: 0, epoch: 1, progress: 0 }).parts;
        assert.ok(warm.env!.dataSync()[0]! > 0, `${envPenalty} penalty is positive on a fresh model`);
        assert.equal(warm.envApplied!.dataSync()[0], 0, 'warm-up: not in the total');
        const after = model.losses(batch, { step: 5, epoch: 2, progress: 0.5 }).parts;
        assert.ok(after.envApplied!.dataSync()[0]! > 0);
      });
      if (envPenalty === 'groupdro') {
        const risks = tf.tidy(() => {
          model.losses(batch, context);
          return tf.keep(tf.clone((model as unknown as { lastGroupRisks: { means: tf.Tensor1D } }).lastGroupRisks.means));
        });
        model.afterStep();
        const q = Array.from(internals(model).groupWeights!.dataSync());
        const r = Array.from(risks.dataSync());
        risks.dispose();
        assert.ok(Math.abs(q.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'q stays a distribution');
        const worst = r.indexOf(Math.max(...r));
        const best = r.indexOf(Math.min(...r));
        assert.ok(q[worst]! > q[best]!, `the riskiest group gains weight (q ${q}, risks ${r})`);
      }
      model.dispose();
    }
  });
});

test('options that need per-sample domains refuse stream labels', () => {
  const bad = (overrides: ConfigRecord) => () => midgDefinition.validate({ ...config(), ...overrides });
  assert.throws(bad({ envPenalty: 'vrex' }), /envPenalty=vrex needs per-sample environments/);
  assert.throws(bad({ invariantOn: 'shared' }), /invariantOn=shared needs per-sample domain labels/);
  assert.throws(bad({ domainLabels: 'clusters' }), /"domainLabels" must be one of stream \| source \| video \| cluster/);
  midgDefinition.validate({ ...config(), domainLabels: 'video', invariantOn: 'shared', envPenalty: 'irm' });
  midgDefinition.validate({ ...config(), domainLabels: 'cluster', invariantOn: 'shared', envPenalty: 'irm' });
});
