import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accuracy, pearson, roundHalfEven, weightedF1 } from './primitives';

describe('roundHalfEven (numpy.round)', () => {
  it('sends exact .5 ties to the even neighbour', () => {
    assert.equal(roundHalfEven(0.5), 0);
    assert.equal(roundHalfEven(1.5), 2);
    assert.equal(roundHalfEven(2.5), 2);
    assert.equal(roundHalfEven(-1.5), -2);
    assert.equal(roundHalfEven(-2.5), -2);
    // numpy gives -0 here; -0 still compares equal (===) to a label rounded to +0.
    assert.ok(Object.is(roundHalfEven(-0.5), -0));
    assert.ok(roundHalfEven(-0.5) === 0);
  });

  it('rounds non-ties to the nearest integer', () => {
    assert.equal(roundHalfEven(2.4), 2);
    assert.equal(roundHalfEven(2.6), 3);
    assert.equal(roundHalfEven(-2.6), -3);
    assert.equal(roundHalfEven(0.49999999999999994), 0); // largest double below 0.5: not a tie
    assert.equal(roundHalfEven(3), 3);
  });
});

describe('accuracy', () => {
  it('is the fraction of equal positions', () => {
    assert.equal(accuracy([1, 2, 3], [1, 0, 3]), 2 / 3);
  });

  it('rejects mismatched, empty and non-finite inputs with one clear message', () => {
    assert.throws(() => accuracy([1, 2], [1]), /^Error: accuracy: truth has length 2 but preds has length 1$/);
    assert.throws(() => accuracy([], []), /accuracy: truth and preds are empty/);
    assert.throws(() => accuracy([1, Number.NaN], [1, 1]), /accuracy: truth\[1\] is NaN; expected a finite number/);
  });
});

describe('weightedF1 (sklearn average="weighted")', () => {
  it('matches a hand-computed confusion matrix, including a label that only appears in preds', () => {
    const truth = [0, 0, 0, 1, 1, 2, 2, 2, 2];
    const preds = [0, 1, 0, 1, 2, 2, 2, 0, 3];
    // Rows = truth, columns = preds:
    //        p0 p1 p2 p3
    //   t0 [  2, 1, 0, 0 ]  support 3
    //   t1 [  0, 1, 1, 0 ]  support 2
    //   t2 [  1, 0, 2, 1 ]  support 4
    // class 0: tp 2, fp 1, fn 1 → F1 = 4/6 = 2/3
    // class 1: tp 1, fp 1, fn 1 → F1 = 2/4 = 1/2
    // class 2: tp 2, fp 1, fn 2 → F1 = 4/7
    // class 3: tp 0, fp 1, fn 0 → F1 = 0, weight (support) 0
    // weighted = (3·2/3 + 2·1/2 + 4·4/7) / 9 = (37/7) / 9 = 37/63
    assert.ok(Math.abs(weightedF1(truth, preds) - 37 / 63) < 1e-12);
  });

  it('scores 0 for a class that is never predicted correctly (sklearn zero_division → 0)', () => {
    // class 1: tp 0 (never predicted) → 0; class 0: tp 1, fp 1, fn 0 → 2/3; weighted = (1·2/3 + 1·0) / 2 = 1/3
    assert.ok(Math.abs(weightedF1([0, 1], [0, 0]) - 1 / 3) < 1e-12);
    assert.equal(weightedF1([1, 1], [0, 0]), 0);
  });

  it('is 1 for perfect predictions, whatever the label values', () => {
    assert.equal(weightedF1([5, 7, 7], [5, 7, 7]), 1);
  });
});

describe('pearson (numpy.corrcoef)', () => {
  it('matches a hand-computed case', () => {
    // x̄ = 2.5, ȳ = 5; dx = [-1.5, -0.5, 0.5, 1.5], dy = [-3, -1, 0, 4]
    // Σdx·dy = 4.5 + 0.5 + 0 + 6 = 11, Σdx² = 5, Σdy² = 26 → r = 11 / √130
    assert.ok(Math.abs(pearson([1, 2, 3, 4], [2, 4, 5, 9]) - 11 / Math.sqrt(130)) < 1e-12);
  });

  it('clips rounding overshoot to ±1 as numpy does', () => {
    // Without the clip, this x gives 1.0000000000000002 with itself.
    const x = [0.2, 0.3, 0.7];
    assert.equal(pearson(x, x), 1);
    const negated = x.map((v) => -v);
    assert.equal(pearson(x, negated), -1);
  });

  it('is NaN for a constant vector, like numpy', () => {
    assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
    assert.ok(Number.isNaN(pearson([0.5], [0.7])));
  });

  it('rejects infinite values', () => {
    assert.throws(() => pearson([1, Infinity], [1, 2]), /pearson: x\[1\] is Infinity/);
  });
});
