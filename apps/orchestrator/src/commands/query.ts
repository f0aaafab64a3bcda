import type { Argv, CommandModule } from 'yargs';
import { openStore, RUN_STATUSES, type EpochLogRecord, type ResultsReader, type RunDetail, type RunFilter, type RunRecord, type RunStatus, type SqlResult } from '../db';
import { runCommand } from '../errors';
import { splitPair } from '../sweep/spec';
import { displayValue, toCsv, toTextTable } from '../tables/format';
import { HEADLINE_COLUMNS, formatHeadline, headlineValues } from '../tables/headline';

const DEFAULT_DB = 'results/midg.sqlite';
const STATUSES = RUN_STATUSES;
type ListFormat = 'table' | 'csv' | 'json';

interface QueryArgs {
  db: string;
  format: ListFormat;
  sweep?: string;
  study?: string;
  model?: string;
  source?: string;
  target?: string;
  pair?: string;
  seed?: number;
  status?: RunStatus;
  where?: string[];
  sql?: string;
  epochs?: boolean;
}

interface ShowArgs {
  db: string;
  run: string;
  format: 'text' | 'json';
}

/** `S->T` (or `S→T`) into source and target. */
export function parsePair(text: string): { source: string; target: string } {
  const pair = splitPair(text);
  if (!pair) throw new Error(`bad --pair "${text}": expected SOURCE->TARGET`);
  return pair;
}

/** `key=value` strings into a filter on resolved config values. */
export function parseWhere(pairs: string[]): Record<string, string> {
  const where: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`bad --where "${pair}": expected key=value, e.g. experts=4`);
    where[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return where;
}

function filterOf(args: QueryArgs): RunFilter {
  const pair = args.pair ? parsePair(args.pair) : undefined;
  for (const side of ['source', 'target'] as const) {
    if (pair && args[side] !== undefined && args[side] !== pair[side]) throw new Error(`--pair and --${side} disagree`);
  }
  const filter: RunFilter = { where: parseWhere(args.where ?? []) };
  const source = pair?.source ?? args.source;
  const target = pair?.target ?? args.target;
  if (args.sweep !== undefined) filter.sweep = args.sweep;
  if (args.study !== undefined) filter.study = args.study;
  if (args.model !== undefined) filter.model = args.model;
  if (source !== undefined) filter.source = source;
  if (target !== undefined) filter.target = target;
  if (args.seed !== undefined) filter.seed = args.seed;
  if (args.status !== undefined) filter.status = args.status;
  return filter;
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return minutes < 60 ? `${minutes}m${String(seconds).padStart(2, '0')}s` : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

function runsAsText(runs: RunRecord[]): string {
  const header = ['id', 'key', 'model', 'source→target', 'seed', 'status', ...HEADLINE_COLUMNS, 'duration'];
  const rows = runs.map((run) => {
    const headline = headlineValues(run.target, run.test);
    return [
      String(run.id),
      run.key,
      run.model,
      `${run.source}→${run.target}`,
      String(run.seed),
      run.status,
      ...HEADLINE_COLUMNS.map((column) => formatHeadline(column, headline[column])),
      formatDuration(run.durationMs),
    ];
  });
  return toTextTable(header, rows);
}

/** One flat row per run: identity, state, then every resolved config key and every metric as its own column. */
function runsAsCsv(runs: RunRecord[]): string {
  const configKeys = [...new Set(runs.flatMap((run) => Object.keys(run.config)))].sort();
  const testKeys = [...new Set(runs.flatMap((run) => Object.keys(run.test)))].sort();
  const validKeys = [...new Set(runs.flatMap((run) => Object.keys(run.valid)))].sort();
  const header = [
    'id', 'key', 'model', 'source', 'target', 'seed', 'status', 'attempts', 'durationMs', 'bestEpoch', 'epochsRun', 'backend', 'peakRssBytes',
    ...configKeys.map((key) => `config.${key}`),
    ...testKeys.map((key) => `test.${key}`),
    ...validKeys.map((key) => `valid.${key}`),
  ];
  const rows = runs.map((run) => [
    run.id, run.key, run.model, run.source, run.target, run.seed, run.status, run.attempts, run.durationMs, run.bestEpoch, run.epochsRun, run.backend, run.peakRssBytes,
    ...configKeys.map((key) => run.config[key]),
    ...testKeys.map((key) => run.test[key]),
    ...validKeys.map((key) => run.valid[key]),
  ]);
  return toCsv(header, rows);
}

/** NaN is not JSON; metric values that are NaN become null. */
function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

function sqlOutput(result: SqlResult, format: ListFormat): string {
  if (format === 'csv') return toCsv(result.columns, result.rows);
  if (format === 'json') {
    // Repeated column names (a join's two `id`s) get a suffix rather than overwriting each other.
    const names = result.columns.map((name, index) => (result.columns.indexOf(name) === index ? name : `${name}:${index}`));
    return toJson(result.rows.map((row) => Object.fromEntries(names.map((name, index) => [name, row[index] ?? null]))));
  }
  return toTextTable(result.columns, result.rows.map((row) => row.map(displayValue)));
}

/**
 * The per-epoch log columns the given epochs have: every loss part (`loss.total`, `loss.discAcc`, `loss.env`, ...) and
 * every diagnostic a model's onEpochEnd reported (`diag.<name>`), each only when some epoch has it.
 */
function epochColumns(epochs: EpochLogRecord[]): { losses: string[]; diagnostics: string[] } {
  return {
    losses: [...new Set(epochs.flatMap((epoch) => Object.keys(epoch.losses)))],
    diagnostics: [...new Set(epochs.flatMap((epoch) => Object.keys(epoch.diagnostics ?? {})))],
  };
}

const fixed4 = (value: number | undefined): string => (value === undefined ? '' : value.toFixed(4));

/** The epoch log of one or more runs as text rows, with a leading run id column when `withRun`. */
function epochTable(details: RunDetail[], withRun: boolean): string {
  const { losses, diagnostics } = epochColumns(details.flatMap((detail) => detail.epochs));
  const header = [
    ...(withRun ? ['run'] : []),
    'attempt',
    'epoch',
    ...losses.map((name) => `loss.${name}`),
    ...diagnostics.map((name) => `diag.${name}`),
    'valid MAE',
    'samples/s',
  ];
  const rows = details.flatMap((detail) =>
    detail.epochs.map((epoch) => [
      ...(withRun ? [String(detail.run.id)] : []),
      String(epoch.attempt),
      `${epoch.epoch}/${epoch.maxEpochs}`,
      ...losses.map((name) => fixed4(epoch.losses[name])),
      ...diagnostics.map((name) => fixed4(epoch.diagnostics?.[name])),
      fixed4(epoch.valid.MAE),
      epoch.samplesPerSecond === null ? '' : epoch.samplesPerSecond.toFixed(0),
    ]),
  );
  return toTextTable(header, rows);
}

/** One flat CSV row per logged epoch, with the run's identity. */
function epochsAsCsv(details: RunDetail[]): string {
  const epochs = details.flatMap((detail) => detail.epochs);
  const { losses, diagnostics } = epochColumns(epochs);
  const validKeys = [...new Set(epochs.flatMap((epoch) => Object.keys(epoch.valid)))].sort();
  const header = [
    'runId', 'key', 'model', 'source', 'target', 'seed', 'attempt', 'epoch', 'maxEpochs',
    ...losses.map((name) => `loss.${name}`),
    ...diagnostics.map((name) => `diag.${name}`),
    ...validKeys.map((name) => `valid.${name}`),
    'learningRate', 'samplesPerSecond',
  ];
  const rows = details.flatMap(({ run, epochs: log }) =>
    log.map((epoch) => [
      run.id, run.key, run.model, run.source, run.target, run.seed, epoch.attempt, epoch.epoch, epoch.maxEpochs,
      ...losses.map((name) => epoch.losses[name]),
      ...diagnostics.map((name) => epoch.diagnostics?.[name]),
      ...validKeys.map((name) => epoch.valid[name]),
      epoch.learningRate, epoch.samplesPerSecond,
    ]),
  );
  return toCsv(header, rows);
}

/** `--epochs`: the epoch log of every matching run (losses, discriminator accuracy, penalties, diagnostics). */
function epochsOutput(details: RunDetail[], format: ListFormat): string {
  if (format === 'csv') return epochsAsCsv(details);
  if (format === 'json') return toJson(details.map(({ run, epochs }) => ({ id: run.id, key: run.key, model: run.model, source: run.source, target: run.target, seed: run.seed, epochs })));
  const logged = details.filter((detail) => detail.epochs.length > 0);
  const runs = toTextTable(
    ['run', 'key', 'model', 'source→target', 'seed', 'status'],
    details.map(({ run }) => [String(run.id), run.key, run.model, `${run.source}→${run.target}`, String(run.seed), run.status]),
  );
  return `${runs}\n${logged.length > 0 ? epochTable(logged, true) : 'no epochs logged\n'}`;
}

function formatDate(date: Date | null): string {
  return date ? date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-';
}

function metricLines(metrics: Record<string, number>): string[] {
  const names = Object.keys(metrics).sort();
  return names.length === 0 ? ['  (none)'] : names.map((name) => `  ${name.padEnd(16)} ${metrics[name]!.toFixed(4)}`);
}

/** Everything about one run as readable text. */
export function describeRun(detail: RunDetail): string {
  const { run } = detail;
  const lines = [
    `run ${run.id}  key ${run.key}`,
    `  model ${run.model}  ${run.source} → ${run.target}  seed ${run.seed}`,
    `  status ${run.status}  attempts ${run.attempts}  exit ${run.exitCode ?? '-'}${run.signal ? `  signal ${run.signal}` : ''}`,
    `  created ${formatDate(run.createdAt)}  started ${formatDate(run.startedAt)}  finished ${formatDate(run.finishedAt)}  duration ${formatDuration(run.durationMs) || '-'}`,
    `  backend ${run.backend ?? '-'}  host ${run.host ?? '-'}  git ${run.gitCommit ?? '-'}${run.gitDirty ? ' (dirty)' : ''}`,
  ];
  if (run.packageVersions) lines.push(`  packages ${Object.entries(run.packageVersions).map(([name, version]) => `${name}@${version}`).join(' ')}`);
  if (run.bestEpoch !== null) lines.push(`  best epoch ${run.bestEpoch} of ${run.epochsRun ?? '?'}`);
  if (run.expertUsage) lines.push(`  expert usage ${run.expertUsage.map((usage) => usage.toFixed(3)).join(' ')}`);
  lines.push('', 'config (* = set by the sweep/spec):');
  for (const key of Object.keys(run.config).sort()) lines.push(`  ${key in run.overrides ? '*' : ' '} ${key} = ${String(run.config[key])}`);
  lines.push('', 'target test metrics:', ...metricLines(run.test), '', 'source valid metrics (selected epoch):', ...metricLines(run.valid));
  if (run.peakRssBytes !== null) lines.push(`  peak RSS ${(run.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
  if (run.testPredictions) lines.push(`  test predictions kept (${run.testPredictions.predictions.length} samples)`);
  if (detail.epochs.length > 0) {
    lines.push('', 'epochs:', ...epochTable([detail], false).trimEnd().split('\n').map((line) => `  ${line}`));
  }
  if (run.failures.length > 0 || run.stderrTail) {
    lines.push('', 'failures:');
    for (const failure of run.failures) {
      lines.push(`  attempt ${failure.attempt} at ${failure.at}: exit ${failure.exitCode ?? '-'}${failure.signal ? ` signal ${failure.signal}` : ''} after ${formatDuration(failure.durationMs)}`);
      for (const line of failure.stderrTail.trimEnd().split('\n').slice(-10)) lines.push(`    | ${line}`);
    }
  }
  lines.push('', 'artifacts:', ...(detail.artifacts.length === 0 ? ['  (none)'] : detail.artifacts.map((a) => `  ${a.kind}  ${a.path}`)));
  lines.push('', 'sweeps:', ...detail.memberships.map((m) => `  ${m.sweep}  study ${m.study}${Object.keys(m.grid).length ? `  grid ${Object.entries(m.grid).map(([k, v]) => `${k}=${String(v)}`).join(' ')}` : ''}`));
  return `${lines.join('\n')}\n`;
}

async function withStore<T>(db: string, body: (store: ResultsReader) => Promise<T>): Promise<T> {
  const store = await openStore(db, { readonly: true });
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

const FILTERS = ['sweep', 'study', 'model', 'source', 'target', 'pair', 'seed', 'status', 'where'];

const showCommand: CommandModule<object, ShowArgs> = {
  command: 'show <run>',
  describe: 'print one run fully: config, metrics, epoch log, failures, artifacts',
  builder: (y: Argv) =>
    y
      .positional('run', { type: 'string', describe: 'run id, key, or a unique key prefix', demandOption: true })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'readable text, or everything as JSON' })
      .example('$0 query show 12', 'run number 12')
      .example('$0 query show 3f9a', 'the run whose key starts with 3f9a') as unknown as Argv<ShowArgs>,
  handler: (args) =>
    runCommand(() =>
      withStore(args.db, async (store) => {
        const detail = await store.getRunDetail(args.run);
        if (!detail) throw new Error(`no run with id or key "${args.run}" in ${args.db}`);
        process.stdout.write(args.format === 'json' ? toJson(detail) : describeRun(detail));
      }),
    ),
};

const listCommand: CommandModule<object, QueryArgs> = {
  command: '$0',
  describe: 'list runs (filtered), or run a read-only SQL statement',
  builder: (y: Argv) =>
    y
      .option('sweep', { type: 'string', describe: 'runs linked to this sweep' })
      .option('study', { type: 'string', describe: 'runs of this study block (table1, ablation, experts, ...)' })
      .option('model', { type: 'string', describe: 'runs of this model (midg, late-fusion, ...)' })
      .option('source', { type: 'string', describe: 'source dataset name as stored, e.g. synth:mosi:tiny' })
      .option('target', { type: 'string', describe: 'target dataset name as stored' })
      .option('pair', { type: 'string', describe: 'SOURCE->TARGET' })
      .option('seed', { type: 'number', describe: 'runs with this seed' })
      .option('status', { choices: STATUSES, describe: 'runs in this state' })
      .option('where', { type: 'string', array: true, describe: 'resolved config key=value (repeatable), e.g. experts=4' })
      .option('format', { choices: ['table', 'csv', 'json'] as const, default: 'table' as const, describe: 'csv/json export everything' })
      .option('epochs', { type: 'boolean', describe: 'print the epoch log of the matching runs: losses, discriminator accuracy (loss.discAcc), environment penalty (loss.env), diagnostics (diag.*)' })
      .option('sql', { type: 'string', describe: 'run one read-only SQL statement instead (tables: sweep, run, sweep_run, metric, epoch_log, artifact; on PostgreSQL quote camelCase columns: "runId")' })
      .conflicts('sql', [...FILTERS, 'epochs'])
      .example('$0 query --sweep paper --status failed', 'what failed in the sweep "paper"')
      .example('$0 query --pair synth:mosi:tiny->synth:sims:tiny --where experts=4 --format csv', 'export one pair at K = 4')
      .example('$0 query --model midg --seed 1111 --epochs', 'per-epoch losses, discriminator accuracy and penalties')
      .example('$0 query show 12', 'everything about run 12')
      .example(`$0 query --sql "SELECT model, COUNT(*) FROM run GROUP BY model"`, 'ad-hoc SQL (read-only)') as unknown as Argv<QueryArgs>,
  handler: (args) =>
    runCommand(async () => {
      if (args.sql !== undefined) {
        const sql = args.sql;
        await withStore(args.db, async (store) => process.stdout.write(sqlOutput(await store.sql(sql), args.format)));
        return;
      }
      const filter = filterOf(args);
      await withStore(args.db, async (store) => {
        const runs = await store.findRuns(filter);
        if (args.epochs) {
          if (runs.length === 0) process.stderr.write('no runs match\n');
          else process.stdout.write(epochsOutput(await Promise.all(runs.map(async (run) => (await store.getRunDetail(String(run.id)))!)), args.format));
          return;
        }
        if (args.format === 'json') process.stdout.write(toJson(runs));
        else if (args.format === 'csv') process.stdout.write(runsAsCsv(runs));
        else if (runs.length === 0) process.stderr.write('no runs match\n');
        else process.stdout.write(runsAsText(runs));
      });
    }),
};

export const queryCommand: CommandModule = {
  command: 'query',
  describe: 'list and inspect runs in the results database',
  builder: (y: Argv) =>
    y
      .option('db', { type: 'string', default: DEFAULT_DB, describe: 'results database: an SQLite file or a postgresql:// URL' })
      .command(showCommand)
      .command(listCommand),
  handler: () => {},
};

