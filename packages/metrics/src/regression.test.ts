import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pearson } from './primitives';
import {
  HEADLINE_METRICS,
  SIMS_BIN_EDGES,
  evalMosiMosei,
  evalRegression,
  evalSims,
  metricFamilyOfRecord,
  metricKeysFor,
  simsClass,
  type MetricFamily,
} from './regression';

const close = (actual: number, expected: number, tolerance = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);

describe('evalMosiMosei', () => {
  // Every value is exact in float32, so the hand results below are exact.
  const preds = [0.5, 1.5, 2.5, -0.5, 1.0, -2.5, 3.5, -1.0];
  const truth = [0.0, 2.0, 2.0, 0.0, -1.0, -3.5, 2.5, -1.5];

  it('rounds ties half to even for Mult_acc_7 and Mult_acc_5', () => {
    const metrics = evalMosiMosei(preds, truth);
    // a7: clip(preds, ±3) = [0.5, 1.5, 2.5, -0.5, 1, -2.5, 3, -1] → round [0, 2, 2, -0, 1, -2, 3, -1]
    //     clip(truth, ±3) = [0, 2, 2, 0, -1, -3, 2.5, -1.5]       → round [0, 2, 2, 0, -1, -3, 2, -2]
    //     equal at 0..3 → 4/8. (Rounding half away from zero would give 2/8: 0.5 → 1, 2.5 → 3.)
    assert.equal(metrics.Mult_acc_7, 0.5);
    // a5: clip(preds, ±2) = [0.5, 1.5, 2, -0.5, 1, -2, 2, -1] → round [0, 2, 2, -0, 1, -2, 2, -1]
    //     clip(truth, ±2) = [0, 2, 2, 0, -1, -2, 2, -1.5]     → round [0, 2, 2, 0, -1, -2, 2, -2]
    //     mismatches at 4 and 7 → 6/8.
    assert.equal(metrics.Mult_acc_5, 0.75);
  });

  it('computes MAE and Corr on the unclipped values', () => {
    const metrics = evalMosiMosei(preds, truth);
    // |preds - truth| = [0.5, 0.5, 0.5, 0.5, 2, 1, 1, 0.5] → 6.5 / 8
    assert.equal(metrics.MAE, 0.8125);
    // Σp = 5, Σt = 0.5, Σpt = 26, Σp² = 29.5, Σt² = 29.75, n = 8
    // Sxy = 26 - 5·0.5/8 = 25.6875, Sxx = 29.5 - 25/8 = 26.375, Syy = 29.75 - 0.25/8 = 29.71875
    close(metrics.Corr, 25.6875 / Math.sqrt(26.375 * 29.71875));
  });

  it('scores Non0 without zero labels and Has0 with them', () => {
    const metrics = evalMosiMosei(preds, truth);
    // Non0 keeps indices 1, 2, 4, 5, 6, 7:
    //   truth > 0 = [T, T, F, F, T, F], preds > 0 = [T, T, T, F, T, F] → 5/6
    //   class T: tp 3, fp 1, fn 0 → 6/7; class F: tp 2, fp 0, fn 1 → 4/5; supports 3 and 3 → (6/7 + 4/5) / 2 = 29/35
    close(metrics.Non0_acc_2, 5 / 6);
    close(metrics.Non0_F1_score, 29 / 35);
    // Has0: truth >= 0 = [T, T, T, T, F, F, T, F], preds >= 0 = [T, T, T, F, T, F, T, F] → 6/8
    //   class T: tp 4, fp 1, fn 1 → 0.8 (support 5); class F: tp 2, fp 1, fn 1 → 2/3 (support 3)
    //   weighted = (5·0.8 + 3·2/3) / 8 = 0.75
    assert.equal(metrics.Has0_acc_2, 0.75);
    close(metrics.Has0_F1_score, 0.75);
  });

  it('treats exact zero labels (and -0) as excluded from Non0 and positive in Has0; prediction 0 likewise', () => {
    const metrics = evalMosiMosei([0.3, -0.2, 0, 0.4, 0], [0, -0, 2, -1, 1]);
    // Non0 keeps indices 2, 3, 4: truth > 0 = [T, F, T], preds > 0 = [F, T, F] → 0/3, and both classes F1 0.
    assert.equal(metrics.Non0_acc_2, 0);
    assert.equal(metrics.Non0_F1_score, 0);
    // Has0: truth >= 0 = [T, T, T, F, T], preds >= 0 = [T, F, T, T, T] → 3/5
    //   class T: tp 3, fp 1, fn 1 → 0.75 (support 4); class F: tp 0 → 0 (support 1) → (4·0.75) / 5 = 0.6
    close(metrics.Has0_acc_2, 0.6);
    close(metrics.Has0_F1_score, 0.6);
  });

  it('gives NaN Non0 scores when every label is zero', () => {
    const metrics = evalMosiMosei([0.5, -0.5], [0, 0]);
    assert.ok(Number.isNaN(metrics.Non0_acc_2));
    assert.ok(Number.isNaN(metrics.Non0_F1_score));
    assert.equal(metrics.Has0_acc_2, 0.5);
  });

  it('clips before rounding', () => {
    const metrics = evalMosiMosei([5, -5, 2.6], [3, -3, 2.4]);
    // a7: preds → [3, -3, 3] vs truth [3, -3, 2] → 2/3 (unclipped, 5 and -5 would miss too)
    close(metrics.Mult_acc_7, 2 / 3);
    // a5: everything clips to [2, -2, 2] on both sides → 1
    assert.equal(metrics.Mult_acc_5, 1);
    // MAE is unclipped: (2 + 2 + 0.2) / 3, up to float32 rounding of 2.6 and 2.4
    close(metrics.MAE, 4.2 / 3, 1e-6);
  });

  it('decides ties on the float32 value, as MMSA does with its float32 tensors', () => {
    // 1.5 - 1e-12 is 1.5 in float32 → rounds to 2 and matches the label 2.
    assert.equal(evalMosiMosei([1.5 - 1e-12, 0], [2, 0]).Mult_acc_7, 1);
  });

  it('rejects bad input with one clear message', () => {
    assert.throws(() => evalMosiMosei([1, 2], [1]), /^Error: evalMosiMosei: preds has length 2 but truth has length 1$/);
    assert.throws(() => evalMosiMosei([], []), /evalMosiMosei: preds and truth are empty/);
    assert.throws(() => evalMosiMosei([1, 2], [1, Number.NaN]), /evalMosiMosei: truth\[1\] is NaN/);
    assert.throws(() => evalMosiMosei([1e39], [1]), /evalMosiMosei: preds\[0\] = 1e\+39 overflows float32/);
  });
});

describe('SIMS bins', () => {
  it('puts each edge value in the lower class: class i is edges[i] < x <= edges[i + 1]', () => {
    const f32 = Math.fround;
    assert.equal(simsClass(f32(0), SIMS_BIN_EDGES[2]), 0);
    assert.equal(simsClass(f32(1e-6), SIMS_BIN_EDGES[2]), 1);
    assert.equal(simsClass(f32(-1), SIMS_BIN_EDGES[3]), 0);
    assert.equal(simsClass(f32(-0.1), SIMS_BIN_EDGES[3]), 0);
    assert.equal(simsClass(f32(0.1), SIMS_BIN_EDGES[3]), 1);
    assert.equal(simsClass(f32(1), SIMS_BIN_EDGES[3]), 2);
    assert.deepEqual(
      [-1, -0.7, -0.69, -0.1, 0, 0.1, 0.7, 0.71, 1].map((x) => simsClass(f32(x), SIMS_BIN_EDGES[5])),
      [0, 0, 1, 1, 2, 2, 3, 4, 4],
    );
  });
});

describe('evalSims', () => {
  it('matches a hand-worked example', () => {
    const preds = [-0.1, 0.1, 0.0, 0.7, -0.7, 1.5, -2, 0.05];
    const truth = [-0.2, 0.0, -0.05, 0.8, -0.6, 1.0, -0.9, 0.2];
    const metrics = evalSims(preds, truth);
    // clipped preds = [-0.1, 0.1, 0, 0.7, -0.7, 1, -1, 0.05]; truth is already inside [-1, 1].
    // 2 classes: preds [0, 1, 0, 1, 0, 1, 0, 1], truth [0, 0, 0, 1, 0, 1, 0, 1] → 7/8
    assert.equal(metrics.Mult_acc_2, 7 / 8);
    // 3 classes: preds [0, 1, 1, 2, 0, 2, 0, 1], truth [0, 1, 1, 2, 0, 2, 0, 2] → 7/8
    assert.equal(metrics.Mult_acc_3, 7 / 8);
    // 5 classes: preds [1, 2, 2, 3, 0, 4, 0, 2], truth [1, 2, 2, 4, 1, 4, 0, 3] → 5/8
    assert.equal(metrics.Mult_acc_5, 5 / 8);
    // F1 on 2 classes: class 0 tp 4, fp 0, fn 1 → 8/9 (support 5); class 1 tp 3, fp 1, fn 0 → 6/7 (support 3)
    //   (5·8/9 + 3·6/7) / 8 = 221/252
    close(metrics.F1_score, 221 / 252);
    // |clipped preds - truth| = [0.1, 0.1, 0.05, 0.1, 0.1, 0, 0.1, 0.15] → 0.7 / 8 (float32 inputs → 1e-6)
    close(metrics.MAE, 0.0875, 1e-6);
    // Corr is taken on the clipped predictions.
    const clipped = [-0.1, 0.1, 0, 0.7, -0.7, 1, -1, 0.05];
    close(metrics.Corr, pearson(Float32Array.from(clipped), Float32Array.from(truth)));
    assert.ok(Math.abs(metrics.Corr - pearson(preds, truth)) > 1e-3);
  });

  it('clips labels as well as predictions', () => {
    // truth 1.8 clips to 1 → class 2 of 3, equal to the prediction 0.9; MAE |0.9 - 1| and |-1 - -1| → 0.05
    const metrics = evalSims([0.9, -1], [1.8, -3]);
    assert.equal(metrics.Mult_acc_3, 1);
    close(metrics.MAE, 0.05, 1e-6);
  });

  it('compares with the bin edges in float32, as numpy does on MMSA tensors', () => {
    // 0.1 + 1e-12 is float32(0.1): the middle class, although it exceeds 0.1 in float64.
    assert.equal(evalSims([0.1 + 1e-12], [0]).Mult_acc_3, 1);
    // 0.1 + 1e-7 is above float32(0.1): the upper class.
    assert.equal(evalSims([0.1 + 1e-7], [0]).Mult_acc_3, 0);
  });

  it('rejects bad input with one clear message', () => {
    assert.throws(() => evalSims([0.1], [0.1, 0.2]), /^Error: evalSims: preds has length 1 but truth has length 2$/);
    assert.throws(() => evalSims([Infinity], [0]), /evalSims: preds\[0\] is Infinity/);
  });
});

describe('evalRegression dispatch', () => {
  const preds = [0.4, -1.2, 2.1];
  const truth = [0.2, -0.9, 1.7];

  it('picks the rules by metric family, and refuses a domain name (the family is not read from a name)', () => {
    assert.deepEqual(evalRegression('sims', preds, truth), evalSims(preds, truth));
    assert.deepEqual(evalRegression('mosi', preds, truth), evalMosiMosei(preds, truth));
    for (const name of ['SIMS', 'mosei', 'custom', 'some-new-dataset']) {
      assert.throws(() => evalRegression(name as MetricFamily, preds, truth), new RegExp(`evalRegression: unknown metric family "${name}"; expected 'mosi'`));
    }
  });

  it('returns exactly metricKeysFor(family), in order', () => {
    for (const family of ['sims', 'mosi'] as const) {
      assert.deepEqual(Object.keys(evalRegression(family, preds, truth)), [...metricKeysFor(family)]);
    }
    assert.deepEqual(metricKeysFor('sims'), ['Mult_acc_2', 'Mult_acc_3', 'Mult_acc_5', 'F1_score', 'MAE', 'Corr']);
  });

  it('reads the family back from a recorded metric set', () => {
    assert.equal(metricFamilyOfRecord(evalRegression('sims', preds, truth)), 'sims');
    assert.equal(metricFamilyOfRecord(evalRegression('mosi', preds, truth)), 'mosi');
    assert.equal(metricFamilyOfRecord({ MAE: 0.5 }), undefined);
    assert.equal(metricFamilyOfRecord({ Has0_acc_2: 0.5, Mult_acc_3: 0.4 }), undefined, 'both markers: ambiguous');
  });

  it('maps every headline column to a metric the family produces', () => {
    for (const [family, columns] of Object.entries(HEADLINE_METRICS)) {
      for (const metric of Object.values(columns)) assert.ok(metricKeysFor(family as MetricFamily).includes(metric), metric);
    }
    assert.equal(HEADLINE_METRICS.mosi.ACC, 'Has0_acc_2');
    assert.equal(HEADLINE_METRICS.sims.F1, 'F1_score');
  });
});
