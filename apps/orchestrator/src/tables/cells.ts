import { aggregateSeeds } from '@midg/metrics';
import type { RunRecord } from '../db';
import { isDone } from './grouping';
import { displayedValue, headlineValues, higherIsBetter, majorityOf, type HeadlineColumn } from './headline';
import type { CellValue, ColumnGroup, SeedValue, TableCell, TableRow } from './model';

// A cell is the mean ± std of a metric over a setting's finished seeds; the best displayed value of a column is bold.

/** The metric columns of Tables 2 and 3. */
export const TABLE23_COLUMNS = ['ACC', 'Corr', 'F1', 'MAE'] as const;

/** The majority-class ACC the finished runs recorded for their target (the same split, so one value; else their mean). */
function majorityOfRuns(done: RunRecord[]): number | undefined {
  const values = done.map((run) => majorityOf(run.test)).filter((value): value is number => value !== undefined);
  if (values.length === 0) return undefined;
  return values.every((value) => value === values[0]) ? values[0] : values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function cellOf(runs: RunRecord[], columns: readonly HeadlineColumn[]): TableCell {
  const done = runs.filter(isDone);
  const majority = majorityOfRuns(done);
  return {
    values: columns.map((column) => {
      const seeds = done.flatMap((run): SeedValue[] => {
        const value = headlineValues(run.target, run.test)[column];
        return value === undefined ? [] : [{ seed: run.seed, value, run }];
      });
      const withMajority = column === 'ACC' && majority !== undefined ? { majority } : {};
      if (seeds.length === 0) return { column, best: false, ...withMajority };
      return { column, stat: aggregateSeeds(seeds.map((seed) => seed.value)), best: false, ...withMajority, seeds };
    }),
  };
}

export function emptyCell(columns: readonly HeadlineColumn[]): TableCell {
  return { values: columns.map((column) => ({ column, best: false })) };
}

/** One cell per value (a column per metric), the mark kept on the first. */
export function splitCell(cell: TableCell): TableCell[] {
  return cell.values.map((value, index) => ({ values: [value], ...(index === 0 && cell.mark ? { mark: cell.mark } : {}) }));
}

/** Bolds the best displayed mean among the given values of one column (ties all bold); needs two contenders. */
export function markBest(values: CellValue[]): void {
  const contenders = values.filter((value) => value.stat !== undefined && Number.isFinite(value.stat.mean));
  if (contenders.length < 2) return;
  const column = contenders[0]!.column;
  const shown = contenders.map((value) => displayedValue(column, value.stat!.mean));
  const best = higherIsBetter(column) ? Math.max(...shown) : Math.min(...shown);
  contenders.forEach((value, index) => {
    value.best = shown[index] === best;
  });
}

/** Marks best per column of a block (each column position across its rows). */
export function markBestPerColumn(rows: TableRow[]): void {
  const width = rows[0]?.cells.length ?? 0;
  for (let cell = 0; cell < width; cell++) {
    const valueCount = rows[0]!.cells[cell]!.values.length;
    for (let value = 0; value < valueCount; value++) markBest(rows.map((row) => row.cells[cell]!.values[value]!));
  }
}

export function columnsGroup(label: string, columns: readonly HeadlineColumn[]): ColumnGroup {
  return { label, columns: columns.map((column) => ({ label: column, header: label ? `${label} ${column}` : column })) };
}
