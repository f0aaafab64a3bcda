import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DataSource, In, type EntityManager } from 'typeorm';
import type { ConfigRecord, ConfigValue, EpochEvent, MetricRecord, RunSpec, TrainResult } from '@midg/trainer';
import {
  ArtifactEntity,
  ENTITIES,
  EpochLogEntity,
  MetricEntity,
  RunEntity,
  SweepEntity,
  SweepRunEntity,
  type MetricRow,
  type RunRow,
  type RunStatus,
  type SweepRow,
  type SweepStatus,
} from './entities';
import { MIGRATIONS } from './migrations';

export type { RunStatus, SweepStatus } from './entities';

/** How long a writer waits for another process's write transaction before giving up. */
const BUSY_TIMEOUT_MS = 60_000;
/** Keeps `IN (...)` lists well below SQLite's bound-parameter limit. */
const ID_CHUNK = 5_000;

export interface RunHostInfo {
  host: string;
  gitCommit: string | null;
  gitDirty: boolean;
  packageVersions: Record<string, string>;
}

export interface RunFailure {
  exitCode: number | null;
  signal: string | null;
  stderrTail: string;
  durationMs: number;
  attempt: number;
  final: boolean;
}

/** One failed attempt as kept in the run's history. */
export interface AttemptFailure {
  attempt: number;
  exitCode: number | null;
  signal: string | null;
  stderrTail: string;
  durationMs: number;
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
  /** Target test metrics (empty until the run is done). */
  test: MetricRecord;
  /** Source validation metrics of the selected epoch. */
  valid: MetricRecord;
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
  createdAt: Date;
}

export interface ArtifactRecord {
  kind: string;
  path: string;
  createdAt: Date;
}

export interface RunDetail {
  run: RunRecord;
  memberships: { sweep: string; study: string; grid: Record<string, ConfigValue> }[];
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

function parseJson<T>(text: string | null, fallback: T): T {
  return text === null ? fallback : (JSON.parse(text) as T);
}

/** True when a config value equals a value typed on the command line (`4` matches 4 and 4.0; `true` matches true). */
export function configValueMatches(actual: ConfigValue | undefined, wanted: string): boolean {
  if (actual === undefined) return false;
  if (typeof actual === 'number') return wanted.trim() !== '' && Number(wanted) === actual;
  return String(actual) === wanted;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The results database: sweeps, runs, their metrics, epoch logs and artifacts, in one SQLite file.
 *
 * Several processes may write the same file at once. WAL lets readers run beside the writer; every write is one
 * `BEGIN IMMEDIATE` transaction, which takes the write lock up front (waiting up to the busy timeout) so that no
 * transaction ever has to upgrade a read lock, the case in which SQLite fails with "database is locked" at once.
 */
export class ResultsStore {
  /** Chains this process's write transactions: the connection is shared, so they must not interleave. */
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly dataSource: DataSource,
    readonly file: string,
  ) {}

  /** Opens (creating directories and the file, and running pending migrations) or, with readonly, opens an existing file. */
  static async open(file: string, options: { readonly?: boolean } = {}): Promise<ResultsStore> {
    const path = resolve(file);
    const readonly = options.readonly ?? false;
    if (readonly && !existsSync(path)) throw new Error(`results database ${file} does not exist`);
    const dataSource = new DataSource({
      type: 'better-sqlite3',
      database: path,
      entities: ENTITIES,
      migrations: MIGRATIONS,
      // Migrations run below under our own lock: TypeORM's migrationsRun checks and creates its tables outside any
      // write lock, which races when several workers open a fresh file at once.
      migrationsRun: false,
      synchronize: false,
      enableWAL: !readonly,
      timeout: BUSY_TIMEOUT_MS,
      readonly,
      fileMustExist: readonly,
      logging: false,
    });
    await dataSource.initialize();
    // In WAL mode NORMAL cannot corrupt the file; a power cut may only lose the last commits (those runs are redone).
    if (!readonly) await dataSource.query('PRAGMA synchronous = NORMAL');
    const store = new ResultsStore(dataSource, path);
    try {
      if (readonly) await store.checkSchemaIsCurrent();
      else await store.migrate();
    } catch (error) {
      await dataSource.destroy();
      throw error;
    }
    return store;
  }

  async close(): Promise<void> {
    await this.writes;
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  /** Names of the migrations applied to this file, oldest first. */
  async appliedMigrations(): Promise<string[]> {
    const rows = (await this.dataSource.query('SELECT "name" FROM "migrations" ORDER BY "id"')) as { name: string }[];
    return rows.map((row) => row.name);
  }

  private async migrate(): Promise<void> {
    await this.write(() => this.dataSource.runMigrations({ transaction: 'none' }));
  }

  private async checkSchemaIsCurrent(): Promise<void> {
    const hasTable = (await this.dataSource.query(
      `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'`,
    )) as unknown[];
    if (hasTable.length === 0) throw new Error(`${this.file} is not a midg results database (it has no migrations table)`);
    const applied = new Set(await this.appliedMigrations());
    const missing = MIGRATIONS.map((migration) => new migration().name).filter((name) => !applied.has(name));
    if (missing.length > 0) {
      throw new Error(`results database ${this.file} has an older schema (missing ${missing.join(', ')}); open it for writing once (e.g. midg sweep) to upgrade it`);
    }
  }

  /** Runs body in one write transaction, after this process's earlier writes. */
  private write<T>(body: (manager: EntityManager) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      await this.dataSource.query('BEGIN IMMEDIATE');
      try {
        // Query builders only inside: repository.save() would open a nested transaction of its own.
        const result = await body(this.dataSource.manager);
        await this.dataSource.query('COMMIT');
        return result;
      } catch (error) {
        // The original error is the one worth reporting; a failed rollback (SQLite may have rolled back already) is not.
        await this.dataSource.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    };
    const result = this.writes.then(run);
    this.writes = result.catch(() => undefined);
    return result;
  }

  async startSweep(input: { name: string; specPath: string; spec: unknown }): Promise<{ id: number; name: string }> {
    return this.write(async (manager) => {
      // Starting a sweep under an existing name resumes it: same row, so its links and interrupted runs carry over.
      await manager
        .createQueryBuilder()
        .insert()
        .into(SweepEntity)
        .values({ name: input.name, specPath: input.specPath, specJson: JSON.stringify(input.spec), status: 'running', startedAt: new Date(), finishedAt: null })
        .orUpdate(['specPath', 'specJson', 'status', 'startedAt', 'finishedAt'], ['name'])
        .execute();
      const sweep = await manager.getRepository(SweepEntity).findOneByOrFail({ name: input.name });
      return { id: sweep.id, name: sweep.name };
    });
  }

  async finishSweep(sweepId: number, status: 'done' | 'failed' | 'interrupted'): Promise<void> {
    await this.write((manager) =>
      manager.createQueryBuilder().update(SweepEntity).set({ status, finishedAt: new Date() }).where('id = :sweepId', { sweepId }).execute(),
    );
  }

  /** Ensures a run row for key exists (status 'pending' when new), links it to the sweep; returns its state. */
  async ensureRun(
    sweepId: number,
    run: { key: string; spec: RunSpec; config: ConfigRecord; study: string; grid: Record<string, ConfigValue> },
  ): Promise<{ id: number; status: RunStatus; attempts: number }> {
    return this.write(async (manager) => {
      await manager
        .createQueryBuilder()
        .insert()
        .into(RunEntity)
        .values({
          key: run.key,
          model: run.spec.model,
          source: run.spec.source,
          target: run.spec.target,
          seed: run.spec.seed,
          configJson: JSON.stringify(run.config),
          overridesJson: JSON.stringify(run.spec.overrides),
          status: 'pending',
          attempts: 0,
          failuresJson: '[]',
          createdAt: new Date(),
        })
        .orIgnore()
        .execute();
      const row = await manager.getRepository(RunEntity).findOneByOrFail({ key: run.key });
      await manager
        .createQueryBuilder()
        .insert()
        .into(SweepRunEntity)
        .values({ sweepId, runId: row.id, study: run.study, gridJson: JSON.stringify(run.grid) })
        .orIgnore()
        .execute();
      return { id: row.id, status: row.status, attempts: row.attempts };
    });
  }

  async markRunning(runId: number, attempt: number, info: RunHostInfo): Promise<void> {
    await this.write((manager) =>
      manager
        .createQueryBuilder()
        .update(RunEntity)
        .set({
          status: 'running',
          attempts: attempt,
          startedAt: new Date(),
          finishedAt: null,
          exitCode: null,
          signal: null,
          stderrTail: null,
          host: info.host,
          gitCommit: info.gitCommit,
          gitDirty: info.gitDirty,
          packageVersionsJson: JSON.stringify(info.packageVersions),
        })
        .where('id = :runId', { runId })
        .execute(),
    );
  }

  /** Logs one epoch under the run's current attempt (a repeated epoch number replaces the earlier line). */
  async recordEpoch(runId: number, event: EpochEvent): Promise<void> {
    await this.write(async (manager) => {
      const run = await manager.getRepository(RunEntity).findOneByOrFail({ id: runId });
      await manager
        .createQueryBuilder()
        .insert()
        .into(EpochLogEntity)
        .values({
          runId,
          attempt: run.attempts,
          epoch: event.epoch,
          maxEpochs: event.maxEpochs,
          lossesJson: JSON.stringify(event.losses),
          validJson: JSON.stringify(event.valid),
          samplesPerSecond: event.samplesPerSecond,
          createdAt: new Date(),
        })
        .orUpdate(['maxEpochs', 'lossesJson', 'validJson', 'samplesPerSecond', 'createdAt'], ['runId', 'attempt', 'epoch'])
        .execute();
    });
  }

  /** Marks the run done with its metrics (test and valid), checkpoint artifact, timings and expert usage. */
  async completeRun(runId: number, result: TrainResult): Promise<void> {
    await this.write(async (manager) => {
      await manager
        .createQueryBuilder()
        .update(RunEntity)
        .set({
          status: 'done',
          finishedAt: new Date(),
          durationMs: Math.round(result.durationMs),
          backend: result.backend,
          bestEpoch: result.bestEpoch,
          epochsRun: result.epochsRun,
          expertUsageJson: result.expertUsage ? JSON.stringify(result.expertUsage) : null,
          exitCode: 0,
          signal: null,
          stderrTail: null,
        })
        .where('id = :runId', { runId })
        .execute();
      await manager.createQueryBuilder().delete().from(MetricEntity).where('runId = :runId', { runId }).execute();
      const metricRows = [
        ...Object.entries(result.test).map(([name, value]) => ({ runId, split: 'test' as const, name, value: Number.isNaN(value) ? null : value })),
        ...Object.entries(result.valid).map(([name, value]) => ({ runId, split: 'valid' as const, name, value: Number.isNaN(value) ? null : value })),
      ];
      if (metricRows.length > 0) await manager.createQueryBuilder().insert().into(MetricEntity).values(metricRows).execute();
      if (result.checkpoint) {
        await manager
          .createQueryBuilder()
          .insert()
          .into(ArtifactEntity)
          .values({ runId, kind: 'checkpoint', path: result.checkpoint, createdAt: new Date() })
          .orIgnore()
          .execute();
      }
    });
  }

  /** Records a failed attempt; a final failure marks the run 'failed', otherwise it goes back to 'pending' for a retry. */
  async failRun(runId: number, failure: RunFailure): Promise<void> {
    await this.write(async (manager) => {
      const run = await manager.getRepository(RunEntity).findOneByOrFail({ id: runId });
      const history = parseJson<AttemptFailure[]>(run.failuresJson, []);
      history.push({
        attempt: failure.attempt,
        exitCode: failure.exitCode,
        signal: failure.signal,
        stderrTail: failure.stderrTail,
        durationMs: Math.round(failure.durationMs),
        at: new Date().toISOString(),
      });
      await manager
        .createQueryBuilder()
        .update(RunEntity)
        .set({
          status: failure.final ? 'failed' : 'pending',
          attempts: failure.attempt,
          exitCode: failure.exitCode,
          signal: failure.signal,
          stderrTail: failure.stderrTail,
          durationMs: Math.round(failure.durationMs),
          finishedAt: new Date(),
          failuresJson: JSON.stringify(history),
        })
        .where('id = :runId', { runId })
        .execute();
    });
  }

  /** Runs left 'running' by a sweep that was killed go back to 'pending'; returns how many. */
  async resetInterruptedRuns(sweepId: number): Promise<number> {
    return this.write(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(RunEntity)
        .set({ status: 'pending' })
        .where(`status = 'running'`)
        .andWhere('id IN (SELECT "runId" FROM "sweep_run" WHERE "sweepId" = :sweepId)', { sweepId })
        .execute();
      return result.affected ?? 0;
    });
  }

  // ---- reading ----

  async listSweeps(): Promise<SweepRecord[]> {
    const rows = await this.dataSource.getRepository(SweepEntity).find({ order: { startedAt: 'DESC', id: 'DESC' } });
    return rows.map(toSweepRecord);
  }

  /** The named sweep, or the most recently started one when name is undefined; undefined when there is none. */
  async findSweep(name?: string): Promise<SweepRecord | undefined> {
    if (name === undefined) return (await this.listSweeps())[0];
    const row = await this.dataSource.getRepository(SweepEntity).findOneBy({ name });
    return row ? toSweepRecord(row) : undefined;
  }

  /** Every (run, study) link of a sweep, runs with their metrics; ordered by run id. */
  async sweepMembers(sweepId: number): Promise<SweepMember[]> {
    const links = await this.dataSource.getRepository(SweepRunEntity).find({ where: { sweepId }, order: { runId: 'ASC', id: 'ASC' } });
    const runs = new Map((await this.runsById([...new Set(links.map((link) => link.runId))])).map((run) => [run.id, run]));
    return links.map((link) => ({
      run: runs.get(link.runId)!,
      study: link.study,
      grid: parseJson<Record<string, ConfigValue>>(link.gridJson, {}),
    }));
  }

  /** Runs matching every given filter, oldest first, with their metrics. */
  async findRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const query = this.dataSource.getRepository(RunEntity).createQueryBuilder('run').orderBy('run.id', 'ASC');
    for (const column of ['model', 'source', 'target', 'seed', 'status'] as const) {
      if (filter[column] !== undefined) query.andWhere(`run.${column} = :${column}`, { [column]: filter[column] });
    }
    if (filter.sweep !== undefined || filter.study !== undefined) {
      const conditions = [
        ...(filter.sweep !== undefined ? ['sweep.name = :sweepName'] : []),
        ...(filter.study !== undefined ? ['link.study = :study'] : []),
      ];
      query.andWhere(
        `run.id IN (SELECT link.runId FROM sweep_run link JOIN sweep ON sweep.id = link.sweepId WHERE ${conditions.join(' AND ')})`,
        { sweepName: filter.sweep, study: filter.study },
      );
    }
    const rows = await query.getMany();
    const where = Object.entries(filter.where ?? {});
    const matching = rows.filter((row) => {
      const config = parseJson<ConfigRecord>(row.configJson, {});
      return where.every(([key, wanted]) => configValueMatches(config[key], wanted));
    });
    return this.withMetrics(matching);
  }

  /** One run by id or key (or a unique key prefix of at least 4 characters), with everything recorded about it. */
  async getRunDetail(ref: string): Promise<RunDetail | undefined> {
    const row = await this.findRunRow(ref.trim());
    if (!row) return undefined;
    const [run] = await this.withMetrics([row]);
    const links = await this.dataSource
      .getRepository(SweepRunEntity)
      .createQueryBuilder('link')
      .innerJoin(SweepEntity.options.name, 'sweep', 'sweep.id = link.sweepId')
      .select(['sweep.name AS sweep', 'link.study AS study', 'link.gridJson AS gridJson'])
      .where('link.runId = :runId', { runId: row.id })
      .orderBy('link.id', 'ASC')
      .getRawMany<{ sweep: string; study: string; gridJson: string }>();
    const epochs = await this.dataSource.getRepository(EpochLogEntity).find({ where: { runId: row.id }, order: { attempt: 'ASC', epoch: 'ASC' } });
    const artifacts = await this.dataSource.getRepository(ArtifactEntity).find({ where: { runId: row.id }, order: { id: 'ASC' } });
    return {
      run: run!,
      memberships: links.map((link) => ({ sweep: link.sweep, study: link.study, grid: parseJson<Record<string, ConfigValue>>(link.gridJson, {}) })),
      epochs: epochs.map((epoch) => ({
        attempt: epoch.attempt,
        epoch: epoch.epoch,
        maxEpochs: epoch.maxEpochs,
        losses: parseJson<Record<string, number>>(epoch.lossesJson, {}),
        valid: parseJson<MetricRecord>(epoch.validJson, {}),
        samplesPerSecond: epoch.samplesPerSecond,
        createdAt: epoch.createdAt,
      })),
      artifacts: artifacts.map(({ kind, path, createdAt }) => ({ kind, path, createdAt })),
    };
  }

  private async findRunRow(ref: string): Promise<RunRow | undefined> {
    const runs = this.dataSource.getRepository(RunEntity);
    if (/^\d+$/.test(ref)) {
      const byId = await runs.findOneBy({ id: Number(ref) });
      if (byId) return byId;
    }
    const byKey = await runs.findOneBy({ key: ref });
    if (byKey) return byKey;
    if (ref.length < 4 || !/^[0-9a-f]+$/i.test(ref)) return undefined;
    const byPrefix = await runs.createQueryBuilder('run').where('run.key LIKE :prefix', { prefix: `${ref.toLowerCase()}%` }).limit(2).getMany();
    if (byPrefix.length > 1) throw new Error(`run key prefix "${ref}" is ambiguous; give more characters`);
    return byPrefix[0];
  }

  private async runsById(ids: number[]): Promise<RunRecord[]> {
    const rows: RunRow[] = [];
    for (const chunk of chunks(ids, ID_CHUNK)) rows.push(...(await this.dataSource.getRepository(RunEntity).findBy({ id: In(chunk) })));
    return this.withMetrics(rows);
  }

  private async withMetrics(rows: RunRow[]): Promise<RunRecord[]> {
    const metrics: MetricRow[] = [];
    for (const chunk of chunks(rows.map((row) => row.id), ID_CHUNK)) {
      metrics.push(...(await this.dataSource.getRepository(MetricEntity).findBy({ runId: In(chunk) })));
    }
    const byRun = new Map<number, { test: MetricRecord; valid: MetricRecord }>();
    for (const metric of metrics) {
      const entry = byRun.get(metric.runId) ?? { test: {}, valid: {} };
      entry[metric.split][metric.name] = metric.value ?? Number.NaN;
      byRun.set(metric.runId, entry);
    }
    return rows.map((row) => toRunRecord(row, byRun.get(row.id) ?? { test: {}, valid: {} }));
  }
}

function toSweepRecord(row: SweepRow): SweepRecord {
  return {
    id: row.id,
    name: row.name,
    specPath: row.specPath,
    spec: parseJson<unknown>(row.specJson, null),
    status: row.status,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

function toRunRecord(row: RunRow, metrics: { test: MetricRecord; valid: MetricRecord }): RunRecord {
  return {
    id: row.id,
    key: row.key,
    model: row.model,
    source: row.source,
    target: row.target,
    seed: row.seed,
    config: parseJson<ConfigRecord>(row.configJson, {}),
    overrides: parseJson<ConfigRecord>(row.overridesJson, {}),
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
    test: metrics.test,
    valid: metrics.valid,
  };
}
