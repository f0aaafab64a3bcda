/**
 * The probe building blocks behind the v2 tables: Has0 and Non0 accuracy, ridge weight variances, environments from
 * ids, pooling sources, and the environment filter on data built by hand where the answer is known.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Split } from '../dataset';
import { FILTER_STATISTICS, environmentsFromIds, fitEnvironmentFilter, heterogeneityLimit, poolSplits, type EnvironmentSplit } from './filter';
import { fitRidgeWithVariances, regressionScores } from './probes';
import { Rng } from './rng';

test('Has0 counts a 0 label as positive over every sample; Non0 leaves the 0 labels out', () => {
  const targets = [0.5, 0, -0.2, 0, -1, 0.3];
  const predictions = [0.1, 0.2, 0.1, -0.3, -0.5, -0.1];
  // Has0: (p ≥ 0) vs (t ≥ 0) → agree at 0, 1, 4 → 3 of 6. Non0: indices 0, 2, 4, 5 → agree at 0, 4 → 2 of 4.
  const scores = regressionScores(predictions, targets);
  assert.equal(scores.has0Acc2, 3 / 6);
  assert.equal(scores.non0Acc2, 2 / 4);
  assert.ok(Number.isNaN(regressionScores([1, -1], [0, 0]).non0Acc2));
});

test('ridge weight variances match the spread of the weights over repeated draws', () => {
  const rng = new Rng(7);
  const rows = 60;
  const x = { rows, cols: 2, data: Float64Array.from({ length: rows * 2 }, () => rng.normal()) };
  const weights: number[][] = [];
  let predicted = [0, 0];
  for (let draw = 0; draw < 600; draw++) {
    const y = Float64Array.from({ length: rows }, (_, i) => 2 * x.data[i * 2]! - x.data[i * 2 + 1]! + 0.5 * rng.normal());
    const fit = fitRidgeWithVariances(x, y, 1e-6);
    weights.push([...fit.weights]);
    predicted = predicted.map((sum, j) => sum + fit.variances[j]! / 600);
  }
  for (const j of [0, 1]) {
    const mean = weights.reduce((sum, w) => sum + w[j]!, 0) / weights.length;
    const empirical = weights.reduce((sum, w) => sum + (w[j]! - mean) ** 2, 0) / (weights.length - 1);
    assert.ok(Math.abs(predicted[j]! / empirical - 1) < 0.15, `weight ${j}: predicted ${predicted[j]} vs empirical ${empirical}`);
  }
});

test('environments come from the group part of <group>$_$<index> ids; other ids are their own group', () => {
  assert.deepEqual([...environmentsFromIds(['a$_$1', 'b$_$1', 'a$_$2', 'c', 'c', 'b$_$0'])], [0, 1, 0, 2, 2, 1]);
});

test('the heterogeneity limit is the 0.999 quantile of chi-square over its degrees of freedom', () => {
  // Exact χ² quantiles: df 1 → 10.828, df 7 → 24.322, df 15 → 37.697.
  for (const [environments, exact] of [[2, 10.828], [8, 24.322 / 7], [16, 37.697 / 15]] as const) {
    assert.ok(Math.abs(heterogeneityLimit(environments) / exact - 1) < 0.04, `${environments} environments`);
  }
});

/** One-step splits whose channel 0 relates to the label alike in both environments and channel 1 flips sign. */
function twoEnvironments(seed: number, perEnvironment: number): { train: EnvironmentSplit; valid: EnvironmentSplit } {
  const rng = new Rng(seed);
  const make = (): EnvironmentSplit => {
    const size = 2 * perEnvironment;
    const data = new Float32Array(size * 4);
    const target = new Float64Array(size);
    const environment = Int32Array.from({ length: size }, (_, i) => (i < perEnvironment ? 0 : 1));
    for (let i = 0; i < size; i++) {
      const s = rng.normal();
      const sign = environment[i] === 0 ? 1 : -1;
      data.set([s + rng.normal(), sign * s + 0.5 * rng.normal(), rng.normal(), rng.normal()], i * 4);
      target[i] = s;
    }
    const split: Split = {
      size,
      features: { t: { data, shape: [size, 1, 4], lengths: new Int32Array(size).fill(1) } },
      labels: Float32Array.from(target),
      ids: Array.from({ length: size }, (_, i) => `e${environment[i]}$_$${i}`),
    };
    return { split, target, environment };
  };
  return { train: make(), valid: make() };
}

test('the environment filter drops the channel whose relation to the label changes, and only that one', () => {
  const { train, valid } = twoEnvironments(3, 300);
  for (const statistic of FILTER_STATISTICS) {
    const filter = fitEnvironmentFilter(train, valid, { statistic, modalities: ['t'] });
    assert.deepEqual(filter.dropped.map((s) => s.channel), [1], statistic);
    assert.deepEqual(filter.kept.t, [0, 2, 3], statistic);
    const [stable, flipping] = filter.spreads;
    assert.ok(flipping!.heterogeneity > 10 * stable!.heterogeneity, `${statistic}: ${flipping!.heterogeneity} vs ${stable!.heterogeneity}`);
  }
  assert.throws(() => fitEnvironmentFilter({ ...train, environment: new Int32Array(train.split.size) }, valid), /at least two environments/);
});

test('pooling sources concatenates them and numbers the environments by source', () => {
  const { train } = twoEnvironments(5, 3);
  const other = twoEnvironments(6, 2).train;
  const pooled = poolSplits([train, other]);
  assert.equal(pooled.split.size, 10);
  assert.deepEqual([...pooled.environment], [0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
  assert.deepEqual(pooled.split.ids.slice(5, 7), ['0/e1$_$5', '1/e0$_$0']);
  assert.deepEqual(Array.from(pooled.target), [...Array.from(train.target), ...Array.from(other.target)]);
  assert.deepEqual(pooled.split.features.t!.data, Float32Array.from([...train.split.features.t!.data, ...other.split.features.t!.data]));
  const narrower: Split = { ...other.split, features: { t: { ...other.split.features.t!, shape: [4, 1, 3] } } };
  assert.throws(() => poolSplits([train, { split: narrower, target: other.target }]), /modality t is missing or differs in shape/);
});
