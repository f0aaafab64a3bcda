// Paired comparisons of two methods: over seeds (sign-flip permutation test, bootstrap and t intervals) and over test
// samples (McNemar's test on per-sample binary correctness). Every random step takes a seed, so results repeat.
import { chiSquareSurvival, studentTQuantile } from './distributions';
import { checkPaired } from './primitives';

/** A small seeded generator (mulberry32): uniform in [0, 1), the same sequence for the same seed on every platform. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function differencesOf(context: string, a: readonly number[], b: readonly number[]): number[] {
  checkPaired(context, ['a', 'b'], a, b);
  return a.map((value, i) => value - b[i]!);
}

const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

export interface PermutationTestResult {
  /** Mean of a[i] − b[i] over the pairs. */
  meanDifference: number;
  /** Two-sided p-value of "a and b do not differ" (the sign of each difference is then a coin flip). */
  pValue: number;
  /** Number of pairs. */
  n: number;
  /** Whether every one of the 2^n sign patterns was counted (else a seeded Monte Carlo sample of them). */
  exact: boolean;
}

export interface PermutationOptions {
  /** Enumerate all 2^n sign patterns up to this many pairs (default 16: 65 536 patterns); Monte Carlo beyond. */
  exactUpTo?: number;
  /** Monte Carlo sample size (default 100 000). */
  samples?: number;
  /** Monte Carlo seed (default 1). */
  seed?: number;
}

/** Pairs up to which the sign-flip test enumerates every sign pattern. */
export const EXACT_SIGN_FLIP_LIMIT = 16;

/**
 * The exact two-sided sign-flip (paired permutation) test of differences d: under "no difference" each d_i is as
 * likely to be −d_i, so p = share of the 2^n sign patterns s with |Σ s_i·d_i| >= |Σ d_i|. Beyond `exactUpTo` pairs the
 * patterns are sampled, p = (1 + hits) / (1 + samples). Differences of exactly 0 are kept (they cannot change the sum).
 */
export function signFlipTest(differences: readonly number[], options: PermutationOptions = {}): PermutationTestResult {
  checkPaired('signFlipTest', ['differences', 'differences'], differences, differences);
  const n = differences.length;
  const observed = Math.abs(differences.reduce((sum, d) => sum + d, 0));
  // Sums of the same magnitudes in another order differ in their last bits; such ties count as at least as extreme.
  const tolerance = 1e-12 * differences.reduce((sum, d) => sum + Math.abs(d), 0);
  const extreme = (signs: (i: number) => number): boolean => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += signs(i) * differences[i]!;
    return Math.abs(sum) >= observed - tolerance;
  };
  const meanDifference = mean(differences);
  if (n <= (options.exactUpTo ?? EXACT_SIGN_FLIP_LIMIT)) {
    const patterns = 2 ** n;
    let hits = 0;
    for (let mask = 0; mask < patterns; mask++) if (extreme((i) => ((mask >>> i) & 1 ? -1 : 1))) hits++;
    return { meanDifference, pValue: hits / patterns, n, exact: true };
  }
  const samples = options.samples ?? 100_000;
  const random = seededRandom(options.seed ?? 1);
  let hits = 0;
  for (let s = 0; s < samples; s++) if (extreme(() => (random() < 0.5 ? -1 : 1))) hits++;
  return { meanDifference, pValue: (1 + hits) / (1 + samples), n, exact: false };
}

/** The sign-flip test of a[i] − b[i] (a[i] and b[i] measured on the same seed). */
export function pairedPermutationTest(a: readonly number[], b: readonly number[], options: PermutationOptions = {}): PermutationTestResult {
  return signFlipTest(differencesOf('pairedPermutationTest', a, b), options);
}

/**
 * The smallest two-sided p-value the exact sign-flip test can give with n pairs, 2 / 2^n: with 5 seeds or fewer it is
 * at least 0.0625, so no difference can reach p < 0.05 whatever its size.
 */
export function smallestSignFlipP(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`smallestSignFlipP: n must be a whole number >= 1, got ${n}`);
  return Math.min(1, 2 / 2 ** n);
}

export interface Interval {
  /** The estimate: a mean, or a mean difference. */
  estimate: number;
  low: number;
  high: number;
  /** Coverage, e.g. 0.95. */
  level: number;
  n: number;
}

function checkLevel(context: string, level: number): void {
  if (!(level > 0 && level < 1)) throw new Error(`${context}: level must be in (0, 1), got ${level}`);
}

/** numpy.quantile's default ("linear"): interpolates between the order statistics around q·(n − 1). */
function quantileOfSorted(sorted: readonly number[], q: number): number {
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}

/**
 * Percentile bootstrap interval of the mean of a[i] − b[i]: `resamples` times, draw n pairs with replacement (seeded)
 * and take their mean difference; the interval is the (1 ± level)/2 quantiles of those means.
 */
export function pairedBootstrapInterval(
  a: readonly number[],
  b: readonly number[],
  options: { level?: number; resamples?: number; seed?: number } = {},
): Interval {
  const differences = differencesOf('pairedBootstrapInterval', a, b);
  const level = options.level ?? 0.95;
  checkLevel('pairedBootstrapInterval', level);
  const resamples = options.resamples ?? 10_000;
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(`pairedBootstrapInterval: resamples must be a whole number >= 1, got ${resamples}`);
  const random = seededRandom(options.seed ?? 1);
  const n = differences.length;
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += differences[Math.floor(random() * n)]!;
    means[r] = sum / n;
  }
  const sorted = Array.from(means).sort((x, y) => x - y);
  return { estimate: mean(differences), low: quantileOfSorted(sorted, (1 - level) / 2), high: quantileOfSorted(sorted, (1 + level) / 2), level, n };
}

/**
 * The t confidence interval of a mean from its sample mean, SAMPLE standard deviation (n − 1) and n:
 * mean ± t_{(1+level)/2, n−1} · std / √n. Needs n >= 2; a NaN mean or std gives a NaN interval.
 */
export function tIntervalOf(stat: { mean: number; std: number; n: number }, level = 0.95): Interval {
  checkLevel('tIntervalOf', level);
  if (!Number.isInteger(stat.n) || stat.n < 2) throw new Error(`tIntervalOf: a t interval needs n >= 2 values, got n = ${stat.n}`);
  const halfWidth = studentTQuantile((1 + level) / 2, stat.n - 1) * (stat.std / Math.sqrt(stat.n));
  return { estimate: stat.mean, low: stat.mean - halfWidth, high: stat.mean + halfWidth, level, n: stat.n };
}

/** The t confidence interval of the mean of `values` (e.g. one metric over seeds). */
export function tInterval(values: readonly number[], level = 0.95): Interval {
  checkPaired('tInterval', ['values', 'values'], values, values);
  const average = mean(values);
  const std = values.length < 2 ? 0 : Math.sqrt(values.reduce((sum, value) => sum + (value - average) ** 2, 0) / (values.length - 1));
  return tIntervalOf({ mean: average, std, n: values.length }, level);
}

export type McNemarMethod = 'exact binomial' | 'chi-square with continuity correction';

export interface McNemarResult {
  /** Samples A gets right and B gets wrong. */
  b: number;
  /** Samples A gets wrong and B gets right. */
  c: number;
  /** Two-sided p-value of "A and B are right equally often" on the samples where they disagree. */
  pValue: number;
  method: McNemarMethod;
}

/** Below this many discordant samples (b + c) McNemar's test is exact; from it on, the chi-square approximation. */
export const MCNEMAR_EXACT_BELOW = 25;

/**
 * McNemar's test from its discordant counts. b + c < 25: exact, p = min(1, 2·P(X <= min(b, c))) for X ~ Bin(b + c, ½);
 * otherwise chi-square (1 df) of (max(0, |b − c| − 1))² / (b + c), Edwards' continuity correction.
 */
export function mcnemarFromCounts(b: number, c: number): McNemarResult {
  for (const [name, value] of [['b', b], ['c', c]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`mcnemarFromCounts: ${name} must be a whole number >= 0, got ${value}`);
  }
  const discordant = b + c;
  if (discordant < MCNEMAR_EXACT_BELOW) {
    let term = 1; // C(discordant, 0)
    let tail = 0;
    for (let k = 0; k <= Math.min(b, c); k++) {
      tail += term;
      term = (term * (discordant - k)) / (k + 1);
    }
    return { b, c, pValue: Math.min(1, (2 * tail) / 2 ** discordant), method: 'exact binomial' };
  }
  const statistic = Math.max(0, Math.abs(b - c) - 1) ** 2 / discordant;
  return { b, c, pValue: chiSquareSurvival(statistic, 1), method: 'chi-square with continuity correction' };
}

/** McNemar's test on paired per-sample correctness (1/true = right) of methods A and B on the same samples. */
export function mcnemarTest(correctA: ArrayLike<number | boolean>, correctB: ArrayLike<number | boolean>): McNemarResult {
  if (correctA.length !== correctB.length) throw new Error(`mcnemarTest: correctA has length ${correctA.length} but correctB has length ${correctB.length}`);
  if (correctA.length === 0) throw new Error('mcnemarTest: correctA and correctB are empty');
  let b = 0;
  let c = 0;
  for (let i = 0; i < correctA.length; i++) {
    const rightA = Boolean(correctA[i]);
    const rightB = Boolean(correctB[i]);
    if (rightA && !rightB) b++;
    else if (!rightA && rightB) c++;
  }
  return mcnemarFromCounts(b, c);
}
