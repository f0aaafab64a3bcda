import { EXACT_SIGN_FLIP_LIMIT, headlineAccCorrectness, mcnemarTest, pairedPermutationTest, smallestSignFlipP } from '@midg/metrics';
import type { RunRecord } from '../db';
import { familyOf } from './headline';
import type { CellComparison, CellValue, ResultTable, TableBlock, TableRow } from './model';

// `midg tables --compare <row>`: every value of the other rows is tested against the same column (same target and
// metric) of that row, pairing runs by seed; a value that differs at p < 0.05 gets SIGNIFICANCE_MARK, and the notes
// say which test, against which row, over how many seeds. docs/statistics.md has the reasoning.

export const SIGNIFICANCE_MARK = '*';
export const SIGNIFICANCE_LEVEL = 0.05;

/** The fewest paired seeds whose smallest attainable p (2 / 2^n) is below SIGNIFICANCE_LEVEL: 6. */
export const SEEDS_TO_REACH_SIGNIFICANCE = (() => {
  let n = 1;
  while (smallestSignFlipP(n) >= SIGNIFICANCE_LEVEL) n++;
  return n;
})();

/** Whether some block of the table has a row with this key. */
export function hasRow(table: ResultTable, key: string): boolean {
  return table.blocks.some((block) => block.rows.some((row) => row.key === key));
}

/** The error for a `--compare` row none of the tables has: it names the rows they have. */
export function missingRowError(tables: ResultTable[], key: string): Error {
  const keys = [...new Set(tables.flatMap((table) => table.blocks.flatMap((block) => block.rows.map((row) => row.key))))];
  const names = tables.map((table) => table.name);
  return new Error(`--compare ${key}: ${names.join(', ')} ${names.length === 1 ? 'has' : 'have'} no row "${key}"; ${names.length === 1 ? 'its' : 'their'} rows: ${keys.join(', ') || '(none)'}`);
}

/**
 * McNemar on the pooled per-sample ACC correctness of the paired runs (seed by seed, concatenated). Undefined unless
 * every run kept its test predictions and each pair scored the same labels (the same test split, in the same order).
 */
function pooledMcNemar(pairs: [RunRecord, RunRecord][]): CellComparison['mcnemar'] {
  const mine: number[] = [];
  const theirs: number[] = [];
  for (const [run, reference] of pairs) {
    const a = run.testPredictions;
    const b = reference.testPredictions;
    if (!a || !b || a.labels.length !== b.labels.length || a.labels.some((label, i) => label !== b.labels[i])) return undefined;
    const family = familyOf(run.target, run.test);
    mine.push(...headlineAccCorrectness(family, a.predictions, a.labels));
    theirs.push(...headlineAccCorrectness(family, b.predictions, b.labels));
  }
  return mine.length === 0 ? undefined : { ...mcnemarTest(mine, theirs), samples: mine.length };
}

/** The value with its comparison against `reference` (same column of the compared row), when they share a seed. */
function compareValue(value: CellValue, reference: CellValue | undefined, against: string): CellValue {
  if (!value.seeds || !reference?.seeds) return value;
  const referenceBySeed = new Map(reference.seeds.filter((seed) => Number.isFinite(seed.value)).map((seed) => [seed.seed, seed]));
  const paired = value.seeds.filter((seed) => Number.isFinite(seed.value) && referenceBySeed.has(seed.seed)).sort((a, b) => a.seed - b.seed);
  if (paired.length === 0) return value;
  const test = pairedPermutationTest(
    paired.map((seed) => seed.value),
    paired.map((seed) => referenceBySeed.get(seed.seed)!.value),
  );
  const mcnemar = value.column === 'ACC' ? pooledMcNemar(paired.map((seed) => [seed.run, referenceBySeed.get(seed.seed)!.run])) : undefined;
  const comparison: CellComparison = {
    against,
    seeds: paired.map((seed) => seed.seed),
    meanDifference: test.meanDifference,
    pValue: test.pValue,
    significant: test.pValue < SIGNIFICANCE_LEVEL,
    ...(mcnemar ? { mcnemar } : {}),
  };
  return { ...value, comparison };
}

/** Column headers by cell index (for notes): `MOSI→MOSEI ACC`, or `beta=2` in a grid with a column key. */
function cellHeaders(block: TableBlock): string[] {
  return block.groups.flatMap((group) => group.columns.map((column) => column.header));
}

const headersOf = (block: TableBlock): string => JSON.stringify(cellHeaders(block));

function describeRange(values: number[]): string {
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? `${low}` : `${low}–${high}`;
}

function pText(p: number): string {
  return p < 0.0001 ? p.toExponential(1) : p.toFixed(4);
}

/**
 * The table with every value of every other row compared against row `against` in the same block (or, for a block
 * without that row, in a block of the same rowGroup and columns: Table 1's test-time-adaptation group against a DG row). Blocks
 * with no such row are left as they are and named in the notes. A table without the row anywhere is an error that
 * lists its rows.
 */
export function compareWithRow(table: ResultTable, against: string): ResultTable {
  const holders = table.blocks.filter((block) => block.rows.some((row) => row.key === against));
  if (!hasRow(table, against)) throw missingRowError([table], against);
  const compared: CellComparison[] = [];
  const mcnemarLines: string[] = [];
  const uncompared: string[] = [];
  const blocks = table.blocks.map((block): TableBlock => {
    const reference =
      block.rows.find((row) => row.key === against) ??
      holders.find((holder) => block.rowGroup !== undefined && holder.rowGroup === block.rowGroup && headersOf(holder) === headersOf(block))?.rows.find((row) => row.key === against);
    if (!reference) {
      uncompared.push(block.title ?? '(untitled block)');
      return block;
    }
    const headers = cellHeaders(block);
    const rows = block.rows.map((row): TableRow => {
      if (row === reference) return row;
      const cells = row.cells.map((cell, index) => ({
        ...cell,
        values: cell.values.map((value, position) => {
          const result = compareValue(value, reference.cells[index]?.values[position], against);
          if (result.comparison) {
            compared.push(result.comparison);
            const { mcnemar } = result.comparison;
            const header = headers[index]!;
            const where = `${block.title ? `${block.title}: ` : ''}${row.key} ${header.endsWith(value.column) ? header : `${header} ${value.column}`}`;
            if (mcnemar) mcnemarLines.push(`${where}: b=${mcnemar.b}, c=${mcnemar.c}, p=${pText(mcnemar.pValue)} (${mcnemar.method}, ${mcnemar.samples} predictions)`);
          }
          return result;
        }),
      }));
      return { ...row, cells };
    });
    return { ...block, rows };
  });
  return { ...table, blocks, notes: [...comparisonNotes(against, compared, mcnemarLines, uncompared), ...table.notes] };
}

function comparisonNotes(against: string, compared: CellComparison[], mcnemarLines: string[], uncompared: string[]): string[] {
  const counts = compared.map((comparison) => comparison.seeds.length);
  const marked = compared.filter((comparison) => comparison.significant).length;
  const reach =
    counts.length === 0
      ? ''
      : Math.max(...counts) < SEEDS_TO_REACH_SIGNIFICANCE
        ? ` With n seeds the smallest p this test can give is 2/2^n (${smallestSignFlipP(Math.max(...counts))} for n=${Math.max(...counts)}), so no value here can be marked, however large its difference; p < 0.05 needs at least ${SEEDS_TO_REACH_SIGNIFICANCE} paired seeds.`
        : ` With n seeds the smallest p this test can give is 2/2^n (n=${SEEDS_TO_REACH_SIGNIFICANCE}: ${smallestSignFlipP(SEEDS_TO_REACH_SIGNIFICANCE)}; n<${SEEDS_TO_REACH_SIGNIFICANCE} cannot reach 0.05).`;
  const sampled = counts.some((count) => count > EXACT_SIGN_FLIP_LIMIT) ? `, its sign patterns sampled beyond ${EXACT_SIGN_FLIP_LIMIT} seeds` : '';
  const legend =
    `Significance (${SIGNIFICANCE_MARK} after a value): it differs from row "${against}" in the same column at p < ${SIGNIFICANCE_LEVEL} ` +
    `(two-sided exact sign-flip permutation test of the per-seed values${sampled}, paired by seed over the seeds both finished; ` +
    `n=${counts.length > 0 ? describeRange(counts) : '0'} per value; ${marked} of ${compared.length} compared values marked; no correction for multiple comparisons).${reach}`;
  return [
    legend,
    ...(mcnemarLines.length > 0
      ? [
          `McNemar's test against "${against}" on the pooled target-test predictions of the paired seeds (ACC; b = samples this row gets right and "${against}" wrong, c = the reverse; pooling seeds counts each test sample once per seed): ${mcnemarLines.join('; ')}.`,
        ]
      : []),
    ...(uncompared.length > 0 ? [`Not compared (no row "${against}" with these columns): ${uncompared.join('; ')}.`] : []),
  ];
}
