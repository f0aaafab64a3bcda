import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  mcnemarFromCounts,
  mcnemarTest,
  pairedBootstrapInterval,
  pairedPermutationTest,
  seededRandom,
  signFlipTest,
  smallestSignFlipP,
  tInterval,
  tIntervalOf,
} from './paired';

// Reference values: hand counts, scipy.stats 1.17 (permutation_test, binom.cdf, chi2.sf, t.ppf).
const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);

describe('sign-flip permutation test over seeds', () => {
  it('counts the sign patterns exactly', () => {
    // Five equal positive differences: only all-plus and all-minus are as extreme, 2 of 32.
    assert.deepEqual(signFlipTest([1, 1, 1, 1, 1]), { meanDifference: 1, pValue: 2 / 32, n: 5, exact: true });
    // |3 − 1 + 2 + 2| = 6 is reached by 4 of the 16 patterns (±(3,−1,2,2) and ±(3,1,2,2)).
    assert.equal(signFlipTest([3, -1, 2, 2]).pValue, 4 / 16);
    assert.equal(signFlipTest([0.5, -0.2, 0.3, 0.1, 0.4, -0.1, 0.6]).pValue, 16 / 128);
    assert.equal(signFlipTest([0, 0, 0]).pValue, 1, 'no difference at all');
    assert.equal(signFlipTest([1, -1]).pValue, 1);
    assert.equal(signFlipTest([2.1, 1.3, 0.4, 3.2, 1.1, 0.9]).pValue, 2 / 64, 'six same-signed seeds reach p < 0.05');
  });

  it('pairs a and b by position and agrees with scipy on a realistic case', () => {
    const a = [0.81, 0.79, 0.83, 0.8, 0.82, 0.84, 0.78];
    const b = [0.8, 0.8, 0.81, 0.79, 0.8, 0.82, 0.79];
    const result = pairedPermutationTest(a, b);
    assert.equal(result.pValue, 28 / 128, 'scipy permutation_test(permutation_type="samples") gives 0.21875');
    close(result.meanDifference, (0.01 - 0.01 + 0.02 + 0.01 + 0.02 + 0.02 - 0.01) / 7, 1e-15, 'mean difference');
    assert.throws(() => pairedPermutationTest([1, 2], [1]), /pairedPermutationTest: a has length 2 but b has length 1/);
    assert.throws(() => pairedPermutationTest([1, Number.NaN], [1, 2]), /a\[1\] is NaN/);
  });

  it('samples the patterns beyond the exact limit, repeatably, close to the exact answer', () => {
    const random = seededRandom(3);
    const differences = Array.from({ length: 18 }, () => random() - 0.4);
    const exact = signFlipTest(differences, { exactUpTo: 18 });
    const sampled = signFlipTest(differences, { samples: 40_000, seed: 5 });
    assert.equal(exact.exact, true);
    assert.equal(sampled.exact, false);
    assert.ok(exact.pValue > 0.001 && exact.pValue < 0.999, `a case that is not at the edge (p ${exact.pValue})`);
    close(sampled.pValue, exact.pValue, 0.01, 'Monte Carlo p');
    assert.deepEqual(signFlipTest(differences, { samples: 40_000, seed: 5 }), sampled, 'same seed, same p');
  });

  it('says how small p can get with n seeds', () => {
    assert.equal(smallestSignFlipP(3), 0.25);
    assert.equal(smallestSignFlipP(5), 0.0625);
    assert.equal(smallestSignFlipP(6), 0.03125);
    assert.equal(smallestSignFlipP(1), 1);
  });
});

describe('intervals', () => {
  it('the paired bootstrap interval brackets the mean difference and is a point for constant differences', () => {
    const constant = pairedBootstrapInterval([3, 4, 5], [1, 2, 3]);
    assert.deepEqual([constant.estimate, constant.low, constant.high], [2, 2, 2]);
    const a = [0.81, 0.79, 0.83, 0.8, 0.82, 0.84, 0.78];
    const b = [0.8, 0.8, 0.81, 0.79, 0.8, 0.82, 0.79];
    const ci = pairedBootstrapInterval(a, b, { seed: 11 });
    assert.ok(ci.low < ci.estimate && ci.estimate < ci.high, `${ci.low} < ${ci.estimate} < ${ci.high}`);
    // The mean of resampled differences cannot leave the range of the differences.
    assert.ok(ci.low >= -0.01 - 1e-12 && ci.high <= 0.02 + 1e-12);
    const wider = pairedBootstrapInterval(a, b, { seed: 11, level: 0.99 });
    assert.ok(wider.low <= ci.low && wider.high >= ci.high, '99 % contains 95 %');
    assert.deepEqual(pairedBootstrapInterval(a, b, { seed: 11 }), ci, 'seeded');
    assert.throws(() => pairedBootstrapInterval(a, b, { level: 95 }), /level must be in \(0, 1\), got 95/);
  });

  it('the t interval uses the t quantile of n − 1 degrees of freedom', () => {
    // mean 2, sample std 1, n = 5: half-width t_{0.975,4} / √5.
    const ci = tInterval([1, 2, 3, 2.5, 1.5].map((x) => x));
    const std = Math.sqrt([1, 0, 1, 0.25, 0.25].reduce((s, x) => s + x, 0) / 4);
    close(ci.high - ci.estimate, (2.7764451051977934 * std) / Math.sqrt(5), 1e-12, 'half-width, n = 5');
    close(ci.estimate - ci.low, ci.high - ci.estimate, 1e-15, 'symmetric');
    const ten = tIntervalOf({ mean: 0.5, std: 0.1, n: 10 });
    close(ten.high - 0.5, (2.262157162798205 * 0.1) / Math.sqrt(10), 1e-12, 'half-width, n = 10');
    assert.deepEqual([tInterval([4, 4, 4]).low, tInterval([4, 4, 4]).high], [4, 4], 'constant data: a point');
    assert.ok(Number.isNaN(tIntervalOf({ mean: Number.NaN, std: Number.NaN, n: 3 }).low));
    assert.throws(() => tInterval([1]), /tIntervalOf: a t interval needs n >= 2 values, got n = 1/);
  });
});

describe("McNemar's test", () => {
  it('is exact below 25 discordant samples', () => {
    assert.deepEqual(mcnemarFromCounts(0, 10), { b: 0, c: 10, pValue: 2 / 1024, method: 'exact binomial' });
    close(mcnemarFromCounts(3, 12).pValue, 0.03515625, 1e-15, 'b=3, c=12 (2·binom.cdf(3, 15, ½))');
    assert.equal(mcnemarFromCounts(5, 5).pValue, 1, 'capped at 1');
    assert.equal(mcnemarFromCounts(0, 0).pValue, 1, 'no discordant sample');
  });

  it('uses chi-square with continuity correction from 25 on', () => {
    const result = mcnemarFromCounts(30, 12);
    assert.equal(result.method, 'chi-square with continuity correction');
    close(result.pValue, 0.008711912962379598, 1e-12, 'χ² = 17²/42');
    assert.equal(mcnemarFromCounts(20, 20).pValue, 1);
    assert.throws(() => mcnemarFromCounts(-1, 3), /mcnemarFromCounts: b must be a whole number >= 0, got -1/);
  });

  it('counts b and c from per-sample correctness', () => {
    const a = [1, 1, 1, 0, 0, 1, true, false];
    const b = [1, 0, 0, 1, 0, 1, false, false];
    assert.deepEqual({ ...mcnemarTest(a, b), pValue: 0 }, { b: 3, c: 1, pValue: 0, method: 'exact binomial' });
    close(mcnemarTest(a, b).pValue, (2 * (1 + 4)) / 16, 1e-15, 'P(X <= 1), X ~ Bin(4, ½), doubled');
    assert.throws(() => mcnemarTest([1], [1, 0]), /mcnemarTest: correctA has length 1 but correctB has length 2/);
  });
});
