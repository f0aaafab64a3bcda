import type { ConfigRecord, ConfigValue, MetricRecord, SplitPredictions, TrainResult } from '@midg/trainer';

// What the results store hands out and takes in, whatever keeps it (memory, SQLite, PostgreSQL).

export type RunStatus = 'pending' | 'running' | 'done' | 'failed';
export type SweepStatus = 'running' | 'done' | 'failed' | 'interrupted';
export const RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'done', 'failed'];

/** Where and from what code a run is executed: recorded on every run as it starts. */
export interface RunHostInfo {
  host: string;
  gitCommit: string | null;
  gitDirty: boolean;
  packageVersions: Record<string, string>;
}

/** The process that runs a sweep right now; a sweep has at most one live owner (see ResultsWriter). */
export interface SweepOwner {
  host: string;
  pid: number;
  /** Unique per process (a random id), so that two processes with the same pid on two hosts differ. */
  token: string;
}

export interface RunFailure {
  exitCode: number | null;
  signal: string | null;
  stderrTail: string;
  durationMs: number;
  attempt: number;
  final: boolean;
  /** Why, in one line, when the executor knows better than the exit code (e.g. Slurm's `TIMEOUT`). */
  reason?: string | null;
}

/** One failed attempt as kept in the run's history. */
export interface AttemptFailure {
  attempt: number;
  exitCode: number | null;
  signal: string | null;
  stderrTail: string;
  durationMs: number;
  reason?: string | null;
  at: string;
}

export interface SweepRecord {
  id: number;
  name: string;
  specPath: string;
  spec: unknown;
  status: SweepStatus;
  startedAt: Date;
  finishedAt: Date | null;
  /** The executor of the latest process that ran the sweep (`local`, `slurm`), null before the first. */
  executor: string | null;
}

export interface RunRecord {
  id: number;
  key: string;
  model: string;
  source: string;
  target: string;
  seed: number;
  config: ConfigRecord;
  overrides: ConfigRecord;
  status: RunStatus;
  attempts: number;
  exitCode: number | null;
  signal: string | null;
  stderrTail: string | null;
  failures: AttemptFailure[];
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  backend: string | null;
  host: string | null;
  gitCommit: string | null;
  gitDirty: boolean | null;
  packageVersions: Record<string, string> | null;
  bestEpoch: number | null;
  epochsRun: number | null;
  expertUsage: number[] | null;
  /** What test-time adaptation reported (adapting models only). */
  adaptation: unknown;
  /** Target test metrics (empty until the run is done). */
  test: MetricRecord;
  /** Source validation metrics of the selected epoch. */
  valid: MetricRecord;
  /** The target test split's predictions and labels behind `test` (null for runs recorded before they were kept). */
  testPredictions: SplitPredictions | null;
  /** The worker process's peak resident set size in bytes (null when the worker did not report it). */
  peakRssBytes: number | null;
}

/** A run as a member of a sweep: which study block produced it and its swept values there. */
export interface SweepMember {
  run: RunRecord;
  study: string;
  grid: Record<string, ConfigValue>;
}

export interface EpochLogRecord {
  attempt: number;
  epoch: number;
  maxEpochs: number;
  losses: Record<string, number>;
  valid: MetricRecord;
  samplesPerSecond: number | null;
  learningRate: number | null;
  diagnostics: Record<string, number> | null;
  createdAt: Date;
}

export interface ArtifactRecord {
  kind: string;
  path: string;
  createdAt: Date;
}

export interface Membership {
  sweep: string;
  study: string;
  grid: Record<string, ConfigValue>;
}

/** Everything recorded about one run; also the unit `midg db copy` moves between stores. */
export interface RunDetail {
  run: RunRecord;
  memberships: Membership[];
  epochs: EpochLogRecord[];
  artifacts: ArtifactRecord[];
}

/** Run filters of `midg query`; every given field must match. */
export interface RunFilter {
  sweep?: string;
  study?: string;
  model?: string;
  source?: string;
  target?: string;
  seed?: number;
  status?: RunStatus;
  /** Resolved config key → wanted value as text (`experts` → `4`), compared with the key's own type. */
  where?: Record<string, string>;
}

export interface SqlResult {
  columns: string[];
  /** Rows as arrays, in column order (names may repeat, e.g. two joined `id`s). */
  rows: unknown[][];
}

/**
 * What of a result's per-run evidence the store keeps: test predictions only when they are two equally long arrays of
 * finite numbers, the peak RSS only as a whole number of bytes >= 0. A worker other than `midg train` (MIDG_WORKER_COMMAND)
 * may send anything; a malformed field is dropped rather than stored.
 */
export function runEvidenceOf(result: Pick<TrainResult, 'testPredictions' | 'peakRssBytes'>): { testPredictions: SplitPredictions | null; peakRssBytes: number | null } {
  const finiteNumbers = (values: unknown): values is number[] => Array.isArray(values) && values.every((value) => typeof value === 'number' && Number.isFinite(value));
  const predictions = result.testPredictions;
  const wellFormed =
    typeof predictions === 'object' && predictions !== null && finiteNumbers(predictions.predictions) && finiteNumbers(predictions.labels) && predictions.predictions.length === predictions.labels.length;
  const rss = result.peakRssBytes;
  return {
    testPredictions: wellFormed ? { predictions: predictions.predictions, labels: predictions.labels } : null,
    peakRssBytes: typeof rss === 'number' && Number.isFinite(rss) && rss >= 0 ? Math.round(rss) : null,
  };
}

export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  return text === null || text === undefined ? fallback : (JSON.parse(text) as T);
}

/** True when a config value equals a value typed on the command line (`4` matches 4 and 4.0; `true` matches true). */
export function configValueMatches(actual: ConfigValue | undefined, wanted: string): boolean {
  if (actual === undefined) return false;
  if (typeof actual === 'number') return wanted.trim() !== '' && Number(wanted) === actual;
  return String(actual) === wanted;
}

/** True when the run's resolved config matches every `where` entry of the filter. */
export function matchesWhere(config: ConfigRecord, where: Record<string, string> | undefined): boolean {
  return Object.entries(where ?? {}).every(([key, wanted]) => configValueMatches(config[key], wanted));
}

/** How much an outcome is worth when two stores disagree about a run (`midg db copy`): done > failed > the rest. */
export function statusRank(status: RunStatus): number {
  return { done: 2, failed: 1, running: 0, pending: 0 }[status];
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
