import { toCsv, toMarkdownTable } from './format';
import { MAJORITY_MARK, atOrBelowMajority, formatHeadline, formatStat } from './headline';
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

function valueText(value: CellValue, maxN: number, bold: (text: string) => string): string {
  const { stat } = value;
  if (!stat) return MISSING;
  const number = stat.n >= 2 ? formatStat(value.column, stat) : formatHeadline(value.column, stat.mean);
  const constant = value.majority !== undefined && atOrBelowMajority(stat.mean, value.majority) ? ` ${MAJORITY_MARK}` : '';
  return `${value.best ? bold(number) : number}${constant}${stat.n < maxN ? ` (n=${stat.n})` : ''}`;
}

function cellText(cell: TableCell, maxN: number, bold: (text: string) => string): string {
  return `${cell.values.map((value) => valueText(value, maxN, bold)).join(' / ')}${cell.mark ? ` ${cell.mark}` : ''}`;
}

export function toMarkdown(table: ResultTable): string {
  const maxN = maxSeeds(table);
  const parts = [`### ${table.title}\n`];
  if (table.caption) parts.push(`_${table.caption}_\n`);
  for (const block of table.blocks) {
    if (block.title) parts.push(`**${block.title}**\n`);
    const header = [...block.rowHeader, ...block.groups.flatMap((group) => group.columns.map((column) => column.header))];
    const rows = block.rows.map((row) => [...row.labels, ...row.cells.map((cell) => cellText(cell, maxN, (text) => `**${text}**`))]);
    const align = header.map((_, index): 'left' | 'right' => (index < block.rowHeader.length ? 'left' : 'right'));
    parts.push(toMarkdownTable(header, rows, align));
  }
  parts.push(table.notes.map((note) => `- ${note}`).join('\n') + '\n');
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
    const cells = row.cells.map((cell) => cellText(cell, maxN, (text) => `\u0000${text}\u0001`));
    // Bold markers survive escaping as control characters, then become \textbf.
    const escaped = cells.map((cell) => latexEscape(cell).replaceAll('\u0000', '\\textbf{').replaceAll('\u0001', '}'));
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

export const CSV_HEADER = ['table', 'block', 'row', 'column_group', 'column', 'metric', 'mean', 'std', 'n', 'best', 'mark', 'display', 'majority'];

/**
 * Long format: one line per number, on the metric's own scale (accuracies 0–1), with the displayed text beside it;
 * an ACC line also has the majority-class (constant predictor) ACC of its target in `majority`.
 */
export function csvRows(table: ResultTable): unknown[][] {
  const maxN = maxSeeds(table);
  const rows: unknown[][] = [];
  for (const block of table.blocks) {
    const columns = block.groups.flatMap((group) => group.columns.map((column) => ({ group: group.label, column: column.label })));
    for (const row of block.rows) {
      row.cells.forEach((cell, index) => {
        for (const value of cell.values) {
          const { stat } = value;
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
            valueText(value, maxN, (text) => text),
            value.majority ?? '',
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
