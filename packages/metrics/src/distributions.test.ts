import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chiSquareSurvival, logGamma, regularizedBeta, studentTCdf, studentTQuantile } from './distributions';

// Reference values from scipy.stats 1.17 (t.ppf, t.cdf, chi2.sf).
const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);

describe('Student t', () => {
  it('inverts the CDF at the textbook quantiles', () => {
    close(studentTQuantile(0.975, 4), 2.776, 5e-4, 't_{0.975,4}');
    close(studentTQuantile(0.975, 9), 2.262, 5e-4, 't_{0.975,9}');
    const scipy: [number, number, number][] = [
      [0.975, 1, 12.706204736174694],
      [0.975, 2, 4.302652729749462],
      [0.975, 4, 2.7764451051977934],
      [0.975, 9, 2.262157162798205],
      [0.975, 30, 2.0422724563012378],
      [0.995, 5, 4.032142983555228],
      [0.95, 10, 1.8124611228116756],
      [0.975, 1000, 1.9623390808264083],
      [0.6, 3, 0.2766706623326898],
      [0.975, 2.5, 3.5746548420036817],
    ];
    for (const [p, df, t] of scipy) close(studentTQuantile(p, df), t, 1e-9 * t, `t_{${p},${df}}`);
  });

  it('is symmetric, and its CDF matches known values', () => {
    assert.equal(studentTQuantile(0.5, 7), 0);
    assert.equal(studentTQuantile(0.025, 9), -studentTQuantile(0.975, 9));
    close(studentTCdf(-1.3, 7), 0.11738391769618862, 1e-12, 'F(-1.3; 7)');
    close(studentTCdf(0.4, 1), 0.6211189415908434, 1e-12, 'F(0.4; 1)');
    close(studentTCdf(studentTQuantile(0.9, 6), 6), 0.9, 1e-12, 'F(F^-1(0.9))');
    assert.equal(studentTCdf(Number.POSITIVE_INFINITY, 3), 1);
  });

  it('refuses what has no answer, in one line', () => {
    assert.throws(() => studentTQuantile(1, 4), /studentTQuantile: p must be in \(0, 1\), got 1/);
    assert.throws(() => studentTQuantile(0.9, 0), /degrees of freedom must be a finite number > 0, got 0/);
  });
});

describe('building blocks', () => {
  it('log-gamma matches factorials and Γ(½) = √π', () => {
    close(logGamma(5), Math.log(24), 1e-13, 'ln Γ(5)');
    close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-13, 'ln Γ(½)');
    close(logGamma(0.1), Math.log(9.513507698668732), 1e-12, 'ln Γ(0.1)');
  });

  it('the incomplete beta meets its closed forms', () => {
    // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 − (1 − x)^b.
    close(regularizedBeta(0.3, 1, 1), 0.3, 1e-14, 'I(1,1)');
    close(regularizedBeta(0.7, 3, 1), 0.7 ** 3, 1e-13, 'I(3,1)');
    close(regularizedBeta(0.2, 1, 4), 1 - 0.8 ** 4, 1e-13, 'I(1,4)');
  });

  it('chi-square survival matches scipy and the df = 2 closed form', () => {
    close(chiSquareSurvival(3.841458820694124, 1), 0.05, 1e-12, 'χ²₁ 95%');
    close(chiSquareSurvival(10, 1), 0.001565402258002549, 1e-12, 'χ²₁(10)');
    close(chiSquareSurvival(0.5, 1), 0.47950012218695337, 1e-12, 'χ²₁(0.5)');
    close(chiSquareSurvival(7.3, 3), 0.06292623645904312, 1e-12, 'χ²₃(7.3)');
    close(chiSquareSurvival(4.2, 2), Math.exp(-2.1), 1e-13, 'χ²₂ = exp(−x/2)');
    assert.equal(chiSquareSurvival(0, 1), 1);
  });
});
