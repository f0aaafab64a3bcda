// Presentation of metric values: MMSA's 4-decimal rounding, percentages, and mean ± std over seeds.
import { roundHalfEven } from './primitives';
import type { MetricRecord } from './regression';

/**
 * MMSA's `round(x, 4)`. Its metrics are numpy scalars, whose __round__ is numpy.round: scale by 10^digits,
 * round half to even, scale back (so 0.12345 → 0.1234, where Python's float round gives 0.1235). NaN stays NaN.
 */
export function roundMetric(value: number, digits = 4): number {
  const scale = 10 ** digits;
  return roundHalfEven(value * scale) / scale;
}

/**
 * Every value of `metrics` rounded as MMSA reports it. MMSA rounds the MOSI/MOSEI results only and returns SIMS
 * results unrounded; evalRegression itself always returns raw values.
 */
export function roundMetrics<T extends MetricRecord>(metrics: T, digits = 4): T {
  return Object.fromEntries(Object.entries(metrics).map(([key, value]) => [key, roundMetric(value, digits)])) as T;
}

/** Accuracies and F1 scores are fractions in [0, 1], as MMSA returns them; tables show percentages. */
export function asPercent(fraction: number): number {
  return fraction * 100;
}

export interface SeedAggregate {
  mean: number;
  /** SAMPLE standard deviation (ddof = 1, n − 1 denominator); 0 when n = 1. */
  std: number;
  n: number;
}

/**
 * Mean and SAMPLE standard deviation (ddof = 1, i.e. divided by n − 1; 0 for a single seed) of one metric over
 * seeds. A NaN among the values (e.g. Corr of a constant predictor) makes mean and std NaN rather than hiding it.
 */
export function aggregateSeeds(values: readonly number[]): SeedAggregate {
  const n = values.length;
  if (n === 0) throw new Error('aggregateSeeds: no values to aggregate');
  const mean = values.reduce((sum, x) => sum + x, 0) / n;
  if (n === 1) return { mean, std: Number.isNaN(mean) ? Number.NaN : 0, n };
  const squares = values.reduce((sum, x) => sum + (x - mean) ** 2, 0);
  return { mean, std: Math.sqrt(squares / (n - 1)), n };
}

/** "83.97 ± 0.41" (scale the aggregate first, e.g. with asPercent, if the table wants percentages). */
export function formatMeanStd(aggregate: SeedAggregate, digits = 2): string {
  return `${aggregate.mean.toFixed(digits)} ± ${aggregate.std.toFixed(digits)}`;
}
