import { tIntervalOf, type Interval } from '@midg/metrics';
import { SIGNIFICANCE_MARK } from './compare';
import { toCsv, toMarkdownTable } from './format';
import { MAJORITY_MARK, atOrBelowMajority, formatHeadline, formatInterval, formatStat } from './headline';
import type { CellValue, ResultTable, TableBlock, TableCell } from './model';

export type TableFormat = 'md' | 'latex' | 'csv';
export const TABLE_FORMATS: TableFormat[] = ['md', 'latex', 'csv'];
export const FILE_EXTENSION: Record<TableFormat, string> = { md: 'md', latex: 'tex', csv: 'csv' };

const MISSING = '—';

/** The most seeds any cell of the table has; cells with fewer say so. */
function maxSeeds(table: ResultTable): number {
  let max = 0;
  for (const block of table.blocks) for (const row of block.rows) for (const cell of row.cells) for (const value of cell.values) max = Math.max(max, value.stat?.n ?? 0);
  return max;
}

/** How a format writes the parts of a value beyond its number. */
interface ValueStyle {
  bold: (text: string) => string;
  /** The significance mark as the format needs it written (Markdown escapes `*`). */
  significance: string;
  /** The 95 % t interval beside mean ± std (LaTeX only; CSV has columns of its own). */
  interval?: (text: string) => string;
}

/** The 95 % t confidence interval of a value's mean over seeds (none for fewer than 2 seeds or a NaN mean). */
export function confidenceInterval(value: CellValue): Interval | undefined {
  const { stat } = value;
  if (!stat || stat.n < 2 || !Number.isFinite(stat.mean)) return undefined;
  return tIntervalOf(stat, 0.95);
}

function valueText(value: CellValue, maxN: number, style: ValueStyle): string {
  const { stat } = value;
  if (!stat) return MISSING;
  const number = stat.n >= 2 ? formatStat(value.column, stat) : formatHeadline(value.column, stat.mean);
  const significant = value.comparison?.significant ? style.significance : '';
  const interval = confidenceInterval(value);
  const ci = interval && style.interval ? ` ${style.interval(formatInterval(value.column, interval.low, interval.high))}` : '';
  const constant = value.majority !== undefined && atOrBelowMajority(stat.mean, value.majority) ? ` ${MAJORITY_MARK}` : '';
  return `${value.best ? style.bold(number) : number}${significant}${ci}${constant}${stat.n < maxN ? ` (n=${stat.n})` : ''}`;
}

function cellText(cell: TableCell, maxN: number, style: ValueStyle): string {
  return `${cell.values.map((value) => valueText(value, maxN, style)).join(' / ')}${cell.mark ? ` ${cell.mark}` : ''}`;
}

export function toMarkdown(table: ResultTable): string {
  const maxN = maxSeeds(table);
  const parts = [`### ${table.title}\n`];
  if (table.caption) parts.push(`_${table.caption}_\n`);
  for (const block of table.blocks) {
    if (block.title) parts.push(`**${block.title}**\n`);
    const header = [...block.rowHeader, ...block.groups.flatMap((group) => group.columns.map((column) => column.header))];
    const style: ValueStyle = { bold: (text) => `**${text}**`, significance: `\\${SIGNIFICANCE_MARK}` };
    const rows = block.rows.map((row) => [...row.labels, ...row.cells.map((cell) => cellText(cell, maxN, style))]);
    const align = header.map((_, index): 'left' | 'right' => (index < block.rowHeader.length ? 'left' : 'right'));
    parts.push(toMarkdownTable(header, rows, align));
  }
  // `*` (the significance mark) would start emphasis in Markdown.
  parts.push(table.notes.map((note) => `- ${note.replaceAll(SIGNIFICANCE_MARK, `\\${SIGNIFICANCE_MARK}`)}`).join('\n') + '\n');
  return parts.join('\n');
}

const LATEX_SPECIALS: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '&': '\\&',
  '%': '\\%',
  $: '\\$',
  '#': '\\#',
  _: '\\_',
  '{': '\\{',
  '}': '\\}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
  '→': '$\\rightarrow$',
  '±': '$\\pm$',
  '✓': '\\checkmark',
  '✗': '$\\times$',
  '×': '$\\times$',
  '†': '$^\\dagger$',
  '‡': '$^\\ddagger$',
  '*': '$^{*}$',
  '—': '--',
  '−': '-',
};

export function latexEscape(text: string): string {
  return [...text].map((char) => LATEX_SPECIALS[char] ?? char).join('');
}

function latexBlock(block: TableBlock, maxN: number): string {
  const spec = `${'l'.repeat(block.rowHeader.length)}|${block.groups.map((group) => 'c'.repeat(group.columns.length)).join('|')}`;
  const lines = [`\\begin{tabular}{${spec}}`, '\\hline'];
  if (block.groups.some((group) => group.label)) {
    const spans = block.groups.map((group, index) => {
      const border = index < block.groups.length - 1 ? 'c|' : 'c';
      return `\\multicolumn{${group.columns.length}}{${border}}{${latexEscape(group.label)}}`;
    });
    lines.push(`${[...block.rowHeader.map(() => ''), ...spans].join(' & ')} \\\\`);
  }
  const columnLabels = block.groups.flatMap((group) => group.columns.map((column) => latexEscape(column.label)));
  lines.push(`${[...block.rowHeader.map(latexEscape), ...columnLabels].join(' & ')} \\\\`, '\\hline');
  for (const row of block.rows) {
    const style: ValueStyle = { bold: (text) => `\u0000${text}\u0001`, significance: SIGNIFICANCE_MARK, interval: (text) => `\u0002${text}\u0001` };
    const cells = row.cells.map((cell) => cellText(cell, maxN, style));
    // Bold and small-print markers survive escaping as control characters, then become \textbf{...} and {\scriptsize ...}.
    const escaped = cells.map((cell) =>
      latexEscape(cell).replaceAll('\u0000', '\\textbf{').replaceAll('\u0002', '{\\scriptsize ').replaceAll('\u0001', '}'),
    );
    lines.push(`${[...row.labels.map(latexEscape), ...escaped].join(' & ')} \\\\`);
  }
  lines.push('\\hline', '\\end{tabular}');
  return lines.join('\n');
}

/** A tabular per block (\textbf marks the best), with the title as a comment and the notes as text below. */
export function toLatex(table: ResultTable): string {
  const maxN = maxSeeds(table);
  const parts = [`% ${table.title}`];
  for (const block of table.blocks) {
    if (block.title) parts.push(`\\noindent\\textit{${latexEscape(block.title)}}\\par`);
    parts.push(latexBlock(block, maxN));
  }
  const notes = [...(table.caption ? [table.caption] : []), ...table.notes];
  parts.push(`\\par\\smallskip{\\footnotesize\n${notes.map((note) => `${latexEscape(note)}\\par`).join('\n')}\n}`);
  return `${parts.join('\n')}\n`;
}

export const CSV_HEADER = [
  'table', 'block', 'row', 'column_group', 'column', 'metric', 'mean', 'std', 'n', 'best', 'mark', 'display', 'majority',
  'ci95_low', 'ci95_high', 'compared_with', 'paired_n', 'mean_difference', 'p_value', 'significant', 'mcnemar_b', 'mcnemar_c', 'mcnemar_p',
];

/**
 * Long format: one line per number, on the metric's own scale (accuracies 0–1), with the displayed text beside it;
 * an ACC line also has the majority-class (constant predictor) ACC of its target in `majority`. `ci95_low`/`ci95_high`:
 * the 95 % t interval of the mean over seeds (n >= 2). With `--compare`: the row compared against, the seeds paired,
 * the mean difference (this − that), the sign-flip test's p and whether it is < 0.05, and McNemar's b, c and p where
 * the runs kept their test predictions (ACC only).
 */
export function csvRows(table: ResultTable): unknown[][] {
  const maxN = maxSeeds(table);
  const rows: unknown[][] = [];
  for (const block of table.blocks) {
    const columns = block.groups.flatMap((group) => group.columns.map((column) => ({ group: group.label, column: column.label })));
    for (const row of block.rows) {
      row.cells.forEach((cell, index) => {
        for (const value of cell.values) {
          const { stat, comparison } = value;
          const interval = confidenceInterval(value);
          rows.push([
            table.name,
            block.title ?? '',
            row.key,
            columns[index]!.group,
            columns[index]!.column,
            value.column,
            stat?.mean ?? '',
            stat && stat.n >= 2 ? stat.std : '',
            stat?.n ?? 0,
            value.best,
            cell.mark ?? '',
            valueText(value, maxN, { bold: (text) => text, significance: SIGNIFICANCE_MARK }),
            value.majority ?? '',
            interval?.low ?? '',
            interval?.high ?? '',
            comparison?.against ?? '',
            comparison?.seeds.length ?? '',
            comparison?.meanDifference ?? '',
            comparison?.pValue ?? '',
            comparison ? comparison.significant : '',
            comparison?.mcnemar?.b ?? '',
            comparison?.mcnemar?.c ?? '',
            comparison?.mcnemar?.pValue ?? '',
          ]);
        }
      });
    }
  }
  return rows;
}

export function renderTable(table: ResultTable, format: TableFormat): string {
  if (format === 'md') return toMarkdown(table);
  if (format === 'latex') return toLatex(table);
  return toCsv(CSV_HEADER, csvRows(table));
}

/** Several tables in one output: CSV shares one header, the others are separated by blank lines. */
export function renderTables(tables: ResultTable[], format: TableFormat): string {
  if (format === 'csv') return toCsv(CSV_HEADER, tables.flatMap(csvRows));
  return tables.map((table) => renderTable(table, format)).join('\n');
}
