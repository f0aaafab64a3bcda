// Plain renderers shared by `midg query` and the paper tables.

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. */
export function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}

/** Column-aligned text for a terminal; numbers are right-aligned. */
export function toTextTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const numeric = header.map((_, column) => rows.length > 0 && rows.every((row) => /^[-+]?[\d.]+(e[-+]?\d+)?$|^$/i.test(row[column] ?? '')));
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

/** A GitHub Markdown table; `|` inside cells is escaped. */
export function toMarkdownTable(header: string[], rows: string[][], align?: ('left' | 'right' | 'center')[]): string {
  const escape = (cell: string): string => cell.replaceAll('|', '\\|');
  const rule = header.map((_, column) => ({ left: ':--', right: '--:', center: ':-:' })[align?.[column] ?? 'left']);
  return [header, rule, ...rows].map((row, index) => `| ${(index === 1 ? row : row.map(escape)).join(' | ')} |`).join('\n') + '\n';
}

/** Text of a raw SQL value for display. */
export function displayValue(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Uint8Array) return `<blob ${value.length} bytes>`;
  return String(value);
}
