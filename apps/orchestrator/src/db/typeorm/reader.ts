import { In, type EntityManager } from 'typeorm';
import type { ConfigValue, MetricRecord } from '@midg/trainer';
import { chunks, matchesWhere, parseJson, type RunDetail, type RunFilter, type RunRecord, type SweepMember, type SweepRecord } from '../records';
import { toRunRecord, toSweepRecord, type Entities, type MetricRow, type RunRow } from './entities';
import { ID_CHUNK } from './writer';

// The reader side of the SQL stores. Identifiers in hand-written SQL are quoted: PostgreSQL folds unquoted ones to
// lower case, and the columns are camelCase.

export interface Rx {
  manager: EntityManager;
  entities: Entities;
}

export async function listSweeps(rx: Rx): Promise<SweepRecord[]> {
  const rows = await rx.manager.getRepository(rx.entities.Sweep).find({ order: { startedAt: 'DESC', id: 'DESC' } });
  return rows.map(toSweepRecord);
}

export async function findSweep(rx: Rx, name?: string): Promise<SweepRecord | undefined> {
  if (name === undefined) return (await listSweeps(rx))[0];
  const row = await rx.manager.getRepository(rx.entities.Sweep).findOneBy({ name });
  return row ? toSweepRecord(row) : undefined;
}

async function withMetrics(rx: Rx, rows: RunRow[]): Promise<RunRecord[]> {
  const metrics: MetricRow[] = [];
  for (const ids of chunks(rows.map((row) => row.id), ID_CHUNK)) {
    metrics.push(...(await rx.manager.getRepository(rx.entities.Metric).findBy({ runId: In(ids) })));
  }
  const byRun = new Map<number, { test: MetricRecord; valid: MetricRecord }>();
  for (const metric of metrics) {
    const entry = byRun.get(metric.runId) ?? { test: {}, valid: {} };
    entry[metric.split][metric.name] = metric.value ?? Number.NaN;
    byRun.set(metric.runId, entry);
  }
  return rows.map((row) => toRunRecord(row, byRun.get(row.id) ?? { test: {}, valid: {} }));
}

async function runsById(rx: Rx, ids: number[]): Promise<RunRecord[]> {
  const rows: RunRow[] = [];
  for (const part of chunks(ids, ID_CHUNK)) rows.push(...(await rx.manager.getRepository(rx.entities.Run).findBy({ id: In(part) })));
  return withMetrics(rx, rows);
}

export async function sweepMembers(rx: Rx, sweepId: number): Promise<SweepMember[]> {
  const links = await rx.manager.getRepository(rx.entities.SweepRun).find({ where: { sweepId }, order: { runId: 'ASC', id: 'ASC' } });
  const runs = new Map((await runsById(rx, [...new Set(links.map((link) => link.runId))])).map((run) => [run.id, run]));
  return links.map((link) => ({ run: runs.get(link.runId)!, study: link.study, grid: parseJson<Record<string, ConfigValue>>(link.gridJson, {}) }));
}

export async function findRuns(rx: Rx, filter: RunFilter = {}): Promise<RunRecord[]> {
  const query = rx.manager.getRepository(rx.entities.Run).createQueryBuilder('run').orderBy('run.id', 'ASC');
  for (const column of ['model', 'source', 'target', 'seed', 'status'] as const) {
    if (filter[column] !== undefined) query.andWhere(`run.${column} = :${column}`, { [column]: filter[column] });
  }
  if (filter.sweep !== undefined || filter.study !== undefined) {
    const conditions = [
      ...(filter.sweep !== undefined ? ['"s"."name" = :sweepName'] : []),
      ...(filter.study !== undefined ? ['"l"."study" = :study'] : []),
    ];
    query.andWhere(
      `run.id IN (SELECT "l"."runId" FROM "sweep_run" "l" JOIN "sweep" "s" ON "s"."id" = "l"."sweepId" WHERE ${conditions.join(' AND ')})`,
      { sweepName: filter.sweep, study: filter.study },
    );
  }
  const rows = (await query.getMany()).filter((row) => matchesWhere(parseJson(row.configJson, {}), filter.where));
  return withMetrics(rx, rows);
}

async function findRunRow(rx: Rx, ref: string): Promise<RunRow | undefined> {
  const runs = rx.manager.getRepository(rx.entities.Run);
  if (/^\d+$/.test(ref) && Number(ref) <= 2_147_483_647) {
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

async function details(rx: Rx, rows: RunRow[]): Promise<RunDetail[]> {
  if (rows.length === 0) return [];
  const { Sweep, SweepRun, EpochLog, Artifact } = rx.entities;
  const ids = rows.map((row) => row.id);
  const runs = await withMetrics(rx, rows);
  const links = await rx.manager
    .getRepository(SweepRun)
    .createQueryBuilder('link')
    .innerJoin(Sweep.options.name, 'sweep', 'sweep.id = link.sweepId')
    .select(['sweep.name AS "sweep"', 'link.study AS "study"', 'link.gridJson AS "gridJson"', 'link.runId AS "runId"'])
    .where('link.runId IN (:...ids)', { ids })
    .orderBy('link.id', 'ASC')
    .getRawMany<{ sweep: string; study: string; gridJson: string; runId: number }>();
  const epochs = await rx.manager.getRepository(EpochLog).find({ where: { runId: In(ids) }, order: { attempt: 'ASC', epoch: 'ASC' } });
  const artifacts = await rx.manager.getRepository(Artifact).find({ where: { runId: In(ids) }, order: { id: 'ASC' } });
  return runs.map((run) => ({
    run,
    memberships: links
      .filter((link) => Number(link.runId) === run.id)
      .map((link) => ({ sweep: link.sweep, study: link.study, grid: parseJson<Record<string, ConfigValue>>(link.gridJson, {}) })),
    epochs: epochs
      .filter((epoch) => epoch.runId === run.id)
      .map((epoch) => ({
        attempt: epoch.attempt,
        epoch: epoch.epoch,
        maxEpochs: epoch.maxEpochs,
        losses: parseJson<Record<string, number>>(epoch.lossesJson, {}),
        valid: parseJson<MetricRecord>(epoch.validJson, {}),
        samplesPerSecond: epoch.samplesPerSecond,
        learningRate: epoch.learningRate,
        diagnostics: parseJson<Record<string, number> | null>(epoch.diagnosticsJson, null),
        createdAt: epoch.createdAt,
      })),
    artifacts: artifacts.filter((artifact) => artifact.runId === run.id).map(({ kind, path, createdAt }) => ({ kind, path, createdAt })),
  }));
}

export async function getRunDetail(rx: Rx, ref: string): Promise<RunDetail | undefined> {
  const row = await findRunRow(rx, ref.trim());
  return row ? (await details(rx, [row]))[0] : undefined;
}

/** Every run with everything about it, oldest first, `size` runs per query. */
export async function* exportRuns(rx: Rx, size = 200): AsyncIterable<RunDetail> {
  let after = 0;
  for (;;) {
    const rows = await rx.manager
      .getRepository(rx.entities.Run)
      .createQueryBuilder('run')
      .where('run.id > :after', { after })
      .orderBy('run.id', 'ASC')
      .limit(size)
      .getMany();
    if (rows.length === 0) return;
    yield* await details(rx, rows);
    after = rows.at(-1)!.id;
  }
}
