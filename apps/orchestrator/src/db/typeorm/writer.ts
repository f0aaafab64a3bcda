import { In, type EntityManager, type EntitySchema, type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import type { EpochEvent, TrainResult } from '@midg/trainer';
import { anonymousOwner, ownerIsLive, type OwnerState } from '../lease';
import {
  chunks,
  parseJson,
  runEvidenceOf,
  statusRank,
  type AttemptFailure,
  type RunDetail,
  type RunFailure,
  type RunHostInfo,
  type SweepOwner,
  type SweepRecord,
  type SweepStatus,
} from '../records';
import { SweepBusyError, SweepTakenOverError, SWEEP_LEASE_MS, type NewRun, type RunMerge, type RunState, type StartedSweep, type SweepStart } from '../store';
import { runRowFromRecord, type Entities, type RunRow, type SweepRow } from './entities';

// The writer side of the SQL stores: each function is the body of one transaction, run by the store (sqlite/ or
// postgres/) that owns the connection. Only query builders are used inside: repository.save() would open a nested
// transaction of its own.

/** Keeps `IN (...)` lists well below SQLite's bound-parameter limit. */
export const ID_CHUNK = 5_000;

export interface Tx {
  manager: EntityManager;
  entities: Entities;
}

/** SELECT ... FOR UPDATE where the dialect has it (PostgreSQL); SQLite's write transaction already excludes others. */
function locked<T extends ObjectLiteral>(tx: Tx, query: SelectQueryBuilder<T>): SelectQueryBuilder<T> {
  return tx.entities.dialect === 'postgres' ? query.setLock('pessimistic_write') : query;
}

function select<T extends ObjectLiteral>(tx: Tx, entity: EntitySchema<T>, alias: string): SelectQueryBuilder<T> {
  return tx.manager.getRepository(entity).createQueryBuilder(alias);
}

function ownerState(row: SweepRow): OwnerState {
  return {
    status: row.status,
    owner: row.ownerToken && row.ownerHost && row.ownerPid !== null ? { host: row.ownerHost, pid: row.ownerPid, token: row.ownerToken } : null,
    heartbeatAt: row.heartbeatAt,
  };
}

function ownerColumns(owner: SweepOwner, now: Date): Pick<SweepRow, 'ownerHost' | 'ownerPid' | 'ownerToken' | 'heartbeatAt'> {
  return { ownerHost: owner.host, ownerPid: owner.pid, ownerToken: owner.token, heartbeatAt: now };
}

export async function startSweep(tx: Tx, input: SweepStart): Promise<StartedSweep> {
  const { Sweep } = tx.entities;
  const owner = input.owner ?? anonymousOwner();
  const now = new Date();
  const fields = {
    specPath: input.specPath,
    specJson: JSON.stringify(input.spec),
    status: 'running' as const,
    startedAt: now,
    finishedAt: null,
    executor: input.executor ?? 'local',
    ...ownerColumns(owner, now),
  };
  // Insert first: of two processes creating the same sweep at once, the second waits here for the first to commit,
  // then finds its row below, owned and live.
  await tx.manager.createQueryBuilder().insert().into(Sweep).values({ name: input.name, ...fields }).orIgnore().execute();
  const row = await locked(tx, select(tx, Sweep, 'sweep').where('sweep.name = :name', { name: input.name })).getOneOrFail();
  const state = ownerState(row);
  if (state.owner && state.owner.token !== owner.token && ownerIsLive(state, now, input.leaseMs ?? SWEEP_LEASE_MS)) {
    throw new SweepBusyError(input.name, state.owner, row.heartbeatAt!);
  }
  // Starting a sweep under an existing name resumes it: same row, so its links and interrupted runs carry over.
  await tx.manager.createQueryBuilder().update(Sweep).set(fields).where('id = :id', { id: row.id }).execute();
  return { id: row.id, name: row.name, executorState: parseJson<unknown>(row.executorStateJson, null) };
}

export async function heartbeat(tx: Tx, sweepId: number, owner: SweepOwner): Promise<void> {
  const result = await tx.manager
    .createQueryBuilder()
    .update(tx.entities.Sweep)
    .set({ heartbeatAt: new Date() })
    .where('id = :sweepId AND "ownerToken" = :token', { sweepId, token: owner.token })
    .execute();
  if (result.affected === 0) throw new SweepTakenOverError(sweepId);
}

export async function saveExecutorState(tx: Tx, sweepId: number, state: unknown): Promise<void> {
  await tx.manager
    .createQueryBuilder()
    .update(tx.entities.Sweep)
    .set({ executorStateJson: state === null || state === undefined ? null : JSON.stringify(state) })
    .where('id = :sweepId', { sweepId })
    .execute();
}

export async function finishSweep(tx: Tx, sweepId: number, status: Exclude<SweepStatus, 'running'>): Promise<void> {
  await tx.manager.createQueryBuilder().update(tx.entities.Sweep).set({ status, finishedAt: new Date() }).where('id = :sweepId', { sweepId }).execute();
}

function toRunState(row: Pick<RunRow, 'id' | 'key' | 'status' | 'attempts' | 'claimedBy'>): RunState {
  return { id: row.id, key: row.key, status: row.status, attempts: row.attempts, claimedBy: row.claimedBy };
}

export async function ensureRun(tx: Tx, sweepId: number, run: NewRun): Promise<RunState> {
  const { Run, SweepRun } = tx.entities;
  await tx.manager
    .createQueryBuilder()
    .insert()
    .into(Run)
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
  const row = await tx.manager.getRepository(Run).findOneByOrFail({ key: run.key });
  await tx.manager
    .createQueryBuilder()
    .insert()
    .into(SweepRun)
    .values({ sweepId, runId: row.id, study: run.study, gridJson: JSON.stringify(run.grid) })
    .orIgnore()
    .execute();
  return toRunState(row);
}

export async function claimRuns(tx: Tx, sweepId: number, runIds: readonly number[], leaseMs: number): Promise<number[]> {
  const { Run, Sweep } = tx.entities;
  const now = new Date();
  const claimed: number[] = [];
  for (const ids of chunks([...new Set(runIds)], ID_CHUNK)) {
    // In id order, so that two sweeps locking overlapping sets cannot deadlock.
    const rows = await locked(tx, select(tx, Run, 'run').where('run.id IN (:...ids)', { ids }).orderBy('run.id', 'ASC')).getMany();
    const holders = [...new Set(rows.map((row) => row.claimedBy).filter((id): id is number => id !== null && id !== sweepId))];
    const owners = new Map(
      holders.length === 0 ? [] : (await tx.manager.getRepository(Sweep).findBy({ id: In(holders) })).map((row) => [row.id, ownerState(row)]),
    );
    const free = rows.filter((row) => {
      if (row.status === 'done') return false;
      if (row.claimedBy === null || row.claimedBy === sweepId) return true;
      const holder = owners.get(row.claimedBy);
      return !holder || !ownerIsLive(holder, now, leaseMs);
    });
    if (free.length === 0) continue;
    const freeIds = free.map((row) => row.id);
    // A run left 'running' by a process that is gone is not running.
    const orphans = free.filter((row) => row.status === 'running').map((row) => row.id);
    if (orphans.length > 0) await tx.manager.createQueryBuilder().update(Run).set({ status: 'pending' }).where('id IN (:...ids)', { ids: orphans }).execute();
    await tx.manager.createQueryBuilder().update(Run).set({ claimedBy: sweepId }).where('id IN (:...ids)', { ids: freeIds }).execute();
    claimed.push(...freeIds);
  }
  return claimed;
}

export async function runStates(tx: Tx, runIds: readonly number[]): Promise<RunState[]> {
  const states: RunState[] = [];
  for (const ids of chunks([...new Set(runIds)], ID_CHUNK)) {
    states.push(...(await tx.manager.getRepository(tx.entities.Run).findBy({ id: In(ids) })).map(toRunState));
  }
  return states.sort((a, b) => a.id - b.id);
}

export async function markRunning(tx: Tx, runId: number, attempt: number, info: RunHostInfo): Promise<void> {
  await tx.manager
    .createQueryBuilder()
    .update(tx.entities.Run)
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
    .execute();
}

export async function recordEpoch(tx: Tx, runId: number, event: EpochEvent): Promise<void> {
  const { Run, EpochLog } = tx.entities;
  const run = await tx.manager.getRepository(Run).findOneByOrFail({ id: runId });
  await tx.manager
    .createQueryBuilder()
    .insert()
    .into(EpochLog)
    .values({
      runId,
      attempt: run.attempts,
      epoch: event.epoch,
      maxEpochs: event.maxEpochs,
      lossesJson: JSON.stringify(event.losses),
      validJson: JSON.stringify(event.valid),
      samplesPerSecond: event.samplesPerSecond,
      learningRate: typeof event.learningRate === 'number' ? event.learningRate : null,
      diagnosticsJson: event.diagnostics ? JSON.stringify(event.diagnostics) : null,
      createdAt: new Date(),
    })
    .orUpdate(['maxEpochs', 'lossesJson', 'validJson', 'samplesPerSecond', 'learningRate', 'diagnosticsJson', 'createdAt'], ['runId', 'attempt', 'epoch'])
    .execute();
}

const nullIfNaN = (value: number): number | null => (Number.isNaN(value) ? null : value);

async function replaceMetrics(tx: Tx, runId: number, test: Record<string, number>, valid: Record<string, number>): Promise<void> {
  const { Metric } = tx.entities;
  await tx.manager.createQueryBuilder().delete().from(Metric).where('"runId" = :runId', { runId }).execute();
  const rows = [
    ...Object.entries(test).map(([name, value]) => ({ runId, split: 'test' as const, name, value: nullIfNaN(value) })),
    ...Object.entries(valid).map(([name, value]) => ({ runId, split: 'valid' as const, name, value: nullIfNaN(value) })),
  ];
  if (rows.length > 0) await tx.manager.createQueryBuilder().insert().into(Metric).values(rows).execute();
}

export async function completeRun(tx: Tx, runId: number, result: TrainResult): Promise<void> {
  const { Run, Artifact } = tx.entities;
  const evidence = runEvidenceOf(result);
  await tx.manager
    .createQueryBuilder()
    .update(Run)
    .set({
      status: 'done',
      finishedAt: new Date(),
      durationMs: Math.round(result.durationMs),
      backend: result.backend,
      bestEpoch: result.bestEpoch,
      epochsRun: result.epochsRun,
      expertUsageJson: result.expertUsage ? JSON.stringify(result.expertUsage) : null,
      adaptationJson: result.adaptation ? JSON.stringify(result.adaptation) : null,
      testPredictionsJson: evidence.testPredictions ? JSON.stringify(evidence.testPredictions) : null,
      peakRssBytes: evidence.peakRssBytes,
      exitCode: 0,
      signal: null,
      stderrTail: null,
      claimedBy: null,
    })
    .where('id = :runId', { runId })
    .execute();
  await replaceMetrics(tx, runId, result.test, result.valid);
  if (result.checkpoint) {
    await tx.manager
      .createQueryBuilder()
      .insert()
      .into(Artifact)
      .values({ runId, kind: 'checkpoint', path: result.checkpoint, createdAt: new Date() })
      .orIgnore()
      .execute();
  }
}

export async function failRun(tx: Tx, runId: number, failure: RunFailure): Promise<void> {
  const { Run } = tx.entities;
  const run = await locked(tx, select(tx, Run, 'run').where('run.id = :runId', { runId })).getOneOrFail();
  const history = parseJson<AttemptFailure[]>(run.failuresJson, []);
  history.push({
    attempt: failure.attempt,
    exitCode: failure.exitCode,
    signal: failure.signal,
    stderrTail: failure.stderrTail,
    durationMs: Math.round(failure.durationMs),
    ...(failure.reason ? { reason: failure.reason } : {}),
    at: new Date().toISOString(),
  });
  await tx.manager
    .createQueryBuilder()
    .update(Run)
    .set({
      status: failure.final ? 'failed' : 'pending',
      attempts: failure.attempt,
      exitCode: failure.exitCode,
      signal: failure.signal,
      stderrTail: failure.stderrTail,
      durationMs: Math.round(failure.durationMs),
      finishedAt: new Date(),
      failuresJson: JSON.stringify(history),
      ...(failure.final ? { claimedBy: null } : {}),
    })
    .where('id = :runId', { runId })
    .execute();
}

export async function releaseRuns(tx: Tx, sweepId: number): Promise<number> {
  const { Run } = tx.entities;
  const reset = await tx.manager
    .createQueryBuilder()
    .update(Run)
    .set({ status: 'pending' })
    .where(`status = 'running' AND "claimedBy" = :sweepId`, { sweepId })
    .execute();
  await tx.manager.createQueryBuilder().update(Run).set({ claimedBy: null }).where('"claimedBy" = :sweepId', { sweepId }).execute();
  return reset.affected ?? 0;
}

export async function mergeSweep(tx: Tx, sweep: SweepRecord): Promise<'inserted' | 'unchanged'> {
  const { Sweep } = tx.entities;
  if (await tx.manager.getRepository(Sweep).existsBy({ name: sweep.name })) return 'unchanged';
  await tx.manager
    .createQueryBuilder()
    .insert()
    .into(Sweep)
    .values({
      name: sweep.name,
      specPath: sweep.specPath,
      specJson: JSON.stringify(sweep.spec),
      // Its process is elsewhere: here it can only be resumed.
      status: sweep.status === 'running' ? 'interrupted' : sweep.status,
      startedAt: sweep.startedAt,
      finishedAt: sweep.finishedAt,
      executor: sweep.executor,
    })
    .execute();
  return 'inserted';
}

export async function mergeRun(tx: Tx, detail: RunDetail): Promise<RunMerge> {
  const { Run, Sweep, SweepRun, EpochLog, Artifact } = tx.entities;
  const incoming = detail.run;
  const existing = await locked(tx, select(tx, Run, 'run').where('run.key = :key', { key: incoming.key })).getOne();
  let outcome: RunMerge['run'] = 'unchanged';
  let runId = existing?.id;
  if (!existing || statusRank(incoming.status) > statusRank(existing.status)) {
    const row = runRowFromRecord(incoming);
    if (existing) {
      await tx.manager.createQueryBuilder().update(Run).set(row).where('id = :id', { id: existing.id }).execute();
      await tx.manager.createQueryBuilder().delete().from(EpochLog).where('"runId" = :id', { id: existing.id }).execute();
      outcome = 'replaced';
    } else {
      const inserted = await tx.manager.createQueryBuilder().insert().into(Run).values({ ...row, claimedBy: null }).execute();
      runId = inserted.identifiers[0]?.id as number | undefined;
      runId ??= (await tx.manager.getRepository(Run).findOneByOrFail({ key: incoming.key })).id;
      outcome = 'inserted';
    }
    await replaceMetrics(tx, runId!, incoming.test, incoming.valid);
    const epochs = detail.epochs.map((epoch) => ({
      runId: runId!,
      attempt: epoch.attempt,
      epoch: epoch.epoch,
      maxEpochs: epoch.maxEpochs,
      lossesJson: JSON.stringify(epoch.losses),
      validJson: JSON.stringify(epoch.valid),
      samplesPerSecond: epoch.samplesPerSecond,
      learningRate: epoch.learningRate,
      diagnosticsJson: epoch.diagnostics ? JSON.stringify(epoch.diagnostics) : null,
      createdAt: epoch.createdAt,
    }));
    for (const part of chunks(epochs, 500)) await tx.manager.createQueryBuilder().insert().into(EpochLog).values(part).execute();
    const artifacts = detail.artifacts.map((artifact) => ({ runId: runId!, ...artifact }));
    if (artifacts.length > 0) await tx.manager.createQueryBuilder().insert().into(Artifact).values(artifacts).orIgnore().execute();
  }
  let linksAdded = 0;
  for (const membership of detail.memberships) {
    const sweep = await tx.manager.getRepository(Sweep).findOneBy({ name: membership.sweep });
    if (!sweep) throw new Error(`run ${incoming.key} belongs to sweep ${membership.sweep}, which is not in the target store`);
    const link = { sweepId: sweep.id, runId: runId!, study: membership.study };
    if (await tx.manager.getRepository(SweepRun).existsBy(link)) continue;
    await tx.manager.createQueryBuilder().insert().into(SweepRun).values({ ...link, gridJson: JSON.stringify(membership.grid) }).execute();
    linksAdded += 1;
  }
  return { run: outcome, linksAdded };
}
