import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ENTITIES } from './entities';
import { ResultsStore } from './store';
import { runReadOnlySql } from './sql';
import { HOST, makeEpoch, makeResult, makeSpec, tempDir } from './testing/fixtures';

const tmp = tempDir();
after(() => tmp.remove());

let fileCounter = 0;
const freshFile = (): string => join(tmp.dir, `db-${++fileCounter}`, 'results.sqlite');

describe('ResultsStore migrations', () => {
  it('apply to an empty file (creating its directory) and are not repeated on reopen', async () => {
    const file = freshFile();
    const first = await ResultsStore.open(file);
    assert.deepEqual(await first.appliedMigrations(), ['InitialSchema1764000000000']);
    const sweep = await first.startSweep({ name: 's', specPath: 's.yaml', spec: {} });
    await first.close();

    const second = await ResultsStore.open(file);
    assert.deepEqual(await second.appliedMigrations(), ['InitialSchema1764000000000']);
    assert.equal((await second.findSweep('s'))?.id, sweep.id, 'data survives the reopen');
    await second.close();

    const tables = runReadOnlySql(file, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`);
    assert.deepEqual(tables.rows.map(([name]) => name), ['artifact', 'epoch_log', 'metric', 'migrations', 'run', 'sweep', 'sweep_run']);
    assert.deepEqual(runReadOnlySql(file, 'PRAGMA journal_mode').rows, [['wal']]);
  });

  it('leave nothing for TypeORM to change: the entities describe exactly the migrated schema', async () => {
    const file = freshFile();
    await (await ResultsStore.open(file)).close();
    const dataSource = new DataSource({ type: 'better-sqlite3', database: file, entities: ENTITIES });
    await dataSource.initialize();
    const pending = await dataSource.driver.createSchemaBuilder().log();
    await dataSource.destroy();
    assert.deepEqual(pending.upQueries.map((query) => query.query), []);
  });

  it('refuse, read-only, a missing file or one that is not a results database', async () => {
    await assert.rejects(ResultsStore.open(join(tmp.dir, 'missing.sqlite'), { readonly: true }), /does not exist/);
    const other = join(tmp.dir, 'other.sqlite');
    writeFileSync(other, '');
    await assert.rejects(ResultsStore.open(other, { readonly: true }), /not a midg results database/);
  });
});

describe('ResultsStore runs', () => {
  let store: ResultsStore;
  before(async () => {
    store = await ResultsStore.open(freshFile());
  });
  after(() => store.close());

  it('round-trips a whole run lifecycle', async () => {
    const sweep = await store.startSweep({ name: 'lifecycle', specPath: 'experiments/x.yaml', spec: { runs: 1 } });
    const spec = makeSpec({ overrides: { experts: 4 } });
    const config = { experts: 4, alpha: 0.5, modalities: 'tav', estimator: 'kl' };
    const ensured = await store.ensureRun(sweep.id, { key: 'k-life', spec, config, study: 'experts', grid: { experts: 4 } });
    assert.deepEqual({ status: ensured.status, attempts: ensured.attempts }, { status: 'pending', attempts: 0 });

    await store.markRunning(ensured.id, 1, HOST);
    assert.equal((await store.findRuns({ status: 'running' })).find((run) => run.key === 'k-life')?.host, 'test-host');
    for (const epoch of [1, 2, 3]) await store.recordEpoch(ensured.id, makeEpoch(epoch));
    const test = { Has0_acc_2: 0.71, Has0_F1_score: 0.7, MAE: 0.93, Corr: Number.NaN };
    const valid = { MAE: 0.88, Has0_acc_2: 0.66 };
    await store.completeRun(ensured.id, makeResult(spec, config, test, valid, { expertUsage: [0.25, 0.75], checkpoint: '/ckpt/k-life', durationMs: 4321.6 }));
    await store.finishSweep(sweep.id, 'done');

    const detail = await store.getRunDetail('k-life');
    assert.ok(detail);
    const { run } = detail;
    assert.equal(run.status, 'done');
    assert.equal(run.attempts, 1);
    assert.deepEqual(run.config, config);
    assert.deepEqual(run.overrides, { experts: 4 });
    assert.deepEqual([run.model, run.source, run.target, run.seed], [spec.model, spec.source, spec.target, spec.seed]);
    assert.deepEqual(run.test, test, 'NaN (stored as NULL) comes back as NaN');
    assert.deepEqual(run.valid, valid);
    assert.deepEqual([run.bestEpoch, run.epochsRun, run.durationMs, run.backend, run.exitCode], [2, 3, 4322, 'wasm', 0]);
    assert.deepEqual(run.expertUsage, [0.25, 0.75]);
    assert.deepEqual([run.host, run.gitCommit, run.gitDirty, run.packageVersions], [HOST.host, HOST.gitCommit, true, HOST.packageVersions]);
    assert.ok(run.startedAt instanceof Date && run.finishedAt instanceof Date && run.finishedAt >= run.startedAt);
    assert.deepEqual(detail.epochs.map((e) => [e.attempt, e.epoch, e.losses.total, e.valid.MAE, e.samplesPerSecond]), [
      [1, 1, 2, 1, 100],
      [1, 2, 1, 0.5, 200],
      [1, 3, 2 / 3, 1 / 3, 300],
    ]);
    assert.deepEqual(detail.artifacts.map((a) => [a.kind, a.path]), [['checkpoint', '/ckpt/k-life']]);
    assert.deepEqual(detail.memberships, [{ sweep: 'lifecycle', study: 'experts', grid: { experts: 4 } }]);
    assert.equal((await store.getRunDetail(String(run.id)))?.run.key, 'k-life', 'found by id too');
    const sweepRecord = await store.findSweep('lifecycle');
    assert.equal(sweepRecord?.status, 'done');
    assert.deepEqual(sweepRecord?.spec, { runs: 1 });

    // A second sweep asking for the same key gets the finished run back and links it; nothing is redone.
    const other = await store.startSweep({ name: 'lifecycle-2', specPath: 'y.yaml', spec: {} });
    const again = await store.ensureRun(other.id, { key: 'k-life', spec, config, study: 'table1', grid: {} });
    assert.deepEqual(again, { id: ensured.id, status: 'done', attempts: 1 });
    const members = await store.sweepMembers(other.id);
    assert.deepEqual(members.map((m) => [m.run.key, m.study, m.run.test.MAE]), [['k-life', 'table1', 0.93]]);
  });

  it('keeps a failed attempt and its retry apart', async () => {
    const sweep = await store.startSweep({ name: 'retry', specPath: 'r.yaml', spec: {} });
    const spec = makeSpec({ seed: 7 });
    const { id } = await store.ensureRun(sweep.id, { key: 'k-retry', spec, config: {}, study: 'table1', grid: {} });
    await store.markRunning(id, 1, HOST);
    await store.recordEpoch(id, makeEpoch(1, { MAE: 9 }));
    await store.failRun(id, { exitCode: null, signal: 'SIGKILL', stderrTail: 'killed', durationMs: 50, attempt: 1, final: false });

    let run = (await store.getRunDetail('k-retry'))!.run;
    assert.deepEqual([run.status, run.attempts, run.exitCode, run.signal, run.stderrTail, run.durationMs], ['pending', 1, null, 'SIGKILL', 'killed', 50]);
    assert.deepEqual((await store.ensureRun(sweep.id, { key: 'k-retry', spec, config: {}, study: 'table1', grid: {} })).status, 'pending');

    await store.markRunning(id, 2, HOST);
    run = (await store.getRunDetail('k-retry'))!.run;
    assert.deepEqual([run.status, run.signal, run.stderrTail], ['running', null, null], 'a new attempt starts clean');
    await store.recordEpoch(id, makeEpoch(1));
    await store.recordEpoch(id, makeEpoch(2));
    await store.completeRun(id, makeResult(spec, {}, { MAE: 0.5 }, { MAE: 0.4 }));

    const detail = (await store.getRunDetail('k-retry'))!;
    assert.deepEqual([detail.run.status, detail.run.attempts, detail.run.exitCode], ['done', 2, 0]);
    assert.deepEqual(detail.run.failures.map((f) => [f.attempt, f.signal, f.stderrTail]), [[1, 'SIGKILL', 'killed']]);
    assert.deepEqual(detail.epochs.map((e) => [e.attempt, e.epoch, e.valid.MAE]), [[1, 1, 9], [2, 1, 1], [2, 2, 0.5]]);

    // A final failure leaves the run failed with the reason.
    const { id: doomed } = await store.ensureRun(sweep.id, { key: 'k-doomed', spec: makeSpec({ seed: 8 }), config: {}, study: 'table1', grid: {} });
    await store.markRunning(doomed, 1, HOST);
    await store.failRun(doomed, { exitCode: 1, signal: null, stderrTail: 'midg: error: out of memory', durationMs: 10, attempt: 1, final: true });
    const failed = (await store.getRunDetail('k-doomed'))!.run;
    assert.deepEqual([failed.status, failed.exitCode, failed.stderrTail], ['failed', 1, 'midg: error: out of memory']);
  });

  it('resets only the interrupted runs of the given sweep', async () => {
    const killed = await store.startSweep({ name: 'killed', specPath: 'k.yaml', spec: {} });
    const alive = await store.startSweep({ name: 'alive', specPath: 'a.yaml', spec: {} });
    const ensure = (sweepId: number, key: string) =>
      store.ensureRun(sweepId, { key, spec: makeSpec({ seed: key.length }), config: {}, study: 'table1', grid: {} });
    const a = await ensure(killed.id, 'k-int-a');
    const b = await ensure(killed.id, 'k-int-b');
    const c = await ensure(alive.id, 'k-int-c');
    await ensure(killed.id, 'k-int-d');
    for (const run of [a, b, c]) await store.markRunning(run.id, 1, HOST);
    await store.completeRun(b.id, makeResult(makeSpec(), {}, { MAE: 1 }, { MAE: 1 }));

    assert.equal(await store.resetInterruptedRuns(killed.id), 1);
    const status = async (key: string) => (await store.getRunDetail(key))!.run.status;
    assert.deepEqual([await status('k-int-a'), await status('k-int-b'), await status('k-int-c'), await status('k-int-d')], ['pending', 'done', 'running', 'pending']);
    assert.equal(await store.resetInterruptedRuns(killed.id), 0);
  });

  it('resumes a sweep started again under the same name', async () => {
    const first = await store.startSweep({ name: 'resumable', specPath: 'v1.yaml', spec: { v: 1 } });
    await store.finishSweep(first.id, 'interrupted');
    const second = await store.startSweep({ name: 'resumable', specPath: 'v2.yaml', spec: { v: 2 } });
    assert.equal(second.id, first.id);
    const record = await store.findSweep('resumable');
    assert.deepEqual([record?.status, record?.specPath, record?.spec, record?.finishedAt], ['running', 'v2.yaml', { v: 2 }, null]);
    assert.equal((await store.findSweep())?.name, 'resumable', 'the latest started sweep is the default');
  });

  it('serialises writes issued concurrently from one process', async () => {
    const sweep = await store.startSweep({ name: 'parallel', specPath: 'p.yaml', spec: {} });
    const ensured = await Promise.all(
      Array.from({ length: 12 }, (_, i) => store.ensureRun(sweep.id, { key: `k-par-${i}`, spec: makeSpec({ seed: 100 + i }), config: {}, study: 'table1', grid: {} })),
    );
    await Promise.all(ensured.flatMap(({ id }) => [1, 2, 3].map((epoch) => store.recordEpoch(id, makeEpoch(epoch)))));
    const counts = runReadOnlySql(store.file, `SELECT COUNT(*) FROM epoch_log WHERE runId IN (${ensured.map((e) => e.id).join(',')})`);
    assert.deepEqual(counts.rows, [[36]]);
  });

  it('filters runs by sweep, study, model, pair, seed, status and resolved config values', async () => {
    const sweep = await store.startSweep({ name: 'filters', specPath: 'f.yaml', spec: {} });
    const add = async (key: string, spec: Partial<ReturnType<typeof makeSpec>>, config: Record<string, number | string>, study: string) =>
      store.ensureRun(sweep.id, { key, spec: makeSpec(spec), config, study, grid: {} });
    await add('k-f1', { model: 'midg', seed: 1 }, { experts: 4, modalities: 'tav' }, 'experts');
    await add('k-f2', { model: 'midg', seed: 2 }, { experts: 8, modalities: 'tav' }, 'experts');
    await add('k-f3', { model: 'mult', source: 'synth:sims:tiny', seed: 1 }, { experts: 4, modalities: 't' }, 'table1');
    const keys = async (filter: Parameters<ResultsStore['findRuns']>[0]) => (await store.findRuns(filter)).map((run) => run.key);

    assert.deepEqual(await keys({ sweep: 'filters' }), ['k-f1', 'k-f2', 'k-f3']);
    assert.deepEqual(await keys({ sweep: 'filters', study: 'experts' }), ['k-f1', 'k-f2']);
    assert.deepEqual(await keys({ sweep: 'filters', model: 'mult' }), ['k-f3']);
    assert.deepEqual(await keys({ sweep: 'filters', source: 'synth:sims:tiny', target: 'synth:mosei:tiny' }), ['k-f3']);
    assert.deepEqual(await keys({ sweep: 'filters', seed: 1 }), ['k-f1', 'k-f3']);
    assert.deepEqual(await keys({ sweep: 'filters', where: { experts: '4' } }), ['k-f1', 'k-f3']);
    assert.deepEqual(await keys({ sweep: 'filters', where: { experts: '4.0', modalities: 'tav' } }), ['k-f1']);
    assert.deepEqual(await keys({ sweep: 'filters', where: { experts: 'four' } }), []);
    assert.deepEqual(await keys({ sweep: 'no-such-sweep' }), []);
  });
});

describe('runReadOnlySql', () => {
  it('returns columns and rows, keeping repeated column names apart', async () => {
    const file = freshFile();
    const store = await ResultsStore.open(file);
    await store.startSweep({ name: 'sql', specPath: 'q.yaml', spec: {} });
    await store.close();
    assert.deepEqual(runReadOnlySql(file, `SELECT name, 1 AS name, NULL AS absent FROM sweep`), { columns: ['name', 'name', 'absent'], rows: [['sql', 1, null]] });
  });

  it('refuses writes, several statements, bad SQL and a missing file, each with one clear message', async () => {
    const file = freshFile();
    await (await ResultsStore.open(file)).close();
    assert.throws(() => runReadOnlySql(file, `UPDATE run SET status = 'done'`), /^Error: --sql runs statements that return rows only/);
    assert.throws(() => runReadOnlySql(file, `INSERT INTO sweep (name) VALUES ('x') RETURNING id`), /readonly|read-only/i);
    assert.throws(() => runReadOnlySql(file, 'SELECT 1; SELECT 2'), /^Error: --sql: .*more than one statement/);
    assert.throws(() => runReadOnlySql(file, 'SELECT nope FROM run'), /^Error: --sql: no such column: nope$/);
    assert.throws(() => runReadOnlySql(join(tmp.dir, 'absent.sqlite'), 'SELECT 1'), /results database .*absent\.sqlite does not exist/);
  });
});
