import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { openStore } from './open';
import { SqliteStore } from './sqlite/store';
import { runReadOnlySql } from './sqlite/sql';
import { entitiesFor } from './typeorm/entities';
import { tempDir } from './testing/fixtures';
import { storeSuite } from './testing/store-suite';

const tmp = tempDir();
after(() => tmp.remove());

let fileCounter = 0;
const freshFile = (): string => join(tmp.dir, `db-${++fileCounter}`, 'results.sqlite');

storeSuite({ name: 'sqlite', create: () => openStore(freshFile()), reopen: (store) => openStore(store.location) });

const MIGRATIONS = ['InitialSchema1764000000000', 'ClaimsAndExecutors1765000000000', 'TestPredictionsAndPeakRss1766000000000'];

describe('SQLite store', () => {
  it('migrates an empty file (creating its directory) once, in WAL mode', async () => {
    const file = freshFile();
    const first = await openStore(file);
    assert.deepEqual(await first.appliedMigrations(), MIGRATIONS);
    const sweep = await first.startSweep({ name: 's', specPath: 's.yaml', spec: {} });
    await first.close();

    const second = await openStore(file);
    assert.deepEqual(await second.appliedMigrations(), MIGRATIONS);
    assert.equal((await second.findSweep('s'))?.id, sweep.id, 'data survives the reopen');
    await second.close();

    const tables = runReadOnlySql(file, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`);
    assert.deepEqual(tables.rows.map(([name]) => name), ['artifact', 'epoch_log', 'metric', 'migrations', 'run', 'sweep', 'sweep_run']);
    assert.deepEqual(runReadOnlySql(file, 'PRAGMA journal_mode').rows, [['wal']]);
  });

  it('leaves nothing for TypeORM to change: the entities describe exactly the migrated schema', async () => {
    const file = freshFile();
    await (await openStore(file)).close();
    const dataSource = new DataSource({ type: 'better-sqlite3', database: file, entities: entitiesFor('sqlite').all });
    await dataSource.initialize();
    const pending = await dataSource.driver.createSchemaBuilder().log();
    await dataSource.destroy();
    assert.deepEqual(pending.upQueries.map((query) => query.query), []);
  });

  it('upgrades a file of the first schema, keeping its runs', async () => {
    const file = freshFile();
    const old = await SqliteStore.open(file);
    await old.close();
    // Back to the first schema, as a file written by the previous release.
    const dataSource = new DataSource({ type: 'better-sqlite3', database: file });
    await dataSource.initialize();
    for (const [table, column] of [['sweep', 'executor'], ['sweep', 'executorStateJson'], ['sweep', 'ownerHost'], ['sweep', 'ownerPid'], ['sweep', 'ownerToken'], ['sweep', 'heartbeatAt'], ['run', 'adaptationJson'], ['run', 'claimedBy'], ['epoch_log', 'learningRate'], ['epoch_log', 'diagnosticsJson'], ['run', 'testPredictionsJson'], ['run', 'peakRssBytes']]) {
      await dataSource.query(`ALTER TABLE "${table}" DROP COLUMN "${column}"`);
    }
    await dataSource.query(`DELETE FROM "migrations" WHERE "name" IN ('ClaimsAndExecutors1765000000000', 'TestPredictionsAndPeakRss1766000000000')`);
    await dataSource.query(`INSERT INTO "sweep" ("name", "specPath", "specJson", "status", "startedAt") VALUES ('old', 'o.yaml', '{}', 'done', '2025-01-01 00:00:00.000')`);
    await dataSource.query(
      `INSERT INTO "run" ("key", "model", "source", "target", "seed", "configJson", "overridesJson", "status", "attempts", "failuresJson", "createdAt") ` +
        `VALUES ('k-old', 'midg', 's', 't', 1, '{}', '{}', 'done', 1, '[]', '2025-01-01 00:00:00.000')`,
    );
    await dataSource.destroy();
    await assert.rejects(
      openStore(file, { readonly: true }),
      /has an older schema \(missing ClaimsAndExecutors1765000000000, TestPredictionsAndPeakRss1766000000000\); upgrade it with: midg db migrate/,
    );
    const upgraded = await openStore(file);
    assert.deepEqual(await upgraded.appliedMigrations(), MIGRATIONS);
    assert.equal((await upgraded.findSweep('old'))?.executor, null);
    const oldRun = (await upgraded.getRunDetail('k-old'))!.run;
    assert.deepEqual([oldRun.status, oldRun.testPredictions, oldRun.peakRssBytes], ['done', null, null], 'an old run reads back, without the new fields');
    await upgraded.close();
  });

  it('refuses, read-only, a missing file or one that is not a results database; and refuses writes', async () => {
    await assert.rejects(openStore(join(tmp.dir, 'missing.sqlite'), { readonly: true }), /does not exist/);
    const other = join(tmp.dir, 'other.sqlite');
    writeFileSync(other, '');
    await assert.rejects(openStore(other, { readonly: true }), /not a midg results database/);
    const file = freshFile();
    await (await openStore(file)).close();
    const reader = (await openStore(file, { readonly: true })) as SqliteStore;
    await assert.rejects(reader.startSweep({ name: 'x', specPath: 'x', spec: {} }), /is open read-only/);
    await reader.close();
  });

  it('refuses a URL it does not know, with one line', async () => {
    await assert.rejects(openStore('mysql://root@localhost/midg'), { message: '--db mysql://root@localhost/midg: unsupported database URL scheme "mysql"; expected a file path or a postgresql:// URL' });
  });
});

describe('runReadOnlySql (and the store\'s sql)', () => {
  it('returns columns and rows, keeping repeated column names apart', async () => {
    const file = freshFile();
    const store = await openStore(file);
    await store.startSweep({ name: 'sql', specPath: 'q.yaml', spec: {} });
    await store.close();
    assert.deepEqual(runReadOnlySql(file, `SELECT name, 1 AS name, NULL AS absent FROM sweep`), { columns: ['name', 'name', 'absent'], rows: [['sql', 1, null]] });
    const reader = await openStore(file, { readonly: true });
    assert.deepEqual(await reader.sql(`SELECT name FROM sweep`), { columns: ['name'], rows: [['sql']] });
    await reader.close();
  });

  it('refuses writes, several statements, bad SQL and a missing file, each with one clear message', async () => {
    const file = freshFile();
    await (await openStore(file)).close();
    assert.throws(() => runReadOnlySql(file, `UPDATE run SET status = 'done'`), /^Error: --sql runs statements that return rows only/);
    assert.throws(() => runReadOnlySql(file, `INSERT INTO sweep (name) VALUES ('x') RETURNING id`), /readonly|read-only/i);
    assert.throws(() => runReadOnlySql(file, 'SELECT 1; SELECT 2'), /^Error: --sql: .*more than one statement/);
    assert.throws(() => runReadOnlySql(file, 'SELECT nope FROM run'), /^Error: --sql: no such column: nope$/);
    assert.throws(() => runReadOnlySql(join(tmp.dir, 'absent.sqlite'), 'SELECT 1'), /results database .*absent\.sqlite does not exist/);
  });
});
