// The majority-class (constant predictor) score of the headline ACC: what a model must beat to have learned anything
// a constant does not know.
import { checkPaired } from './primitives';
import { HEADLINE_METRICS, SIMS_BIN_EDGES, checkMetricFamily, simsClass, type MetricFamily, type MetricRecord } from './regression';

/** The recorded name of the majority-class score of the headline ACC (Has0_acc_2 or Mult_acc_2 by family). */
export const MAJORITY_METRIC = 'Majority_acc_2';

/**
 * The two classes the headline ACC compares, per true label, decided as MMSA decides them (on float32 values):
 * MOSI family Has0_acc_2: 1 when label >= 0, else 0; SIMS family Mult_acc_2: the label clipped to [-1, 1], 1 when it
 * is > 0, else 0 (0 is negative).
 */
export function headlineAccClasses(family: MetricFamily, truth: ArrayLike<number>): number[] {
  checkPaired('headlineAccClasses', ['truth', 'truth'], truth, truth);
  const values = Float32Array.from(truth);
  return checkMetricFamily(family, 'headlineAccClasses') === 'sims'
    ? Array.from(values, (x) => simsClass(Math.min(1, Math.max(-1, x)), SIMS_BIN_EDGES[2]))
    : Array.from(values, (x) => Number(x >= 0));
}

/**
 * The headline ACC (Has0_acc_2 for the MOSI family, Mult_acc_2 for SIMS) of always predicting the majority class of
 * `truth`: the larger class's share. A constant prediction (e.g. 1 or -1) scores exactly this.
 */
export function majorityAccuracy(family: MetricFamily, truth: ArrayLike<number>): number {
  const classes = headlineAccClasses(family, truth);
  const positives = classes.reduce((sum, c) => sum + c, 0);
  return Math.max(positives, classes.length - positives) / classes.length;
}

/** `metrics` with MAJORITY_METRIC inserted right after the family's headline ACC (or appended when there is none). */
export function withMajority(family: MetricFamily, metrics: MetricRecord, truth: ArrayLike<number>): MetricRecord {
  const majority = majorityAccuracy(family, truth);
  const acc = HEADLINE_METRICS[family].ACC;
  const entries = Object.entries(metrics).filter(([name]) => name !== MAJORITY_METRIC);
  const at = entries.findIndex(([name]) => name === acc);
  entries.splice(at < 0 ? entries.length : at + 1, 0, [MAJORITY_METRIC, majority]);
  return Object.fromEntries(entries);
}
