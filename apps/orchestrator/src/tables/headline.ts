import { HEADLINE_METRICS, asPercent, formatMeanStd, metricFamilyOf, type MetricFamily, type SeedAggregate } from '@midg/metrics';
import { domainOfDatasetName, type MetricRecord } from '@midg/trainer';

export type { MetricFamily } from '@midg/metrics';

/** The paper's metric columns; which MMSA metric each one is depends on the target's dataset family. */
export const HEADLINE_COLUMNS = ['ACC', 'F1', 'MAE', 'Corr'] as const;
export type HeadlineColumn = (typeof HEADLINE_COLUMNS)[number];

/** Mean ± sample std (n − 1) over seeds. */
export type Stat = SeedAggregate;

/** SIMS targets are scored with SIMS's metrics, every other target with MOSI/MOSEI's. */
export function familyOf(dataset: string): MetricFamily {
  return metricFamilyOf(domainOfDatasetName(dataset));
}

export function metricNameOf(column: HeadlineColumn, family: MetricFamily): string {
  return HEADLINE_METRICS[family][column];
}

export function headlineValues(target: string, metrics: MetricRecord): Partial<Record<HeadlineColumn, number>> {
  const family = familyOf(target);
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
