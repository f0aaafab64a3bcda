import type { McNemarResult } from '@midg/metrics';
import type { RunRecord } from '../db';
import type { HeadlineColumn, Stat } from './headline';

// The shape every paper table is built into before it is rendered as Markdown, LaTeX or CSV.

/** One finished seed behind a cell value: the paired tests of `--compare` match these by seed. */
export interface SeedValue {
  seed: number;
  value: number;
  run: RunRecord;
}

/** A value compared with the same column of the `--compare` row (compare.ts). */
export interface CellComparison {
  /** The key of the row compared against. */
  against: string;
  /** The seeds both values finished (and whose values are numbers), ascending. */
  seeds: number[];
  /** Mean over those seeds of (this value − the compared row's value). */
  meanDifference: number;
  /** Two-sided exact sign-flip (paired permutation) test over those seeds. */
  pValue: number;
  /** pValue < SIGNIFICANCE_LEVEL: the value is marked. */
  significant: boolean;
  /** ACC values whose runs on every paired seed kept their test predictions: McNemar on the pooled predictions. */
  mcnemar?: McNemarResult & { samples: number };
}

export interface CellValue {
  column: HeadlineColumn;
  /** Undefined when no run of the cell finished. */
  stat?: Stat;
  best: boolean;
  /** ACC values only: the majority-class (constant predictor) ACC of the target's test split, as the runs recorded it. */
  majority?: number;
  /** The finished seeds' values (what stat aggregates). */
  seeds?: SeedValue[];
  comparison?: CellComparison;
}

export interface TableCell {
  values: CellValue[];
  /** A footnote mark after the cell, e.g. † for the setting chosen by source-validation MAE. */
  mark?: string;
}

export interface TableRow {
  /** A stable id for CSV: the model, the ablation or modality value, or `key=value` of a grid setting. */
  key: string;
  labels: string[];
  cells: TableCell[];
}

export interface TableColumn {
  /** Under its group's label (LaTeX's second header line). */
  label: string;
  /** On its own (Markdown and CSV, which have one header line). */
  header: string;
}

export interface ColumnGroup {
  label: string;
  columns: TableColumn[];
}

export interface TableBlock {
  title?: string;
  /**
   * Blocks with the same rowGroup split one list of rows over the same columns (Table 1's DG and test-time-adaptation
   * groups): `--compare` may compare a row of one with a row of another. Blocks without one stand alone.
   */
  rowGroup?: string;
  rowHeader: string[];
  groups: ColumnGroup[];
  rows: TableRow[];
}

export interface ResultTable {
  /** File stem: table1, table2, table3, grid-alpha-beta. */
  name: string;
  title: string;
  /** Said right under the title, e.g. how configurations were selected. */
  caption?: string;
  blocks: TableBlock[];
  notes: string[];
}
