import { HEADLINE_METRICS, MAJORITY_METRIC, asPercent, formatMeanStd, metricFamilyOfRecord, type MetricFamily, type SeedAggregate } from '@midg/metrics';
import { domainOfDatasetName, type MetricRecord } from '@midg/trainer';

export type { MetricFamily } from '@midg/metrics';

/** The paper's metric columns; which MMSA metric each one is depends on the target's dataset family. */
export const HEADLINE_COLUMNS = ['ACC', 'F1', 'MAE', 'Corr'] as const;
export type HeadlineColumn = (typeof HEADLINE_COLUMNS)[number];

/** Mean ± sample std (n − 1) over seeds. */
export type Stat = SeedAggregate;

/**
 * The metric family a run's target was scored with. The family is a property of the dataset (declared in its
 * datasets entry or defaulted from its label range), so it is read from the recorded metric names; only a record
 * that has none (a run that did not finish) falls back to the target's name (a SIMS name → sims).
 */
export function familyOf(target: string, metrics: MetricRecord = {}): MetricFamily {
  return metricFamilyOfRecord(metrics) ?? (domainOfDatasetName(target) === 'sims' ? 'sims' : 'mosi');
}

/** The recorded majority-class ACC of the run's target test split (absent in runs recorded before it was). */
export function majorityOf(metrics: MetricRecord): number | undefined {
  const value = metrics[MAJORITY_METRIC];
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

/** After an ACC that a constant predictor matches or beats (see atOrBelowMajority). */
export const MAJORITY_MARK = '‡';

/** Whether an ACC, as displayed, is at or below the majority-class ACC, as displayed: a constant does as well. */
export function atOrBelowMajority(acc: number, majority: number): boolean {
  return displayedValue('ACC', acc) <= displayedValue('ACC', majority);
}

export function metricNameOf(column: HeadlineColumn, family: MetricFamily): string {
  return HEADLINE_METRICS[family][column];
}

export function headlineValues(target: string, metrics: MetricRecord): Partial<Record<HeadlineColumn, number>> {
  const family = familyOf(target, metrics);
  const values: Partial<Record<HeadlineColumn, number>> = {};
  for (const column of HEADLINE_COLUMNS) {
    const value = metrics[metricNameOf(column, family)];
    if (value !== undefined) values[column] = value;
  }
  return values;
}

export function higherIsBetter(column: HeadlineColumn): boolean {
  return column !== 'MAE';
}

/** As the paper prints them: accuracies and F1 as percentages with 2 decimals, MAE and Corr with 4. */
const DISPLAY: Record<HeadlineColumn, { scale: (value: number) => number; digits: number }> = {
  ACC: { scale: asPercent, digits: 2 },
  F1: { scale: asPercent, digits: 2 },
  MAE: { scale: (value) => value, digits: 4 },
  Corr: { scale: (value) => value, digits: 4 },
};

export function formatHeadline(column: HeadlineColumn, value: number | undefined): string {
  if (value === undefined) return '';
  const { scale, digits } = DISPLAY[column];
  return scale(value).toFixed(digits);
}

/** The value as displayed, for deciding which cells tie for best. */
export function displayedValue(column: HeadlineColumn, value: number): number {
  return Number(formatHeadline(column, value));
}

export function formatStat(column: HeadlineColumn, stat: Stat): string {
  const { scale, digits } = DISPLAY[column];
  return formatMeanStd({ mean: scale(stat.mean), std: scale(stat.std), n: stat.n }, digits);
}

/** `[low, high]` of an interval on the column's display scale, e.g. `[79.12, 82.40]` for an ACC. */
export function formatInterval(column: HeadlineColumn, low: number, high: number): string {
  const { scale, digits } = DISPLAY[column];
  return `[${scale(low).toFixed(digits)}, ${scale(high).toFixed(digits)}]`;
}
