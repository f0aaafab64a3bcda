import { EntitySchema } from 'typeorm';

// Entities are EntitySchemas rather than decorated classes: tsx picks up `experimentalDecorators` only when it finds
// the tsconfig, which it does not when `midg` runs from another directory, and it cannot emit decorator metadata anyway.
// Every column names its type. The schema itself is created by the hand-written migrations in ./migrations.

export type RunStatus = 'pending' | 'running' | 'done' | 'failed';
export type SweepStatus = 'running' | 'done' | 'failed' | 'interrupted';
export type MetricSplit = 'test' | 'valid';

export interface SweepRow {
  id: number;
  name: string;
  specPath: string;
  specJson: string;
  status: SweepStatus;
  startedAt: Date;
  finishedAt: Date | null;
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
  createdAt: Date;
}

export interface ArtifactRow {
  id: number;
  runId: number;
  kind: string;
  path: string;
  createdAt: Date;
}

const id = { type: 'integer', primary: true, generated: 'increment' } as const;
function runReference(table: string) {
  return { type: 'integer', foreignKey: { target: 'Run', name: `FK_${table}_run`, onDelete: 'CASCADE' } } as const;
}

export const SweepEntity = new EntitySchema<SweepRow>({
  name: 'Sweep',
  tableName: 'sweep',
  columns: {
    id,
    name: { type: 'varchar' },
    specPath: { type: 'varchar' },
    specJson: { type: 'text' },
    status: { type: 'varchar' },
    startedAt: { type: 'datetime' },
    finishedAt: { type: 'datetime', nullable: true },
  },
  uniques: [{ name: 'UQ_sweep_name', columns: ['name'] }],
});

export const RunEntity = new EntitySchema<RunRow>({
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
    createdAt: { type: 'datetime' },
    startedAt: { type: 'datetime', nullable: true },
    finishedAt: { type: 'datetime', nullable: true },
    durationMs: { type: 'integer', nullable: true },
    backend: { type: 'varchar', nullable: true },
    host: { type: 'varchar', nullable: true },
    gitCommit: { type: 'varchar', nullable: true },
    gitDirty: { type: 'boolean', nullable: true },
    packageVersionsJson: { type: 'text', nullable: true },
    bestEpoch: { type: 'integer', nullable: true },
    epochsRun: { type: 'integer', nullable: true },
    expertUsageJson: { type: 'text', nullable: true },
  },
  uniques: [{ name: 'UQ_run_key', columns: ['key'] }],
  indices: [{ name: 'IDX_run_status', columns: ['status'] }],
});

export const SweepRunEntity = new EntitySchema<SweepRunRow>({
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

export const MetricEntity = new EntitySchema<MetricRow>({
  name: 'Metric',
  tableName: 'metric',
  columns: {
    id,
    runId: runReference('metric'),
    split: { type: 'varchar' },
    name: { type: 'varchar' },
    value: { type: 'real', nullable: true },
  },
  uniques: [{ name: 'UQ_metric_run_split_name', columns: ['runId', 'split', 'name'] }],
});

export const EpochLogEntity = new EntitySchema<EpochLogRow>({
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
    samplesPerSecond: { type: 'real', nullable: true },
    createdAt: { type: 'datetime' },
  },
  uniques: [{ name: 'UQ_epoch_log_run_attempt_epoch', columns: ['runId', 'attempt', 'epoch'] }],
});

export const ArtifactEntity = new EntitySchema<ArtifactRow>({
  name: 'Artifact',
  tableName: 'artifact',
  columns: {
    id,
    runId: runReference('artifact'),
    kind: { type: 'varchar' },
    path: { type: 'varchar' },
    createdAt: { type: 'datetime' },
  },
  uniques: [{ name: 'UQ_artifact_run_kind_path', columns: ['runId', 'kind', 'path'] }],
});

export const ENTITIES = [SweepEntity, RunEntity, SweepRunEntity, MetricEntity, EpochLogEntity, ArtifactEntity];
