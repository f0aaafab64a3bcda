import { aggregateSeeds } from '@midg/metrics';
import { canonicalJson, domainOfDatasetName, sourceNames, type ConfigRecord, type ConfigValue } from '@midg/trainer';
import type { RunRecord, SweepMember } from '../db';
import {
  displayedValue,
  familyOf,
  headlineValues,
  higherIsBetter,
  metricNameOf,
  type HeadlineColumn,
  type MetricFamily,
} from './headline';
import type { CellValue, ColumnGroup, ResultTable, TableBlock, TableCell, TableRow } from './model';

// Builds the paper's tables from a sweep's runs. Only finished ('done') runs contribute numbers; every run of a
// table that is not done is named in the table's notes, and methods or pairs without any finished run are left out.

/** Runs of one model on one pair with one resolved config: the seeds of one setting. */
interface RunGroup {
  model: string;
  source: string;
  target: string;
  config: ConfigRecord;
  runs: RunRecord[];
}

const ALL_MODALITIES = 'tav';
const MODALITY_ROWS: { value: string; label: string }[] = [
  { value: 't', label: 'Text' },
  { value: 'a', label: 'Audio' },
  { value: 'v', label: 'Vision' },
  { value: 'ta', label: 'Text+Audio' },
  { value: 'tv', label: 'Text+Vision' },
  { value: 'av', label: 'Audio+Vision' },
  { value: 'tav', label: 'Text+Audio+Vision' },
];
/** Table 2's order: both modules removed first, the full model last. */
const ABLATION_ROWS: { value: string; moie: boolean; adapter: boolean }[] = [
  { value: 'no-moie-no-adapter', moie: false, adapter: false },
  { value: 'no-moie', moie: false, adapter: true },
  { value: 'no-adapter', moie: true, adapter: false },
  { value: 'none', moie: true, adapter: true },
];
const TICK = '✓';
const CROSS = '✗';

/** Letters in t, a, v order, so `at` and `ta` are one setting; models without the key use all three. */
export function modalitiesOf(config: ConfigRecord): string {
  const value = config.modalities;
  if (typeof value !== 'string') return ALL_MODALITIES;
  return [...ALL_MODALITIES].filter((letter) => value.includes(letter)).join('');
}

/** Baselines have no `ablation` key: they are the unablated model. */
export function ablationOf(config: ConfigRecord): string {
  return typeof config.ablation === 'string' ? config.ablation : 'none';
}

function isDone(run: RunRecord): boolean {
  return run.status === 'done';
}

function uniqueRuns(members: SweepMember[]): RunRecord[] {
  return [...new Map(members.map((member) => [member.run.id, member.run])).values()];
}

function groupByConfig(runs: RunRecord[]): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  for (const run of runs) {
    const id = canonicalJson([run.model, run.source, run.target, run.config]);
    const group = groups.get(id) ?? { model: run.model, source: run.source, target: run.target, config: run.config, runs: [] };
    group.runs.push(run);
    groups.set(id, group);
  }
  return [...groups.values()];
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(keyOf(item), [...(out.get(keyOf(item)) ?? []), item]);
  return out;
}

function pairId(source: string, target: string): string {
  return JSON.stringify([source, target]);
}

/** Mean source-validation MAE over a group's finished seeds (the training-domain model-selection score). */
export function meanValidMae(runs: RunRecord[]): number | undefined {
  const values = runs.filter(isDone).map((run) => run.valid.MAE).filter((value): value is number => value !== undefined && Number.isFinite(value));
  return values.length === 0 ? undefined : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** The group with the lowest mean source-validation MAE; groups without a finished run cannot be chosen. */
function selectByValidMae(groups: RunGroup[]): RunGroup | undefined {
  let best: { group: RunGroup; mae: number } | undefined;
  for (const group of groups) {
    const mae = meanValidMae(group.runs);
    if (mae !== undefined && (best === undefined || mae < best.mae)) best = { group, mae };
  }
  return best?.group;
}

function formatConfigValue(value: ConfigValue | undefined): string {
  return value === undefined ? '(unset)' : String(value);
}

/** `key=value` for the keys whose values differ between the groups, as they are in `group`. */
function distinguishingSettings(group: RunGroup, among: RunGroup[]): string {
  const keys = [...new Set(among.flatMap((other) => Object.keys(other.config)))].sort();
  const differing = keys.filter((key) => new Set(among.map((other) => formatConfigValue(other.config[key]))).size > 1);
  return differing.map((key) => `${key}=${formatConfigValue(group.config[key])}`).join(', ');
}

function modelOrder(a: string, b: string): number {
  // The proposed method goes last, as in the paper.
  if ((a === 'midg') !== (b === 'midg')) return a === 'midg' ? 1 : -1;
  return a.localeCompare(b);
}

function compareValues(a: ConfigValue, b: ConfigValue): number {
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
}

/** Collects what a table must say under it: seeds, datasets, metric families, selections, and what is missing. */
class NotesCollector {
  private readonly seeds = new Set<number>();
  private readonly datasets = new Set<string>();
  private readonly families = new Set<MetricFamily>();
  readonly selections: string[] = [];
  readonly missing: string[] = [];

  use(runs: RunRecord[]): void {
    for (const run of runs) {
      this.datasets.add(run.source).add(run.target);
      this.families.add(familyOf(run.target));
      if (isDone(run)) this.seeds.add(run.seed);
    }
  }

  /** Notes a cell or row whose runs are not all done; returns whether anything is missing. */
  missingRuns(what: string, runs: RunRecord[]): boolean {
    const absent = runs.filter((run) => !isDone(run)).sort((a, b) => a.seed - b.seed);
    if (absent.length === 0) return false;
    this.missing.push(`${what}: ${absent.length} of ${runs.length} runs missing (${absent.map(describeAbsentRun).join('; ')}).`);
    return true;
  }

  notes(columns: readonly HeadlineColumn[]): string[] {
    const seeds = [...this.seeds].sort((a, b) => a - b);
    return [
      legend(columns, [...this.families]),
      `Mean ± sample standard deviation (n−1) over seeds ${seeds.join(', ') || '(none finished)'}; a cell marked (n=k) has fewer finished seeds than the others; a single seed shows no std.`,
      describeData([...this.datasets]),
      ...this.selections,
      ...(this.missing.length > 0 ? this.missing : ['Missing: none; every run of this table finished.']),
    ];
  }
}

function describeAbsentRun(run: RunRecord): string {
  if (run.status === 'failed') {
    const reason = run.signal ? `killed by ${run.signal}` : `exit ${run.exitCode ?? '?'}`;
    const lastLine = (run.stderrTail ?? '').trim().split('\n').pop()?.trim() ?? '';
    return `seed ${run.seed} failed after ${run.attempts} attempt(s), ${reason}${lastLine ? `: ${lastLine.slice(0, 120)}` : ''}`;
  }
  if (run.status === 'running') return `seed ${run.seed} still running or interrupted`;
  return `seed ${run.seed} never ran`;
}

function legend(columns: readonly HeadlineColumn[], families: MetricFamily[]): string {
  const familyName: Record<MetricFamily, string> = { mosi: 'MOSI/MOSEI targets', sims: 'SIMS targets' };
  const scaled = (column: HeadlineColumn): string => (column === 'ACC' || column === 'F1' ? ' (×100)' : '');
  const parts = families.sort().map((family) => `${familyName[family]}: ${columns.map((column) => `${column} = ${metricNameOf(column, family)}${scaled(column)}`).join(', ')}`);
  return `Metrics (MMSA names) on the target's test split — ${parts.join('; ')}.`;
}

function describeData(names: string[]): string {
  const synthetic = names.filter((name) => name.startsWith('synth:')).sort();
  const files = names.filter((name) => name.startsWith('mmsa:')).map((name) => name.slice('mmsa:'.length)).sort();
  const aliases = names.filter((name) => !name.startsWith('synth:') && !name.startsWith('mmsa:')).sort();
  const parts = [
    ...(synthetic.length ? [`synthetic presets ${synthetic.join(', ')}`] : []),
    ...(files.length ? [`MMSA feature files ${files.join(', ')}`] : []),
    ...(aliases.length ? [`datasets-config entries ${aliases.join(', ')}`] : []),
  ];
  return `Data: ${parts.join('; ')}.`;
}

/** Short column labels (MOSI, MOSEI, SIMS, MOSI+SIMS); full names where two datasets would get the same label. */
export function datasetLabeler(names: string[]): (name: string) => string {
  const shortOne = (name: string): string => {
    const domain = domainOfDatasetName(name);
    return ['mosi', 'mosei', 'sims'].includes(domain) ? domain.toUpperCase() : name;
  };
  // Pooled sources (a+b) read as MOSI+SIMS.
  const short = (name: string): string => sourceNames(name).map(shortOne).join('+');
  const distinct = [...new Set(names)];
  const clashes = new Set(distinct.map(short).filter((label, index, all) => all.indexOf(label) !== index));
  return (name) => (clashes.has(short(name)) ? name : short(name));
}

function cellOf(runs: RunRecord[], columns: readonly HeadlineColumn[]): TableCell {
  const done = runs.filter(isDone);
  return {
    values: columns.map((column) => {
      const values = done.map((run) => headlineValues(run.target, run.test)[column]).filter((value): value is number => value !== undefined);
      return values.length === 0 ? { column, best: false } : { column, stat: aggregateSeeds(values), best: false };
    }),
  };
}

function emptyCell(columns: readonly HeadlineColumn[]): TableCell {
  return { values: columns.map((column) => ({ column, best: false })) };
}

/** One cell per value (a column per metric), the mark kept on the first. */
function splitCell(cell: TableCell): TableCell[] {
  return cell.values.map((value, index) => ({ values: [value], ...(index === 0 && cell.mark ? { mark: cell.mark } : {}) }));
}

/** Bolds the best displayed mean among the given values of one column (ties all bold); needs two contenders. */
function markBest(values: CellValue[]): void {
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
function markBestPerColumn(rows: TableRow[]): void {
  const width = rows[0]?.cells.length ?? 0;
  for (let cell = 0; cell < width; cell++) {
    const valueCount = rows[0]!.cells[cell]!.values.length;
    for (let value = 0; value < valueCount; value++) markBest(rows.map((row) => row.cells[cell]!.values[value]!));
  }
}

function columnsGroup(label: string, columns: readonly HeadlineColumn[]): ColumnGroup {
  return { label, columns: columns.map((column) => ({ label: column, header: label ? `${label} ${column}` : column })) };
}

/**
 * Models × pairs of one kind (cross-domain for Table 1, in-domain for Table 3): unablated, all modalities.
 * Where a model has several configs on a pair, the one with the best mean source-validation MAE is shown.
 */
function buildModelsByPairs(
  members: SweepMember[],
  options: { name: string; title: string; crossDomain: boolean; columns: readonly HeadlineColumn[]; sweep: string },
): ResultTable | undefined {
  const runs = uniqueRuns(members).filter(
    (run) => (run.source !== run.target) === options.crossDomain && ablationOf(run.config) === 'none' && modalitiesOf(run.config) === ALL_MODALITIES,
  );
  if (runs.length === 0) return undefined;
  const notes = new NotesCollector();
  notes.use(runs);
  const label = datasetLabeler(runs.flatMap((run) => [run.source, run.target]));
  const pairLabel = (source: string, target: string): string => (options.crossDomain ? `${label(source)}→${label(target)}` : label(source));
  const groups = groupByConfig(runs);
  const byModelPair = groupBy(groups, (group) => JSON.stringify([group.model, group.source, group.target]));

  const chosen = new Map<string, RunGroup>();
  let selected = false;
  for (const [id, candidates] of byModelPair) {
    const [model, source, target] = JSON.parse(id) as [string, string, string];
    const what = `${model} ${pairLabel(source, target)}`;
    const group = selectByValidMae(candidates);
    if (!group) {
      notes.missingRuns(what, candidates.flatMap((candidate) => candidate.runs));
      continue;
    }
    chosen.set(id, group);
    notes.missingRuns(what, group.runs);
    const finished = candidates.filter((candidate) => meanValidMae(candidate.runs) !== undefined);
    if (finished.length > 1) {
      selected = true;
      notes.selections.push(
        `${what}: ${finished.length} configurations; shown ${distinguishingSettings(group, finished)} (mean source-validation MAE ${meanValidMae(group.runs)!.toFixed(4)}).`,
      );
    }
  }

  const pairs = [...new Map(runs.map((run) => [pairId(run.source, run.target), [run.source, run.target] as const])).values()]
    // Pairs keep the order the sweep spec lists them in (the paper's column order when the spec follows it).
    .filter(([source, target]) => [...chosen.values()].some((group) => group.source === source && group.target === target));
  const models = [...new Set([...chosen.values()].map((group) => group.model))].sort(modelOrder);
  const rows: TableRow[] = models.map((model) => ({
    key: model,
    labels: [model],
    cells: pairs.flatMap(([source, target]) => {
      const group = chosen.get(JSON.stringify([model, source, target]));
      return splitCell(group ? cellOf(group.runs, options.columns) : emptyCell(options.columns));
    }),
  }));
  markBestPerColumn(rows);
  const caption = selected
    ? 'Where a method has several configurations for a pair, the one with the best mean source-validation MAE is shown (training-domain validation, as in DomainBed).'
    : undefined;
  return {
    name: options.name,
    title: `${options.title} (sweep ${options.sweep})`,
    ...(caption ? { caption } : {}),
    blocks: [{ rowHeader: ['Method'], groups: pairs.map(([source, target]) => columnsGroup(pairLabel(source, target), options.columns)), rows }],
    notes: notes.notes(options.columns),
  };
}

const TABLE1_COLUMNS = ['ACC', 'F1', 'MAE'] as const;
const TABLE23_COLUMNS = ['ACC', 'Corr', 'F1', 'MAE'] as const;

export function buildTable1(members: SweepMember[], sweep: string): ResultTable | undefined {
  return buildModelsByPairs(members, {
    name: 'table1',
    title: 'Table 1: Domain generalization, target test metrics',
    crossDomain: true,
    columns: TABLE1_COLUMNS,
    sweep,
  });
}

export function buildTable3(members: SweepMember[], sweep: string): ResultTable | undefined {
  return buildModelsByPairs(members, {
    name: 'table3',
    title: 'Table 3: In-domain results, trained and tested on the same dataset',
    crossDomain: false,
    columns: TABLE23_COLUMNS,
    sweep,
  });
}

/**
 * Among the configs of one model and pair, the set that differs only in `key`, covering the most values of it
 * (then the most finished runs): an ablation row compares like with like.
 */
function comparableSet(groups: RunGroup[], key: string): Map<string, RunGroup> {
  const families = groupBy(groups, (group) => canonicalJson({ ...group.config, [key]: null }));
  let best: { members: RunGroup[]; covered: number; done: number } | undefined;
  for (const members of families.values()) {
    const covered = members.filter((group) => group.runs.some(isDone)).length;
    const done = members.reduce((sum, group) => sum + group.runs.filter(isDone).length, 0);
    if (!best || covered > best.covered || (covered === best.covered && done > best.done)) best = { members, covered, done };
  }
  const valueOf = key === 'modalities' ? modalitiesOf : ablationOf;
  return new Map((best?.members ?? []).map((group) => [valueOf(group.config), group]));
}

/** One block per model: rows are the settings of `key`, columns the pairs that vary it. */
function buildVariantBlocks(
  runs: RunRecord[],
  key: 'ablation' | 'modalities',
  rowsSpec: { value: string; labels: string[] }[],
  rowHeader: string[],
  notes: NotesCollector,
  label: (name: string) => string,
): TableBlock[] {
  const valueOf = key === 'modalities' ? modalitiesOf : ablationOf;
  const baseline = key === 'modalities' ? ALL_MODALITIES : 'none';
  const blocks: TableBlock[] = [];
  const byModel = groupBy(groupByConfig(runs), (group) => group.model);
  for (const model of [...byModel.keys()].sort(modelOrder)) {
    const byPair = groupBy(byModel.get(model)!, (group) => pairId(group.source, group.target));
    const pairs: { label: string; variants: Map<string, RunGroup> }[] = [];
    for (const groups of byPair.values()) {
      // Only pairs where the key was actually varied.
      if (!groups.some((group) => valueOf(group.config) !== baseline)) continue;
      const { source, target } = groups[0]!;
      pairs.push({ label: source === target ? label(source) : `${label(source)}→${label(target)}`, variants: comparableSet(groups, key) });
    }
    if (pairs.length === 0) continue;
    pairs.sort((a, b) => a.label.localeCompare(b.label));
    const present = rowsSpec.filter((row) => pairs.some((pair) => pair.variants.has(row.value)));
    const rows: TableRow[] = present.map((row) => ({
      key: row.value,
      labels: row.labels,
      cells: pairs.flatMap((pair) => {
        const group = pair.variants.get(row.value);
        if (!group) return splitCell(emptyCell(TABLE23_COLUMNS));
        notes.use(group.runs);
        notes.missingRuns(`${model} ${pair.label} ${key}=${row.value}`, group.runs);
        return splitCell(cellOf(group.runs, TABLE23_COLUMNS));
      }),
    }));
    for (const pair of pairs) {
      const absent = present.filter((row) => !pair.variants.has(row.value)).map((row) => row.value);
      if (absent.length > 0) notes.missing.push(`${model} ${pair.label}: no runs with ${key} ${absent.join(', ')} (comparable to the other rows).`);
    }
    markBestPerColumn(rows);
    blocks.push({
      title: `${key === 'ablation' ? 'Module ablation' : 'Modality ablation'} — ${model}`,
      rowHeader,
      groups: pairs.map((pair) => columnsGroup(pair.label, TABLE23_COLUMNS)),
      rows,
    });
  }
  return blocks;
}

export function buildTable2(members: SweepMember[], sweep: string): ResultTable | undefined {
  const runs = uniqueRuns(members);
  const label = datasetLabeler(runs.flatMap((run) => [run.source, run.target]));
  const notes = new NotesCollector();
  const ablationBlocks = buildVariantBlocks(
    runs.filter((run) => modalitiesOf(run.config) === ALL_MODALITIES),
    'ablation',
    ABLATION_ROWS.map((row) => ({ value: row.value, labels: [row.moie ? TICK : CROSS, row.adapter ? TICK : CROSS] })),
    ['MoIE', 'CM-Adapter'],
    notes,
    label,
  );
  const modalityBlocks = buildVariantBlocks(
    runs.filter((run) => ablationOf(run.config) === 'none'),
    'modalities',
    MODALITY_ROWS.map((row) => ({ value: row.value, labels: [row.label] })),
    ['Modalities'],
    notes,
    label,
  );
  const blocks = [...ablationBlocks, ...modalityBlocks];
  if (blocks.length === 0) return undefined;
  return {
    name: 'table2',
    title: `Table 2: Ablations (sweep ${sweep})`,
    caption: 'Within a pair, the rows differ only in the ablated modules (or the modalities used); all other config is the same.',
    blocks,
    notes: notes.notes(TABLE23_COLUMNS),
  };
}

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
  for (const id of [...byModelPair.keys()].sort()) {
    const [model, source, target] = JSON.parse(id) as [string, string, string];
    const pair = source === target ? label(source) : `${label(source)}→${label(target)}`;
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
      title: `${model} ${pair}`,
      rowHeader: rowKeys,
      groups: columnKey
        ? [{ label: columnKey, columns: columnValues.map((value) => ({ label: String(value), header: `${columnKey}=${String(value)}` })) }]
        : [columnsGroup('', GRID_COLUMNS)],
      rows,
    });
  }
  return {
    name: `grid-${keys.join('-')}`,
    title: `Grid over ${keys.join(' × ')} (sweep ${sweep})`,
    caption:
      (keys.length > 1 ? 'Each cell: target ACC / target MAE. ' : '') +
      'Bold: the best target value in the grid; †: the setting with the best mean source-validation MAE (the one a training-domain selection would pick).',
    blocks,
    notes: notes.notes(GRID_COLUMNS),
  };
}

/** Every table the sweep has runs for: 1, 2, 3, then a grid per swept key group. */
export function buildAllTables(members: SweepMember[], sweep: string): ResultTable[] {
  return [
    buildTable1(members, sweep),
    buildTable2(members, sweep),
    buildTable3(members, sweep),
    ...gridKeyGroups(members).map((keys) => buildGridTable(members, keys, sweep)),
  ].filter((table): table is ResultTable => table !== undefined);
}
