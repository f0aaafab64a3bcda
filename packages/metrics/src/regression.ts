// MMSA MetricsTop (regression mode): __eval_mosei_regression (MOSI uses it too) and __eval_sims_regression.
import { accuracy, checkPaired, meanAbsoluteError, pearson, roundHalfEven, weightedF1 } from './primitives';

export const MOSI_METRIC_KEYS = [
  'Has0_acc_2',
  'Has0_F1_score',
  'Non0_acc_2',
  'Non0_F1_score',
  'Mult_acc_5',
  'Mult_acc_7',
  'MAE',
  'Corr',
] as const;
export const SIMS_METRIC_KEYS = ['Mult_acc_2', 'Mult_acc_3', 'Mult_acc_5', 'F1_score', 'MAE', 'Corr'] as const;

export type MosiMetrics = Record<(typeof MOSI_METRIC_KEYS)[number], number>;
export type SimsMetrics = Record<(typeof SIMS_METRIC_KEYS)[number], number>;
export type MetricRecord = Record<string, number>;

/**
 * Which MetricsTop definition scores a dataset: 'mosi' (MOSI and MOSEI) or 'sims' (CH-SIMS). It is a property of the
 * dataset (declared, or defaulted from its label range by the loader), never inferred from a dataset's name here.
 */
export type MetricFamily = 'mosi' | 'sims';
export const METRIC_FAMILIES: readonly MetricFamily[] = ['mosi', 'sims'];

/** Throws unless `family` is 'mosi' or 'sims' (a domain name such as 'mosei' or 'custom' is not a family). */
export function checkMetricFamily(family: string, context = 'metric family'): MetricFamily {
  if (!(METRIC_FAMILIES as readonly string[]).includes(family)) {
    throw new Error(`${context}: unknown metric family ${JSON.stringify(family)}; expected 'mosi' (MOSI/MOSEI metrics) or 'sims' (CH-SIMS metrics)`);
  }
  return family as MetricFamily;
}

/** The metric names evalRegression returns for `family`, in MMSA's order. */
export function metricKeysFor(family: MetricFamily): readonly string[] {
  return checkMetricFamily(family, 'metricKeysFor') === 'sims' ? SIMS_METRIC_KEYS : MOSI_METRIC_KEYS;
}

/**
 * The family a recorded metric set was scored with, read from its keys: Has0_acc_2 only the MOSI/MOSEI set has,
 * Mult_acc_3 only the SIMS set. Undefined when the record has neither or both (e.g. an empty record).
 */
export function metricFamilyOfRecord(metrics: Readonly<Record<string, number>>): MetricFamily | undefined {
  const mosi = 'Has0_acc_2' in metrics;
  const sims = 'Mult_acc_3' in metrics;
  return mosi === sims ? undefined : mosi ? 'mosi' : 'sims';
}

/**
 * The paper's ACC / F1 / MAE / Corr columns as MMSA metric names. MMSA-era papers report either the
 * zero-excluding (Non0_*) or the zero-including (Has0_*) binary scores on MOSI/MOSEI; we use Has0_acc_2 and
 * Has0_F1_score, which score every test sample. SIMS has no zero split: its binary scores are Mult_acc_2 / F1_score.
 */
export const HEADLINE_METRICS = {
  mosi: { ACC: 'Has0_acc_2', F1: 'Has0_F1_score', MAE: 'MAE', Corr: 'Corr' },
  sims: { ACC: 'Mult_acc_2', F1: 'F1_score', MAE: 'MAE', Corr: 'Corr' },
} as const satisfies Record<MetricFamily, Record<'ACC' | 'F1' | 'MAE' | 'Corr', string>>;

/** Scores regression predictions with the MetricsTop definition of `family` ('mosi' or 'sims'; anything else throws). */
export function evalRegression(family: MetricFamily, preds: ArrayLike<number>, truth: ArrayLike<number>): MetricRecord {
  return checkMetricFamily(family, 'evalRegression') === 'sims' ? evalSims(preds, truth) : evalMosiMosei(preds, truth);
}

/**
 * MMSA scores float32 tensors, so discrete decisions (rounding ties, signs, bin edges) are taken on the values
 * rounded to float32, exactly as MMSA sees them.
 */
function asFloat32Pair(context: string, preds: ArrayLike<number>, truth: ArrayLike<number>): [Float32Array, Float32Array] {
  checkPaired(context, ['preds', 'truth'], preds, truth);
  return [asFloat32(context, 'preds', preds), asFloat32(context, 'truth', truth)];
}

function asFloat32(context: string, name: string, values: ArrayLike<number>): Float32Array {
  const single = Float32Array.from(values);
  const overflow = single.findIndex((value) => !Number.isFinite(value));
  if (overflow >= 0) throw new Error(`${context}: ${name}[${overflow}] = ${values[overflow]} overflows float32`);
  return single;
}

const clip = (x: number, bound: number) => Math.min(bound, Math.max(-bound, x));

/** MetricsTop.__multiclass_acc on values clipped to [-bound, bound]. */
function roundedAccuracy(preds: Float32Array, truth: Float32Array, bound: number): number {
  const classOf = (x: number) => roundHalfEven(clip(x, bound));
  return accuracy(Array.from(truth, classOf), Array.from(preds, classOf));
}

/** Binary scores as MMSA computes them: accuracy and weighted F1 of `isPositive(truth)` vs `isPositive(preds)`. */
function binaryScores(preds: ArrayLike<number>, truth: ArrayLike<number>, isPositive: (x: number) => boolean) {
  const binaryTruth = Array.from(truth, (x) => Number(isPositive(x)));
  const binaryPreds = Array.from(preds, (x) => Number(isPositive(x)));
  return { acc: accuracy(binaryTruth, binaryPreds), f1: weightedF1(binaryTruth, binaryPreds) };
}

/**
 * MOSI / MOSEI regression metrics (labels in [-3, 3]). Non0_* skip samples whose label is exactly 0; Has0_* count
 * label 0 and prediction 0 as positive. If every label is 0, Non0_* are NaN (MMSA itself raises an IndexError).
 */
export function evalMosiMosei(preds: ArrayLike<number>, truth: ArrayLike<number>): MosiMetrics {
  const [p, t] = asFloat32Pair('evalMosiMosei', preds, truth);
  const has0 = binaryScores(p, t, (x) => x >= 0);
  const nonZeroTruth = t.filter((x) => x !== 0);
  const nonZeroPreds = p.filter((_, i) => t[i] !== 0);
  const non0 =
    nonZeroTruth.length > 0 ? binaryScores(nonZeroPreds, nonZeroTruth, (x) => x > 0) : { acc: Number.NaN, f1: Number.NaN };
  return {
    Has0_acc_2: has0.acc,
    Has0_F1_score: has0.f1,
    Non0_acc_2: non0.acc,
    Non0_F1_score: non0.f1,
    Mult_acc_5: roundedAccuracy(p, t, 2),
    Mult_acc_7: roundedAccuracy(p, t, 3),
    MAE: meanAbsoluteError(p, t),
    Corr: pearson(p, t),
  };
}

/**
 * SIMS class boundaries: class i holds edges[i] < x <= edges[i + 1]. MMSA compares its float32 tensors with these
 * Python floats, which numpy does in float32, so the edges are float32 too.
 */
export const SIMS_BIN_EDGES = {
  2: Float32Array.of(-1.01, 0.0, 1.01),
  3: Float32Array.of(-1.01, -0.1, 0.1, 1.01),
  5: Float32Array.of(-1.01, -0.7, -0.1, 0.1, 0.7, 1.01),
} as const;

/** The SIMS class of a value already clipped to [-1, 1] (so it lies inside the outer edges). */
export function simsClass(x: number, edges: Float32Array): number {
  let bin = 0;
  while (bin < edges.length - 2 && x > (edges[bin + 1] as number)) bin++;
  return bin;
}

/** CH-SIMS regression metrics: labels and predictions are clipped to [-1, 1] before everything, MAE and Corr included. */
export function evalSims(preds: ArrayLike<number>, truth: ArrayLike<number>): SimsMetrics {
  const [rawPreds, rawTruth] = asFloat32Pair('evalSims', preds, truth);
  const p = rawPreds.map((x) => clip(x, 1));
  const t = rawTruth.map((x) => clip(x, 1));
  const classes = (edges: Float32Array) => ({
    truth: Array.from(t, (x) => simsClass(x, edges)),
    preds: Array.from(p, (x) => simsClass(x, edges)),
  });
  const two = classes(SIMS_BIN_EDGES[2]);
  const three = classes(SIMS_BIN_EDGES[3]);
  const five = classes(SIMS_BIN_EDGES[5]);
  return {
    Mult_acc_2: accuracy(two.truth, two.preds),
    Mult_acc_3: accuracy(three.truth, three.preds),
    Mult_acc_5: accuracy(five.truth, five.preds),
    F1_score: weightedF1(two.truth, two.preds),
    MAE: meanAbsoluteError(p, t),
    Corr: pearson(p, t),
  };
}
