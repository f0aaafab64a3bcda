/**
 * # @midg/metrics
 *
 * The regression metrics of MMSA's `MetricsTop` (thuiar/MMSA, src/MMSA/utils/metricsTop.py), reproduced exactly,
 * plus seed aggregation for the paper's tables.
 *
 * `evalRegression(family, preds, truth)` picks the definition by metric family: `'mosi'` → MOSI/MOSEI, `'sims'` →
 * SIMS; any other string (a domain name such as `'mosei'`) throws. The family is a property of the dataset (the
 * features package's `Dataset.metricFamily`: declared, or defaulted from the label range), not of its name. Inputs are first rounded to float32, because MMSA scores float32 tensors;
 * that makes every discrete decision (ties, signs, bin edges) match MMSA bit for bit. MAE and Corr are then summed
 * in float64 (numpy averages float32 MAE in float32), a difference far below the 4th decimal.
 * Accuracies and F1 are fractions in [0, 1]. Values are returned unrounded: `roundMetrics` applies MMSA's
 * `round(x, 4)` (numpy.round semantics), which MMSA applies to MOSI/MOSEI results only.
 * Mismatched lengths, empty inputs and non-finite values throw an Error naming the offending input.
 *
 * ## MOSI / MOSEI (labels in [-3, 3])
 * - `Has0_acc_2`    accuracy of (preds >= 0) vs (truth >= 0) over all samples (label 0 counts as positive).
 * - `Has0_F1_score` weighted F1 of the same binary labels.
 * - `Non0_acc_2`    accuracy of (preds > 0) vs (truth > 0) over samples whose label is not exactly 0.
 * - `Non0_F1_score` weighted F1 of the same (both NaN when every label is 0; MMSA raises there).
 * - `Mult_acc_5`    mean(round(clip(preds, ±2)) == round(clip(truth, ±2))), round = half to even (2.5 → 2).
 * - `Mult_acc_7`    the same with clip to ±3.
 * - `MAE`           mean |preds − truth| (unclipped).
 * - `Corr`          Pearson correlation of preds and truth (unclipped); NaN when either is constant.
 *
 * ## SIMS (labels in [-1, 1]; preds and truth are clipped to [-1, 1] first, for every metric)
 * Class i holds values with edges[i] < x <= edges[i + 1] (edges compared in float32, as numpy does).
 * - `Mult_acc_2` accuracy over edges [-1.01, 0, 1.01]               (0 is negative).
 * - `Mult_acc_3` accuracy over edges [-1.01, -0.1, 0.1, 1.01]       (-0.1 → lower class, 0.1 → middle).
 * - `Mult_acc_5` accuracy over edges [-1.01, -0.7, -0.1, 0.1, 0.7, 1.01].
 * - `F1_score`   weighted F1 of the 2-class labels.
 * - `MAE`, `Corr` as above, on the clipped values.
 *
 * ## Definitions shared by both
 * - weighted F1 = sklearn f1_score(average='weighted'): per-class 2·tp / (2·tp + fp + fn) over labels in
 *   truth ∪ preds, weighted by each class's count in truth; a class with no true positive scores 0.
 * - Pearson = numpy.corrcoef(x, y)[0][1], clipped to [-1, 1].
 *
 * ## Tables
 * `HEADLINE_METRICS` maps the paper's ACC / F1 / MAE / Corr to Has0_acc_2 / Has0_F1_score / MAE / Corr (MOSI,
 * MOSEI) and Mult_acc_2 / F1_score / MAE / Corr (SIMS). `aggregateSeeds` gives mean and SAMPLE std (ddof = 1) over
 * seeds, `formatMeanStd` prints "83.97 ± 0.41", `asPercent` turns fractions into percentages.
 * `metricFamilyOfRecord` reads the family back from a recorded metric set (Has0_acc_2 → mosi, Mult_acc_3 → sims).
 *
 * ## Majority class
 * `majorityAccuracy(family, truth)` is the headline ACC (Has0_acc_2 / Mult_acc_2) of a constant predictor that
 * always says the majority class of `truth`; `withMajority` records it as `Majority_acc_2` right after the ACC. On an
 * unbalanced target (e.g. −1/0/+1 labels, where Mult_acc_2 puts 0 with the negatives) an ACC at or below it means
 * nothing was learned that a constant does not know; Mult_acc_3 and Corr are then the informative numbers.
 *
 * ## Paired comparisons (paired.ts; docs/statistics.md says when each applies)
 * - `pairedPermutationTest(a, b)` / `signFlipTest(d)`: exact two-sided sign-flip test of per-seed differences
 *   (all 2^n sign patterns up to n = 16, a seeded Monte Carlo sample beyond); `smallestSignFlipP(n)` = 2 / 2^n.
 * - `pairedBootstrapInterval(a, b)`: seeded percentile bootstrap interval of the mean difference.
 * - `tInterval(values)` / `tIntervalOf({ mean, std, n })`: the t confidence interval of a mean over seeds, from
 *   `studentTQuantile` (distributions.ts: the inverse of the t CDF, from the regularized incomplete beta).
 * - `mcnemarTest(correctA, correctB)` / `mcnemarFromCounts(b, c)`: McNemar on paired per-sample correctness, exact
 *   binomial below 25 discordant samples, chi-square with continuity correction from there;
 *   `headlineAccCorrectness(family, preds, truth)` gives the per-sample correctness of the headline ACC.
 */
export { accuracy, pearson, roundHalfEven, weightedF1 } from './primitives';
export {
  HEADLINE_METRICS,
  METRIC_FAMILIES,
  checkMetricFamily,
  evalMosiMosei,
  evalRegression,
  evalSims,
  metricFamilyOfRecord,
  metricKeysFor,
  type MetricFamily,
  type MetricRecord,
  type MosiMetrics,
  type SimsMetrics,
} from './regression';
export { MAJORITY_METRIC, headlineAccClasses, majorityAccuracy, withMajority } from './majority';
export { aggregateSeeds, asPercent, formatMeanStd, roundMetric, roundMetrics, type SeedAggregate } from './report';
export { headlineAccCorrectness } from './correctness';
export { chiSquareSurvival, logGamma, regularizedBeta, regularizedGammaQ, studentTCdf, studentTQuantile } from './distributions';
export {
  EXACT_SIGN_FLIP_LIMIT,
  MCNEMAR_EXACT_BELOW,
  mcnemarFromCounts,
  mcnemarTest,
  pairedBootstrapInterval,
  pairedPermutationTest,
  seededRandom,
  signFlipTest,
  smallestSignFlipP,
  tInterval,
  tIntervalOf,
  type Interval,
  type McNemarMethod,
  type McNemarResult,
  type PermutationOptions,
  type PermutationTestResult,
} from './paired';
