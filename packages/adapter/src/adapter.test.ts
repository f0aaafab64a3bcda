import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { maxAbsDiff, scalar } from '@midg/nn/testing';
import type { Modality } from '@midg/features';
import type { ModalityTensors } from '@midg/nn';
import { CrossModalAdapter, mseLoss, type CrossModalAdapterConfig } from './adapter';

before(async () => {
  await useBackend('wasm');
});

const EVAL = { training: false };
const TRAIN = { training: true };

function representations(modalities: Modality[], batch: number, dim: number, seed: number): ModalityTensors<tf.Tensor2D> {
  return Object.fromEntries(
    modalities.map((m, i) => [m, tf.randomNormal([batch, dim], 0, 1, 'float32', seed + i) as tf.Tensor2D]),
  );
}

describe('CrossModalAdapter', () => {
  const base = (modalities: Modality[], extra: Partial<CrossModalAdapterConfig> = {}): CrossModalAdapterConfig => ({
    modalities,
    dim: 8,
    fusionDim: 6,
    seed: 5,
    ...extra,
  });

  it('has the documented shapes for 1, 2 and 3 modalities and several head counts', () => {
    const cases: [Modality[], number][] = [
      [['t'], 4],
      [['t', 'v'], 1],
      [['a', 'v'], 2],
      [['t', 'a', 'v'], 4],
      [['t', 'a', 'v'], 8],
    ];
    for (const [modalities, heads] of cases) {
      const adapter = new CrossModalAdapter(base(modalities, { heads }));
      const out = adapter.forward(representations(modalities, 3, 8, 1), TRAIN);
      assert.deepEqual(out.fused.shape, [3, 6]);
      assert.deepEqual(out.prediction.shape, [3]);
      assert.deepEqual(Object.keys(out.injected), modalities);
      const attending = modalities.length > 1 ? modalities : [];
      assert.deepEqual(Object.keys(out.gates), attending);
      assert.deepEqual(Object.keys(out.attention), attending);
      for (const m of attending) {
        assert.deepEqual(out.injected[m]!.shape, [3, 8]);
        assert.deepEqual(out.gates[m]!.shape, [3, 8]);
        assert.deepEqual(out.attention[m]!.shape, [3, heads, modalities.length - 1]);
        assert.deepEqual(adapter.sourcesOf(m), modalities.filter((n) => n !== m));
      }
    }
  });

  it('passes a lone modality through unchanged (zero injection)', () => {
    const adapter = new CrossModalAdapter(base(['a']));
    const x = representations(['a'], 4, 8, 2);
    assert.equal(maxAbsDiff(adapter.forward(x, TRAIN).injected.a!, x.a!), 0);
    assert.deepEqual(adapter.sourcesOf('a'), []);
  });

  it('has attention rows summing to 1 and gates strictly inside (0, 1)', () => {
    const adapter = new CrossModalAdapter(base(['t', 'a', 'v'], { heads: 2 }));
    const out = adapter.forward(representations(['t', 'a', 'v'], 5, 8, 3), EVAL);
    for (const m of ['t', 'a', 'v'] as const) {
      for (const rowSum of tf.sum(out.attention[m]!, 2).dataSync()) assert.ok(Math.abs(rowSum - 1) < 1e-5);
      assert.ok(tf.min(out.gates[m]!).dataSync()[0]! > 0);
      assert.ok(tf.max(out.gates[m]!).dataSync()[0]! < 1);
    }
  });

  it("injects another modality's knowledge into the target, and nothing when the gate is closed", () => {
    const x = representations(['t', 'a', 'v'], 4, 8, 4);
    const changedAudio = { ...x, a: tf.add(x.a!, tf.randomNormal([4, 8], 0, 1, 'float32', 9)) as tf.Tensor2D };
    const open = new CrossModalAdapter(base(['t', 'a', 'v']));
    assert.ok(maxAbsDiff(open.forward(x, EVAL).injected.t!, open.forward(changedAudio, EVAL).injected.t!) > 1e-3);
    // sigmoid(-1e4) is exactly 0 in float32: the gate is shut whatever O_t is.
    const closed = new CrossModalAdapter(base(['t', 'a', 'v'], { gateBiasInit: -1e4 }));
    const before = closed.forward(x, EVAL);
    assert.equal(scalar(tf.max(before.gates.t!)), 0);
    assert.equal(maxAbsDiff(before.injected.t!, closed.forward(changedAudio, EVAL).injected.t!), 0);
    assert.equal(maxAbsDiff(before.injected.t!, x.t!), 0);
  });

  it('is reproducible from its seed, deterministic in eval mode, and gives every variable a gradient on wasm without leaks', () => {
    const adapter = new CrossModalAdapter(base(['t', 'a', 'v'], { heads: 2 }));
    const x = representations(['t', 'a', 'v'], 6, 8, 5);
    assert.equal(maxAbsDiff(adapter.forward(x, EVAL).fused, adapter.forward(x, EVAL).fused), 0);
    const twin = new CrossModalAdapter(base(['t', 'a', 'v'], { heads: 2 }));
    const other = new CrossModalAdapter(base(['t', 'a', 'v'], { heads: 2, seed: 6 }));
    assert.equal(maxAbsDiff(adapter.forward(x, EVAL).fused, twin.forward(x, EVAL).fused), 0);
    assert.ok(maxAbsDiff(adapter.forward(x, EVAL).fused, other.forward(x, EVAL).fused) > 1e-4);
    assert.ok(maxAbsDiff(adapter.forward(x, EVAL).fused, adapter.forward(x, TRAIN).fused) > 1e-4);
    const labels = tf.randomNormal([6]) as tf.Tensor1D;
    const variables = adapter.trainableVariables();
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => mseLoss(labels, adapter.forward(x, TRAIN).prediction), variables);
    for (const variable of variables) {
      assert.ok(tf.tidy(() => scalar(tf.sum(tf.abs(grads[variable.name]!)))) > 0, variable.name);
    }
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before);
  });

  it('names a missing modality and bad head counts', () => {
    const adapter = new CrossModalAdapter(base(['t', 'v']));
    assert.throws(() => adapter.forward({ t: tf.zeros([1, 8]) }, EVAL), /CrossModalAdapter: missing representation for modality "v"/);
    assert.throws(() => new CrossModalAdapter(base(['t'], { heads: 3 })), /dim 8 must be divisible by heads 3/);
  });

  it('fits, within a few hundred Adam steps, a regression that needs cross-modal information', () => {
    const dim = 4;
    // y = O_t[0]·O_a[0] + O_a[1]·O_v[1]: no single modality says anything about y.
    const sample = (seed: number) => {
      const x = representations(['t', 'a', 'v'], 512, dim, seed);
      const column = (m: Modality, j: number) => tf.squeeze(tf.slice(x[m]!, [0, j], [-1, 1]), [1]);
      const y = tf.add(tf.mul(column('t', 0), column('a', 0)), tf.mul(column('a', 1), column('v', 1))) as tf.Tensor1D;
      return { x, y };
    };
    const train = sample(10);
    const test = sample(20);
    const heldOutMse = (modalities: Modality[]) => {
      const adapter = new CrossModalAdapter({ modalities, dim, heads: 2, dropout: 0, fusionDim: 16, mlpHidden: 16, seed: 1 });
      const optimizer = tf.train.adam(0.01);
      for (let step = 0; step < 300; step++) {
        optimizer.minimize(() => mseLoss(train.y, adapter.forward(train.x, TRAIN).prediction), false, adapter.trainableVariables());
      }
      optimizer.dispose();
      const mse = scalar(mseLoss(test.y, adapter.forward(test.x, EVAL).prediction));
      adapter.dispose();
      return mse;
    };
    const variance = scalar(tf.moments(test.y).variance);
    const all = heldOutMse(['t', 'a', 'v']);
    const textOnly = heldOutMse(['t']);
    assert.ok(all < 0.3 * variance, `all modalities: held-out MSE ${all} vs variance ${variance}`);
    assert.ok(textOnly > 0.9 * variance, `text only: held-out MSE ${textOnly} vs variance ${variance}`);
  });
});

describe('mseLoss', () => {
  it('is (1/n)‖y − ŷ‖² and checks shapes', () => {
    assert.ok(Math.abs(scalar(mseLoss(tf.tensor1d([1, 2, 3]), tf.tensor1d([1, 0, 4]))) - 5 / 3) < 1e-6);
    assert.throws(() => mseLoss(tf.tensor1d([1, 2]), tf.tensor1d([1])), /mseLoss: labels \[2\] and predictions \[1\] must both be \[B\]/);
  });
});
