import { canonicalJson, type ConfigValue } from '@midg/trainer';
import type { RunRecord, SweepMember } from '../db';
import { cellOf, columnsGroup, emptyCell, markBest, splitCell } from './cells';
import { compareValues, groupBy, meanValidMae, modelOrder, type RunGroup } from './grouping';
import type { HeadlineColumn } from './headline';
import { datasetLabeler, pairLabelOf } from './labels';
import type { ResultTable, TableBlock, TableCell, TableRow } from './model';
import { NotesCollector } from './notes';
import { modelLabel, targetInputsNote } from './target-inputs';

// Grid tables: one per set of keys the sweep swept together (e.g. alpha × beta), over those keys' settings.

/** The distinct sets of swept keys in a sweep (e.g. [alpha, beta] and [experts]), keys in spec order. */
export function gridKeyGroups(members: SweepMember[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const member of members) {
    const keys = Object.keys(member.grid);
    if (keys.length > 0) groups.set([...keys].sort().join(','), keys);
  }
  return [...groups.values()].sort((a, b) => a.join(',').localeCompare(b.join(',')));
}

const GRID_COLUMNS = ['ACC', 'MAE'] as const;

/**
 * A grid over the given swept keys, one block per model and pair: rows (and, for two or more keys, columns) are
 * the settings, a cell is target ACC and MAE. Bold: best target value; †: the setting source-validation MAE picks.
 */
export function buildGridTable(members: SweepMember[], keys: string[], sweep: string): ResultTable | undefined {
  const wanted = [...keys].sort().join(',');
  const links = members.filter((member) => Object.keys(member.grid).sort().join(',') === wanted);
  if (links.length === 0) return undefined;
  const notes = new NotesCollector();
  const label = datasetLabeler(links.flatMap((link) => [link.run.source, link.run.target]));
  const gridId = (grid: Record<string, ConfigValue>): string => canonicalJson(keys.map((key) => grid[key]));
  const blocks: TableBlock[] = [];
  const byModelPair = groupBy(links, (link) => JSON.stringify([link.run.model, link.run.source, link.run.target]));
  const shown: RunGroup[] = [];
  // Methods that use target inputs after the others (modelOrder), then by model, source and target.
  const ids = [...byModelPair.keys()].sort((a, b) => modelOrder(JSON.parse(a)[0], JSON.parse(b)[0]) || a.localeCompare(b));
  for (const id of ids) {
    const [model, source, target] = JSON.parse(id) as [string, string, string];
    const pair = pairLabelOf(label, source, target);
    const settings = new Map<string, { grid: Record<string, ConfigValue>; runs: RunRecord[] }>();
    for (const link of byModelPair.get(id)!) {
      const setting = settings.get(gridId(link.grid)) ?? { grid: link.grid, runs: [] };
      if (!setting.runs.some((run) => run.id === link.run.id)) setting.runs.push(link.run);
      settings.set(gridId(link.grid), setting);
    }
    const describe = (grid: Record<string, ConfigValue>): string => keys.map((key) => `${key}=${String(grid[key])}`).join(', ');
    let selected: string | undefined;
    let selectedMae = Number.POSITIVE_INFINITY;
    for (const [settingId, setting] of settings) {
      notes.use(setting.runs);
      if (setting.runs.length > 0) shown.push({ model, source, target, config: setting.runs[0]!.config, runs: setting.runs });
      notes.missingRuns(`${model} ${pair} ${describe(setting.grid)}`, setting.runs);
      const mae = meanValidMae(setting.runs);
      if (mae !== undefined && mae < selectedMae) [selected, selectedMae] = [settingId, mae];
    }
    const valuesOf = (key: string): ConfigValue[] =>
      [...new Map([...settings.values()].map((setting) => [canonicalJson(setting.grid[key]), setting.grid[key]!])).values()].sort(compareValues);
    const cellFor = (grid: Record<string, ConfigValue>, columns: readonly HeadlineColumn[]): TableCell => {
      const setting = settings.get(gridId(grid));
      if (!setting) return emptyCell(columns);
      const cell = cellOf(setting.runs, columns);
      return gridId(grid) === selected ? { ...cell, mark: '†' } : cell;
    };
    const rowKeys = keys.length === 1 ? keys : keys.slice(0, -1);
    const columnKey = keys.length === 1 ? undefined : keys[keys.length - 1]!;
    const rowSettings = [...new Map([...settings.values()].map((setting) => {
      const partial = Object.fromEntries(rowKeys.map((key) => [key, setting.grid[key]!]));
      return [canonicalJson(rowKeys.map((key) => partial[key])), partial] as const;
    })).values()].sort((a, b) => {
      for (const key of rowKeys) {
        const order = compareValues(a[key]!, b[key]!);
        if (order !== 0) return order;
      }
      return 0;
    });
    const columnValues = columnKey ? valuesOf(columnKey) : [];
    const rows: TableRow[] = rowSettings.map((partial) => ({
      key: rowKeys.map((key) => `${key}=${String(partial[key])}`).join(' '),
      labels: rowKeys.map((key) => String(partial[key])),
      cells: columnKey
        ? columnValues.map((value) => cellFor({ ...partial, [columnKey]: value }, GRID_COLUMNS))
        : splitCell(cellFor(partial, GRID_COLUMNS)),
    }));
    // Best target ACC and best target MAE over the whole grid, each marked on its own value.
    for (const position of GRID_COLUMNS.keys()) {
      markBest(rows.flatMap((row) => (columnKey ? row.cells.map((cell) => cell.values[position]!) : [row.cells[position]!.values[0]!])));
    }
    blocks.push({
      title: `${modelLabel(model)} ${pair}`,
      rowHeader: rowKeys,
      groups: columnKey
        ? [{ label: columnKey, columns: columnValues.map((value) => ({ label: String(value), header: `${columnKey}=${String(value)}` })) }]
        : [columnsGroup('', GRID_COLUMNS)],
      rows,
    });
  }
  const targetNote = targetInputsNote(shown, false);
  return {
    name: `grid-${keys.join('-')}`,
    title: `Grid over ${keys.join(' × ')} (sweep ${sweep})`,
    caption:
      (keys.length > 1 ? 'Each cell: target ACC / target MAE. ' : '') +
      'Bold: the best target value in the grid; †: the setting with the best mean source-validation MAE (the one a training-domain selection would pick).',
    blocks,
    notes: [...(targetNote ? [targetNote] : []), ...notes.notes(GRID_COLUMNS)],
  };
}
