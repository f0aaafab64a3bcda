/** The S2LIF-specific behaviour: straight-through masks, the phases, sparsity, conditioning, padding, L = 1. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { generateSyntheticDomain, parseModalities, type Dataset } from '@midg/features';
import { GroupOptimizer, dataInfoOf, disposeBatch, makeBatch, registerModels, resolveRun, trainStep, type Batch, type TrainingView } from '@midg/trainer';
import type { ConfigRecord } from '@midg/trainer';
import { s2lifDefinition } from './index';
import { straightThrough } from './masks';
import type { S2lifModel } from './model';

before(async () => {
  await useBackend('wasm');
});
registerModels([s2lifDefinition]);

const SMALL = s2lifDefinition.testOverrides;
let dataset: Dataset | undefined;
const rows = (count: number, offset = 0) => Int32Array.from({ length: count }, (_, i) => i + offset);

function build(overrides: ConfigRecord = {}, seed = 5) {
  dataset ??= generateSyntheticDomain('mosi', { preset: 'tiny' });
  const { config, training } = resolveRun({ model: 's2lif', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed, backend: 'wasm', overrides: { ...SMALL, ...overrides } });
  const modalities = parseModalities(training.modalities);
  const model = s2lifDefinition.create(config, { ...dataInfoOf(dataset), modalities }, seed) as S2lifModel;
  const view: TrainingView = { split: dataset.splits.train, modalities, labelScale: 3 };
  const optimizer = new GroupOptimizer(model, training);
  const step = (i: number, epoch: number) => tf.dispose(Object.values(trainStep(model, optimizer, view, rows(16, (i * 16) % 128), { step: i, epoch, progress: 0 }, training)));
  const done = () => {
    optimizer.dispose();
    model.dispose();
  };
  return { model, view, step, done, textEpochs: config.textEpochs as number };
}

const values = (t: tf.Tensor) => Array.from(t.dataSync());
const snapshot = (vars: tf.Variable[]) => vars.map(values);

function gradsOf(model: S2lifModel, batch: Batch, epoch: number): Map<tf.Variable, number[] | undefined> {
  const vars = model.trainableVariables();
  let out = new Map<tf.Variable, number[] | undefined>();
  tf.tidy(() => {
    const { grads } = tf.variableGrads(() => model.losses(batch, { step: 0, epoch, progress: 0 }).total, vars);
    out = new Map(vars.map((v) => [v, grads[v.name] ? values(grads[v.name]!) : undefined] as const));
  });
  return out;
}

const isZero = (g: number[] | undefined) => g === undefined || g.every((x) => x === 0);

describe('S2LIF', () => {
  it('straightThrough: forward exactly 0/1 (on iff p > 0.5), gradient of p passed through unchanged', () => {
    const p = tf.tensor1d([0.2, 0.5, 0.5000001, 0.9]);
    const c = tf.tensor1d([3, -2, 5, 7]);
    assert.deepEqual(values(straightThrough(p)), [0, 0, 1, 1]);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(straightThrough(x), c)))(p);
    assert.deepEqual(values(g), [3, -2, 5, 7]);
    tf.dispose([p, c, g]);
  });

  it('forward masks are exactly 0/1 and θ_t still gets a gradient', () => {
    const { model, view, done } = build();
    try {
      const theta = model.textMaskLogits();
      const d = theta.shape[0]!;
      // Half the features start dropped: the gradient must reach θ for kept and dropped ones alike.
      tf.tidy(() => theta.assign(tf.tensor1d(Array.from({ length: d }, (_, i) => (i % 2 === 0 ? 1 : -1)))));
      const batch = makeBatch(view, rows(16));
      const out = model.forward(batch, true);
      assert.deepEqual(values(out.textMask), Array.from({ length: d }, (_, i) => (i % 2 === 0 ? 1 : 0)));
      assert.ok(values(out.masks.v!).every((x) => x === 0 || x === 1), 'video mask is 0/1');
      const grad = gradsOf(model, batch, 1).get(theta);
      assert.ok(grad && grad.every(Number.isFinite), 'θ_t has a gradient');
      assert.ok(grad.filter((_, i) => i % 2 === 1).some((x) => x !== 0), 'dropped features get a gradient too');
      tf.dispose(Object.values(out).flatMap((x) => (x instanceof tf.Tensor ? [x] : Object.values(x))));
      disposeBatch(batch);
    } finally {
      done();
    }
  });

  it('text phase: video variables get no gradient; video phase: the text branch gets none and stays bit-for-bit', () => {
    const { model, view, step, done, textEpochs } = build({ textEpochs: 2 });
    try {
      const batch = makeBatch(view, rows(16));
      const textPhase = gradsOf(model, batch, 1);
      assert.deepEqual(model.lossWeights(), { textMse: 1 });
      assert.ok(model.videoVariables().every((v) => textPhase.get(v) === undefined), 'no video gradient in the text phase');
      assert.ok(model.textVariables().some((v) => !isZero(textPhase.get(v))), 'the text branch trains');
      const videoPhase = gradsOf(model, batch, textEpochs + 1);
      assert.deepEqual(model.lossWeights(), { fusedMse: 1, density: 0.1 });
      assert.ok(model.textVariables().every((v) => isZero(videoPhase.get(v))), 'text gradients are exactly 0 in the video phase');
      assert.ok(model.videoVariables().some((v) => !isZero(videoPhase.get(v))), 'the video branch trains');
      disposeBatch(batch);

      // Adam has momentum on the text branch after the text phase; the frozen branch must still not move.
      step(0, 1);
      step(1, 2);
      const text = snapshot(model.textVariables());
      const video = snapshot(model.videoVariables());
      const counts: number[] = [];
      for (let i = 2; i < 5; i++) {
        step(i, textEpochs + 1);
        counts.push(tf.memory().numTensors);
      }
      assert.deepEqual(snapshot(model.textVariables()), text, 'text branch unchanged');
      assert.notDeepEqual(snapshot(model.videoVariables()), video, 'video branch moved');
      assert.equal(counts[2], counts[1], `no leaks in the video phase: ${counts.join(', ')}`);
    } finally {
      done();
    }
  });

  it('a larger λ_s lowers the video-mask density', () => {
    const density = (sparsityWeight: number): number => {
      const { model, view, step, done, textEpochs } = build({ sparsityWeight, learningRate: 0.02 }, 9);
      try {
        for (let i = 0; i < 20; i++) step(i, textEpochs + 1);
        const batch = makeBatch(view, rows(64, 64));
        const out = model.forward(batch, false);
        const result = tf.tidy(() => tf.mean(out.masks.v!).dataSync()[0]!);
        tf.dispose(Object.values(out).flatMap((x) => (x instanceof tf.Tensor ? [x] : Object.values(x))));
        disposeBatch(batch);
        return result;
      } finally {
        done();
      }
    };
    const loose = density(0);
    const sparse = density(2);
    assert.ok(sparse < loose, `density with λ_s = 2 (${sparse}) < with λ_s = 0 (${loose})`);
  });

  it('changing x_tᶜ changes m_v', () => {
    const { model, view, done } = build();
    try {
      tf.tidy(() => {
        const batch = makeBatch(view, rows(16));
        const encoded = model.encode(batch, 'v');
        const maskedText = model.forward(batch, false).maskedText;
        const other = tf.mul(tf.randomNormal(maskedText.shape, 0, 1, 'float32', 4), 3) as tf.Tensor2D;
        const base = values(model.otherMask('v', encoded, maskedText));
        assert.deepEqual(values(model.otherMask('v', encoded, maskedText)), base, 'deterministic');
        assert.notDeepEqual(values(model.otherMask('v', encoded, other)), base);
        disposeBatch(batch);
      });
    } finally {
      done();
    }
  });

  it('padded steps change nothing', () => {
    const { model, view, done } = build({ modalities: 'tav' });
    try {
      tf.tidy(() => {
        const batch = makeBatch(view, rows(16));
        const padded = (['t', 'a', 'v'] as const).reduce((n, m) => n + values(batch.masks[m]!).filter((x) => x === 0).length, 0);
        assert.ok(padded > 0, 'the batch has padded steps');
        const features = { ...batch.features };
        for (const m of ['t', 'a', 'v'] as const) {
          const pad = tf.expandDims(tf.sub(1, batch.masks[m]!), 2);
          features[m] = tf.add(batch.features[m]!, tf.mul(tf.randomNormal(batch.features[m]!.shape, 0, 10, 'float32', 2), pad)) as tf.Tensor3D;
        }
        const a = values(model.predict(batch));
        const b = values(model.predict({ ...batch, features }));
        a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-5, `row ${i}: ${x} vs ${b[i]}`));
        disposeBatch(batch);
      });
    } finally {
      done();
    }
  });

  it('runs on utterance vectors (L = 1) in both phases', () => {
    const { config } = resolveRun({ model: 's2lif', source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed: 1, backend: 'wasm', overrides: SMALL });
    const dims = { t: 6, v: 5 };
    const model = s2lifDefinition.create(config, { modalities: ['t', 'v'], dims, seqLens: { t: 1, v: 1 }, sourceCount: 1, trainSize: 4 }, 1) as S2lifModel;
    try {
      tf.tidy(() => {
        const batch: Batch = {
          features: { t: tf.randomNormal([4, 1, 6], 0, 1, 'float32', 1) as tf.Tensor3D, v: tf.randomNormal([4, 1, 5], 0, 1, 'float32', 2) as tf.Tensor3D },
          masks: { t: tf.ones([4, 1]) as tf.Tensor2D, v: tf.ones([4, 1]) as tf.Tensor2D },
          labels: tf.tensor1d([0.1, -0.5, 0.9, 0]),
          sourceIds: tf.zeros([4], 'int32') as tf.Tensor1D,
          indices: rows(4),
          groupIds: new Int32Array(4),
        };
        for (const epoch of [1, 2]) assert.ok(Number.isFinite(model.losses(batch, { step: 0, epoch, progress: 0 }).total.dataSync()[0]!));
        assert.ok(values(model.predict(batch)).every(Number.isFinite));
      });
    } finally {
      model.dispose();
    }
  });
});
