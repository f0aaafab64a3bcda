import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregateSeeds, asPercent, formatMeanStd, roundMetric, roundMetrics } from './report';

describe('roundMetric (MMSA round(x, 4) on numpy scalars)', () => {
  it('rounds to 4 decimals with numpy.round semantics', () => {
    assert.equal(roundMetric(0.83966), 0.8397);
    assert.equal(roundMetric(0.12344), 0.1234);
    // 1/32 = 0.03125 exactly: scaled 312.5 is a true tie → even → 0.0312
    assert.equal(roundMetric(0.03125), 0.0312);
    // 0.12345 scales to exactly 1234.5 in float64, a tie → even → 0.1234 (Python's float round says 0.1235)
    assert.equal(roundMetric(0.12345), 0.1234);
    assert.ok(Number.isNaN(roundMetric(Number.NaN)));
    assert.equal(roundMetric(0.12345, 2), 0.12);
  });

  it('rounds every value of a record and keeps its keys', () => {
    assert.deepEqual(roundMetrics({ MAE: 0.712345, Corr: 0.79999 }), { MAE: 0.7123, Corr: 0.8 });
  });
});

describe('aggregateSeeds', () => {
  it('uses the sample standard deviation (n - 1 denominator)', () => {
    // mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5 → variance 5/3 (population would be 5/4)
    const { mean, std, n } = aggregateSeeds([1, 2, 3, 4]);
    assert.equal(mean, 2.5);
    assert.ok(Math.abs(std - Math.sqrt(5 / 3)) < 1e-12);
    assert.equal(n, 4);
  });

  it('gives std 0 for a single seed', () => {
    assert.deepEqual(aggregateSeeds([0.8397]), { mean: 0.8397, std: 0, n: 1 });
  });

  it('lets a NaN seed show instead of hiding it', () => {
    const aggregate = aggregateSeeds([0.5, Number.NaN]);
    assert.ok(Number.isNaN(aggregate.mean) && Number.isNaN(aggregate.std));
  });

  it('refuses an empty list', () => {
    assert.throws(() => aggregateSeeds([]), /aggregateSeeds: no values to aggregate/);
  });
});

describe('formatting', () => {
  it('prints mean ± std with the requested digits', () => {
    assert.equal(formatMeanStd({ mean: 83.966, std: 0.412, n: 3 }, 2), '83.97 ± 0.41');
    assert.equal(formatMeanStd({ mean: 0.7123, std: 0.0104, n: 5 }, 3), '0.712 ± 0.010');
  });

  it('turns fractions into percentages', () => {
    assert.equal(asPercent(0.75), 75);
    const seeds = aggregateSeeds([0.8, 0.84].map(asPercent));
    // mean 82, deviations ±2 → sample variance 8/1 → std √8 ≈ 2.83
    assert.equal(formatMeanStd(seeds, 2), '82.00 ± 2.83');
  });
});
