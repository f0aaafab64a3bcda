import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAJORITY_METRIC, headlineAccClasses, majorityAccuracy, withMajority } from './majority';
import { evalMosiMosei, evalRegression, evalSims } from './regression';

describe('majority-class ACC', () => {
  // The case: a three-class −1/0/+1 target, 10 negative, 70 neutral, 20 positive.
  const threeClass = [...Array(10).fill(-1), ...Array(70).fill(0), ...Array(20).fill(1)];

  it('SIMS family: Mult_acc_2 puts 0 with the negatives, so "always not positive" scores 80 %', () => {
    assert.equal(majorityAccuracy('sims', threeClass), 0.8);
    // The constant predictor scores exactly that, and MAE flatters it too; Mult_acc_3 and Corr do not.
    const constant = evalSims(threeClass.map(() => -0.05), threeClass);
    assert.equal(constant.Mult_acc_2, 0.8);
    assert.equal(constant.Mult_acc_3, 0.7);
    assert.ok(Number.isNaN(constant.Corr), 'a constant has no correlation');
  });

  it('MOSI family: Has0_acc_2 counts label 0 as positive', () => {
    assert.equal(majorityAccuracy('mosi', threeClass), 0.9);
    assert.equal(evalMosiMosei(threeClass.map(() => 0), threeClass).Has0_acc_2, 0.9);
    // Hand case: labels -3, -1.5, 0, 0.2, 2.4 → non-negative 3 of 5.
    assert.equal(majorityAccuracy('mosi', [-3, -1.5, 0, 0.2, 2.4]), 0.6);
    // A negative majority: -2, -0.4, 1 → 2 of 3, what always predicting -1 scores.
    assert.equal(majorityAccuracy('mosi', [-2, -0.4, 1]), 2 / 3);
    assert.equal(evalMosiMosei([-1, -1, -1], [-2, -0.4, 1]).Has0_acc_2, 2 / 3);
  });

  it('decides classes on float32 values and clips SIMS labels to [-1, 1], as the ACC does', () => {
    assert.deepEqual(headlineAccClasses('sims', [-1.5, -1e-9, 0, 1e-9, 3]), [0, 0, 0, 1, 1]);
    assert.deepEqual(headlineAccClasses('mosi', [-1e-46, -0.1, 0, 2]), [1, 0, 1, 1], '-1e-46 is -0 in float32: non-negative');
    assert.equal(majorityAccuracy('sims', [0.5, 0.5]), 1);
  });

  it('is recorded as Majority_acc_2 right after the headline ACC', () => {
    const truth = [0.4, -0.6, 0.8, 0];
    const preds = [0.3, 0.2, 0.1, -0.4];
    const sims = withMajority('sims', evalRegression('sims', preds, truth), truth);
    assert.deepEqual(Object.keys(sims).slice(0, 2), ['Mult_acc_2', MAJORITY_METRIC]);
    assert.equal(sims[MAJORITY_METRIC], 0.5);
    const mosi = withMajority('mosi', evalRegression('mosi', preds, truth), truth);
    assert.deepEqual(Object.keys(mosi).slice(0, 2), ['Has0_acc_2', MAJORITY_METRIC]);
    assert.equal(mosi[MAJORITY_METRIC], 0.75);
    assert.deepEqual(Object.keys(withMajority('mosi', { MAE: 1 }, truth)), ['MAE', MAJORITY_METRIC]);
  });

  it('refuses empty or non-finite labels and unknown families', () => {
    assert.throws(() => majorityAccuracy('mosi', []), /are empty/);
    assert.throws(() => majorityAccuracy('sims', [NaN]), /truth\[0\] is NaN/);
    assert.throws(() => majorityAccuracy('mosei' as 'mosi', [1]), /unknown metric family "mosei"/);
  });
});
