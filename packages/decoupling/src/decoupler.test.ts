import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { scalar } from '@midg/nn/testing';
import type { ModalityTensors } from '@midg/nn';
import { EntropyDecoupler, klBound, type EntropyDecouplerConfig } from './decoupler';

before(async () => {
  await useBackend('wasm');
});

const EVAL = { training: false };
const TRAIN = { training: true };

function features(batch: number, dim: number, seed: number): ModalityTensors<tf.Tensor2D> {
  return {
    t: tf.randomNormal([batch, dim], 0, 1, 'float32', seed) as tf.Tensor2D,
    a: tf.randomNormal([batch, dim], 0, 1, 'float32', seed + 1) as tf.Tensor2D,
    v: tf.randomNormal([batch, dim], 0, 1, 'float32', seed + 2) as tf.Tensor2D,
  };
}

/** Constant-over-the-batch Gaussians [B, z] with the given per-dim mean and log-variance. */
function constant(batch: number, mean: number[], logVar: number[]) {
  return { mean: tf.tile(tf.tensor2d([mean]), [batch, 1]) as tf.Tensor2D, logVar: tf.tile(tf.tensor2d([logVar]), [batch, 1]) as tf.Tensor2D };
}

describe('EntropyDecoupler', () => {
  const base: EntropyDecouplerConfig = { modalities: ['t', 'a', 'v'], inputDim: 6, latentDim: 4, seed: 3 };

  it('returns per-modality in/out-domain representations and the parts of its estimator', () => {
    const kl = new EntropyDecoupler(base).forward(features(5, 6, 1), TRAIN);
    for (const m of ['t', 'a', 'v'] as const) {
      assert.deepEqual(kl.inDomain[m]!.shape, [5, 4]);
      assert.deepEqual(kl.outDomain[m]!.shape, [5, 4]);
    }
    assert.deepEqual(kl.loss.shape, []);
    assert.deepEqual(Object.keys(kl.parts).sort(), ['kl', 'recon']);
    assert.ok(Math.abs(scalar(kl.loss) - scalar(kl.parts.kl!) - scalar(kl.parts.recon)) < 1e-4);

    const club = new EntropyDecoupler({ ...base, modalities: ['a'], estimator: 'club' }).forward({ a: features(5, 6, 1).a }, TRAIN);
    assert.deepEqual(Object.keys(club.inDomain), ['a']);
    assert.deepEqual(Object.keys(club.parts).sort(), ['club', 'recon']);
  });

  it('is reproducible from its seed, deterministic in eval mode (means) and stochastic in training (samples)', () => {
    const decoupler = new EntropyDecoupler(base);
    const x = features(4, 6, 2);
    const twin = new EntropyDecoupler(base).forward(x, TRAIN);
    assert.deepEqual(new EntropyDecoupler(base).forward(x, TRAIN).outDomain.a!.arraySync(), twin.outDomain.a!.arraySync());
    const [e1, e2] = [decoupler.forward(x, EVAL), decoupler.forward(x, EVAL)];
    const [t1, t2] = [decoupler.forward(x, TRAIN), decoupler.forward(x, TRAIN)];
    assert.deepEqual(e1.inDomain.t!.arraySync(), e2.inDomain.t!.arraySync());
    assert.deepEqual(e1.outDomain.v!.arraySync(), e2.outDomain.v!.arraySync());
    assert.equal(scalar(e1.loss), scalar(e2.loss));
    assert.notDeepEqual(t1.inDomain.t!.arraySync(), t2.inDomain.t!.arraySync());
    const posterior = decoupler.posteriors('t', x.t!);
    assert.deepEqual(e1.inDomain.t!.arraySync(), posterior.inDomain.mean.arraySync());
  });

  it('reports as kl the batch mean over modalities of klBound on its own posteriors', () => {
    for (const klPrior of ['other-branch', 'standard-normal'] as const) {
      const decoupler = new EntropyDecoupler({ ...base, klPrior });
      const x = features(6, 6, 4);
      const expected = decoupler.modalities.map((m) => scalar(klBound(decoupler.posteriors(m, x[m]!), klPrior)));
      const mean = expected.reduce((s, v) => s + v, 0) / expected.length;
      assert.ok(Math.abs(scalar(decoupler.forward(x, EVAL).parts.kl!) - mean) < 1e-4);
      assert.ok(mean > 0);
    }
  });

  it('gives every encoder and decoder variable a gradient on wasm, and leaks no tensors', () => {
    for (const estimator of ['kl', 'club'] as const) {
      const decoupler = new EntropyDecoupler({ ...base, estimator });
      const x = features(8, 6, 5);
      const variables = decoupler.trainableVariables();
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => decoupler.forward(x, TRAIN).loss, variables);
      for (const variable of variables) {
        assert.ok(tf.tidy(() => scalar(tf.sum(tf.abs(grads[variable.name]!)))) > 0, `${estimator}: ${variable.name}`);
      }
      tf.dispose([value, ...Object.values(grads)]);
      assert.equal(tf.memory().numTensors, before);
    }
  });

  it('keeps the CLUB net out of trainableVariables and only allows clubLearningLoss for club', () => {
    const kl = new EntropyDecoupler(base);
    const club = new EntropyDecoupler({ ...base, estimator: 'club' });
    assert.equal(kl.clubVariables().length, 0);
    assert.equal(club.trainableVariables().length, kl.trainableVariables().length);
    assert.ok(club.clubVariables().length > 0);
    const ids = new Set(club.trainableVariables().map((v) => v.id));
    assert.ok(club.clubVariables().every((v) => !ids.has(v.id)));
    const out = kl.forward(features(3, 6, 1), TRAIN);
    assert.throws(() => kl.clubLearningLoss(out.inDomain, out.outDomain), /clubLearningLoss needs estimator 'club'/);
  });

  it('lowers its loss over a few hundred Adam steps on random data (kl and club)', () => {
    for (const estimator of ['kl', 'club'] as const) {
      const decoupler = new EntropyDecoupler({ ...base, estimator, modalities: ['t', 'v'] });
      const x = features(64, 6, 6);
      const optimizer = tf.train.adam(0.01);
      const clubOptimizer = tf.train.adam(0.01);
      const evalLoss = () => tf.tidy(() => scalar(decoupler.forward(x, EVAL).loss));
      const initial = evalLoss();
      for (let step = 0; step < 250; step++) {
        optimizer.minimize(() => decoupler.forward(x, TRAIN).loss, false, decoupler.trainableVariables());
        if (estimator === 'club') {
          clubOptimizer.minimize(
            () => {
              const { inDomain, outDomain } = decoupler.forward(x, TRAIN);
              return decoupler.clubLearningLoss(inDomain, outDomain);
            },
            false,
            decoupler.clubVariables(),
          );
        }
      }
      const final = evalLoss();
      assert.ok(final < 0.5 * initial, `${estimator}: ${initial} → ${final}`);
      optimizer.dispose();
      clubOptimizer.dispose();
      decoupler.dispose();
    }
  });

  it('names a missing modality or a wrong width', () => {
    const decoupler = new EntropyDecoupler(base);
    const x = features(2, 6, 1);
    assert.throws(() => decoupler.forward({ t: x.t, a: x.a }, EVAL), /EntropyDecoupler: missing features for modality "v"/);
    assert.throws(() => decoupler.forward({ ...x, a: tf.zeros([2, 5]) }, EVAL), /EntropyDecoupler input "a": expected shape \[B, 6\], got \[2, 5\]/);
  });
});

describe('klBound', () => {
  it('is 0 when each posterior coincides with the other branch aggregate, positive otherwise', () => {
    const same = { inDomain: constant(5, [0.5, -1], [-1, 0.3]), outDomain: constant(5, [0.5, -1], [-1, 0.3]) };
    assert.ok(Math.abs(scalar(klBound(same, 'other-branch'))) < 1e-6);
    const shifted = { inDomain: constant(5, [1.5, -1], [-1, 0.3]), outDomain: constant(5, [0.5, -1], [-1, 0.3]) };
    assert.ok(scalar(klBound(shifted, 'other-branch')) > 0.1);
    // Same means per branch but varying over the batch: the aggregate is broader than each posterior.
    const varying = tf.tensor2d([[1, 0], [-1, 0]]);
    const spread = { mean: varying, logVar: tf.zeros([2, 2]) as tf.Tensor2D };
    assert.ok(scalar(klBound({ inDomain: spread, outDomain: spread }, 'other-branch')) > 0.1);
  });

  it('matches the hand-computed value: N(1,1) vs N(0,1) in one dim gives 0.5 + 0.5', () => {
    const posteriors = { inDomain: constant(3, [1], [0]), outDomain: constant(3, [0], [0]) };
    assert.ok(Math.abs(scalar(klBound(posteriors, 'other-branch')) - 1) < 1e-5);
    assert.ok(Math.abs(scalar(klBound(posteriors, 'standard-normal')) - 0.5) < 1e-5);
    const standard = { inDomain: constant(3, [0], [0]), outDomain: constant(3, [0], [0]) };
    assert.ok(Math.abs(scalar(klBound(standard, 'standard-normal'))) < 1e-6);
  });
});
