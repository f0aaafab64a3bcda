import type { HeadlineColumn, Stat } from './headline';

// The shape every paper table is built into before it is rendered as Markdown, LaTeX or CSV.

export interface CellValue {
  column: HeadlineColumn;
  /** Undefined when no run of the cell finished. */
  stat?: Stat;
  best: boolean;
  /** ACC values only: the majority-class (constant predictor) ACC of the target's test split, as the runs recorded it. */
  majority?: number;
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
