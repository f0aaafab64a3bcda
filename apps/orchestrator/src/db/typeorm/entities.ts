import { EntitySchema } from 'typeorm';
import type { MetricRecord, SplitPredictions } from '@midg/trainer';
import {
  parseJson,
  type AttemptFailure,
  type RunRecord,
  type RunStatus,
  type SweepRecord,
  type SweepStatus,
} from '../records';

// The tables of the results store and their mapping to records, for both SQL dialects.
//
// Entities are EntitySchemas rather than decorated classes: tsx picks up `experimentalDecorators` only when it finds
// the tsconfig, which it does not when `midg` runs from another directory, and it cannot emit decorator metadata anyway.
// Every column names its type (TypeORM cannot infer one under tsx). Two types have no spelling valid in both dialects:
// floats ('real' is a double in SQLite but a float4 in PostgreSQL) and timestamps ('datetime' exists in SQLite only);
// COLUMN_TYPES picks them per dialect, everything else is the same. The schema is created by the hand-written
// migrations of each dialect, and a test checks that TypeORM finds nothing to change between them and these entities.

export type Dialect = 'sqlite' | 'postgres';

const COLUMN_TYPES = {
  sqlite: { float: 'real', time: 'datetime', bigInteger: 'integer' },
  postgres: { float: 'double precision', time: 'timestamp with time zone', bigInteger: 'bigint' },
} as const;

/** node-postgres hands bigint columns out as strings (they may exceed 2^53); byte counts do not, so they are numbers. */
const BIG_INTEGER_AS_NUMBER = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

export type MetricSplit = 'test' | 'valid';

export interface SweepRow {
  id: number;
  name: string;
  specPath: string;
  specJson: string;
  status: SweepStatus;
  startedAt: Date;
  finishedAt: Date | null;
  executor: string | null;
  /** What the executor keeps to find its work after a crash (Slurm job ids), JSON. */
  executorStateJson: string | null;
  ownerHost: string | null;
  ownerPid: number | null;
  ownerToken: string | null;
  heartbeatAt: Date | null;
}

export interface RunRow {
  id: number;
  key: string;
  model: string;
  source: string;
  target: string;
  seed: number;
  configJson: string;
  overridesJson: string;
  status: RunStatus;
  attempts: number;
  exitCode: number | null;
  signal: string | null;
  stderrTail: string | null;
  /** Every failed attempt so far (JSON array), so a run that succeeded on retry still shows why it failed before. */
  failuresJson: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  backend: string | null;
  host: string | null;
  gitCommit: string | null;
  gitDirty: boolean | null;
  packageVersionsJson: string | null;
  bestEpoch: number | null;
  epochsRun: number | null;
  expertUsageJson: string | null;
  adaptationJson: string | null;
  /** The sweep whose process may write this run's attempts (see ResultsWriter, rule 4). */
  claimedBy: number | null;
  /** SplitPredictions of the target test split (JSON). */
  testPredictionsJson: string | null;
  peakRssBytes: number | null;
}

export interface SweepRunRow {
  id: number;
  sweepId: number;
  runId: number;
  study: string;
  gridJson: string;
}

export interface MetricRow {
  id: number;
  runId: number;
  split: MetricSplit;
  name: string;
  /** NULL stands for NaN (SQLite stores NaN as NULL), e.g. the correlation of constant predictions. */
  value: number | null;
}

export interface EpochLogRow {
  id: number;
  runId: number;
  attempt: number;
  epoch: number;
  maxEpochs: number;
  lossesJson: string;
  validJson: string;
  samplesPerSecond: number | null;
  learningRate: number | null;
  diagnosticsJson: string | null;
  createdAt: Date;
}

export interface ArtifactRow {
  id: number;
  runId: number;
  kind: string;
  path: string;
  createdAt: Date;
}

export interface Entities {
  dialect: Dialect;
  Sweep: EntitySchema<SweepRow>;
  Run: EntitySchema<RunRow>;
  SweepRun: EntitySchema<SweepRunRow>;
  Metric: EntitySchema<MetricRow>;
  EpochLog: EntitySchema<EpochLogRow>;
  Artifact: EntitySchema<ArtifactRow>;
  all: EntitySchema<any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const id = { type: 'integer', primary: true, generated: 'increment' } as const;
function runReference(table: string) {
  return { type: 'integer', foreignKey: { target: 'Run', name: `FK_${table}_run`, onDelete: 'CASCADE' } } as const;
}

/** The entities with the column types of a dialect. */
export function entitiesFor(dialect: Dialect): Entities {
  const { float, time, bigInteger } = COLUMN_TYPES[dialect];
  const Sweep = new EntitySchema<SweepRow>({
    name: 'Sweep',
    tableName: 'sweep',
    columns: {
      id,
      name: { type: 'varchar' },
      specPath: { type: 'varchar' },
      specJson: { type: 'text' },
      status: { type: 'varchar' },
      startedAt: { type: time },
      finishedAt: { type: time, nullable: true },
      executor: { type: 'varchar', nullable: true },
      executorStateJson: { type: 'text', nullable: true },
      ownerHost: { type: 'varchar', nullable: true },
      ownerPid: { type: 'integer', nullable: true },
      ownerToken: { type: 'varchar', nullable: true },
      heartbeatAt: { type: time, nullable: true },
    },
    uniques: [{ name: 'UQ_sweep_name', columns: ['name'] }],
  });

  const Run = new EntitySchema<RunRow>({
    name: 'Run',
    tableName: 'run',
    columns: {
      id,
      key: { type: 'varchar' },
      model: { type: 'varchar' },
      source: { type: 'varchar' },
      target: { type: 'varchar' },
      seed: { type: 'integer' },
      configJson: { type: 'text' },
      overridesJson: { type: 'text' },
      status: { type: 'varchar' },
      attempts: { type: 'integer' },
      exitCode: { type: 'integer', nullable: true },
      signal: { type: 'varchar', nullable: true },
      stderrTail: { type: 'text', nullable: true },
      failuresJson: { type: 'text' },
      createdAt: { type: time },
      startedAt: { type: time, nullable: true },
      finishedAt: { type: time, nullable: true },
      durationMs: { type: 'integer', nullable: true },
      backend: { type: 'varchar', nullable: true },
      host: { type: 'varchar', nullable: true },
      gitCommit: { type: 'varchar', nullable: true },
      gitDirty: { type: 'boolean', nullable: true },
      packageVersionsJson: { type: 'text', nullable: true },
      bestEpoch: { type: 'integer', nullable: true },
      epochsRun: { type: 'integer', nullable: true },
      expertUsageJson: { type: 'text', nullable: true },
      adaptationJson: { type: 'text', nullable: true },
      claimedBy: { type: 'integer', nullable: true },
      testPredictionsJson: { type: 'text', nullable: true },
      peakRssBytes: { type: bigInteger, nullable: true, transformer: BIG_INTEGER_AS_NUMBER },
    },
    uniques: [{ name: 'UQ_run_key', columns: ['key'] }],
    indices: [{ name: 'IDX_run_status', columns: ['status'] }],
  });

  const SweepRun = new EntitySchema<SweepRunRow>({
    name: 'SweepRun',
    tableName: 'sweep_run',
    columns: {
      id,
      sweepId: { type: 'integer', foreignKey: { target: 'Sweep', name: 'FK_sweep_run_sweep', onDelete: 'CASCADE' } },
      runId: runReference('sweep_run'),
      study: { type: 'varchar' },
      gridJson: { type: 'text' },
    },
    // One run can serve several studies of the same sweep (the default-config run is also the ablation's "none" row).
    uniques: [{ name: 'UQ_sweep_run_link', columns: ['sweepId', 'runId', 'study'] }],
    indices: [{ name: 'IDX_sweep_run_run', columns: ['runId'] }],
  });

  const Metric = new EntitySchema<MetricRow>({
    name: 'Metric',
    tableName: 'metric',
    columns: {
      id,
      runId: runReference('metric'),
      split: { type: 'varchar' },
      name: { type: 'varchar' },
      value: { type: float, nullable: true },
    },
    uniques: [{ name: 'UQ_metric_run_split_name', columns: ['runId', 'split', 'name'] }],
  });

  const EpochLog = new EntitySchema<EpochLogRow>({
    name: 'EpochLog',
    tableName: 'epoch_log',
    columns: {
      id,
      runId: runReference('epoch_log'),
      attempt: { type: 'integer' },
      epoch: { type: 'integer' },
      maxEpochs: { type: 'integer' },
      lossesJson: { type: 'text' },
      validJson: { type: 'text' },
      samplesPerSecond: { type: float, nullable: true },
      learningRate: { type: float, nullable: true },
      diagnosticsJson: { type: 'text', nullable: true },
      createdAt: { type: time },
    },
    uniques: [{ name: 'UQ_epoch_log_run_attempt_epoch', columns: ['runId', 'attempt', 'epoch'] }],
  });

  const Artifact = new EntitySchema<ArtifactRow>({
    name: 'Artifact',
    tableName: 'artifact',
    columns: {
      id,
      runId: runReference('artifact'),
      kind: { type: 'varchar' },
      path: { type: 'varchar' },
      createdAt: { type: time },
    },
    uniques: [{ name: 'UQ_artifact_run_kind_path', columns: ['runId', 'kind', 'path'] }],
  });

  return { dialect, Sweep, Run, SweepRun, Metric, EpochLog, Artifact, all: [Sweep, Run, SweepRun, Metric, EpochLog, Artifact] };
}

// ---- rows → records ----

export function toSweepRecord(row: SweepRow): SweepRecord {
  return {
    id: row.id,
    name: row.name,
    specPath: row.specPath,
    spec: parseJson<unknown>(row.specJson, null),
    status: row.status,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    executor: row.executor,
  };
}

export function toRunRecord(row: RunRow, metrics: { test: MetricRecord; valid: MetricRecord }): RunRecord {
  return {
    id: row.id,
    key: row.key,
    model: row.model,
    source: row.source,
    target: row.target,
    seed: row.seed,
    config: parseJson(row.configJson, {}),
    overrides: parseJson(row.overridesJson, {}),
    status: row.status,
    attempts: row.attempts,
    exitCode: row.exitCode,
    signal: row.signal,
    stderrTail: row.stderrTail,
    failures: parseJson<AttemptFailure[]>(row.failuresJson, []),
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    durationMs: row.durationMs,
    backend: row.backend,
    host: row.host,
    gitCommit: row.gitCommit,
    gitDirty: row.gitDirty,
    packageVersions: parseJson<Record<string, string> | null>(row.packageVersionsJson, null),
    bestEpoch: row.bestEpoch,
    epochsRun: row.epochsRun,
    expertUsage: parseJson<number[] | null>(row.expertUsageJson, null),
    adaptation: parseJson<unknown>(row.adaptationJson, null),
    test: metrics.test,
    valid: metrics.valid,
    testPredictions: parseJson<SplitPredictions | null>(row.testPredictionsJson, null),
    peakRssBytes: row.peakRssBytes ?? null,
  };
}

/** The columns of a run row that describe its outcome, from a record (for merging a run from another store). */
export function runRowFromRecord(run: RunRecord): Omit<RunRow, 'id' | 'claimedBy'> {
  return {
    key: run.key,
    model: run.model,
    source: run.source,
    target: run.target,
    seed: run.seed,
    configJson: JSON.stringify(run.config),
    overridesJson: JSON.stringify(run.overrides),
    // A run that was running elsewhere is not running here.
    status: run.status === 'running' ? 'pending' : run.status,
    attempts: run.attempts,
    exitCode: run.exitCode,
    signal: run.signal,
    stderrTail: run.stderrTail,
    failuresJson: JSON.stringify(run.failures),
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.durationMs,
    backend: run.backend,
    host: run.host,
    gitCommit: run.gitCommit,
    gitDirty: run.gitDirty,
    packageVersionsJson: run.packageVersions === null ? null : JSON.stringify(run.packageVersions),
    bestEpoch: run.bestEpoch,
    epochsRun: run.epochsRun,
    expertUsageJson: run.expertUsage === null ? null : JSON.stringify(run.expertUsage),
    adaptationJson: run.adaptation === null || run.adaptation === undefined ? null : JSON.stringify(run.adaptation),
    testPredictionsJson: run.testPredictions ? JSON.stringify(run.testPredictions) : null,
    peakRssBytes: run.peakRssBytes,
  };
}
