// PostgreSQL: the shared store suite and what is PostgreSQL's own. The server comes from tools/services.sh
// (see testing/services.ts): these tests fail, never skip, when there is none.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { openStore } from './open';
import type { ResultsStore } from './store';
import { isPostgresUrl, redactUrl } from './postgres/store';
import { entitiesFor } from './typeorm/entities';
import { freshDatabase } from './testing/postgres';
import { postgresTestUrl } from './testing/services';
import { storeSuite } from './testing/store-suite';

const databases: { drop: () => Promise<void> }[] = [];
async function freshUrl(): Promise<string> {
  const database = await freshDatabase();
  databases.push(database);
  return database.url;
}
after(async () => {
  for (const database of databases) await database.drop();
});

// The tests' URLs have no password, so a store's location (its URL without the password) opens it again.
storeSuite({ name: 'postgres', create: async () => openStore(await freshUrl()), reopen: (store) => openStore(store.location) });

const MIGRATIONS = ['InitialSchema1764000000000', 'ClaimsAndExecutors1765000000000', 'TestPredictionsAndPeakRss1766000000000'];

describe('PostgreSQL store', () => {
  let url: string;
  before(async () => {
    url = await freshUrl();
  });

  it('migrates an empty database once, even when several connections open it at once', async () => {
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(url)));
    for (const store of stores) assert.deepEqual(await store.appliedMigrations(), MIGRATIONS);
    await Promise.all(stores.map((store) => store.close()));
    const again = await openStore(url);
    assert.deepEqual(await again.appliedMigrations(), MIGRATIONS);
    await again.close();
  });

  it('leaves nothing for TypeORM to change: the entities describe exactly the migrated schema', async () => {
    await (await openStore(url)).close();
    const dataSource = new DataSource({ type: 'postgres', url, entities: entitiesFor('postgres').all });
    await dataSource.initialize();
    const pending = await dataSource.driver.createSchemaBuilder().log();
    await dataSource.destroy();
    assert.deepEqual(pending.upQueries.map((query) => query.query), []);
  });

  it('keeps full double precision for metrics', async () => {
    const store = await openStore(await freshUrl());
    const sweep = await store.startSweep({ name: 'precise', specPath: 'p.yaml', spec: {} });
    const { id } = await store.ensureRun(sweep.id, { key: 'k-precise', spec: { model: 'midg', source: 's', target: 't', seed: 1, backend: 'wasm', overrides: {} }, config: {}, study: 's', grid: {} });
    const value = 0.123456789012345;
    await store.completeRun(id, { event: 'result', spec: { model: 'midg', source: 's', target: 't', seed: 1, backend: 'wasm', overrides: {} }, key: 'k-precise', config: {}, test: { MAE: value }, valid: {}, bestEpoch: 1, epochsRun: 1, durationMs: 1, backend: 'wasm' });
    assert.equal((await store.getRunDetail('k-precise'))!.run.test.MAE, value);
    await store.close();
  });

  it('runs read-only SQL: one statement, rows only, nothing written', async () => {
    const writer = await openStore(url);
    await writer.startSweep({ name: 'sql', specPath: 'q.yaml', spec: {} });
    await writer.close();
    const reader = await openStore(url, { readonly: true });
    try {
      assert.deepEqual(await reader.sql(`SELECT name, 1 AS name FROM sweep WHERE name = 'sql'`), { columns: ['name', 'name'], rows: [['sql', 1]] });
      await assert.rejects(reader.sql(`UPDATE sweep SET status = 'done'`), /^Error: --sql: cannot execute UPDATE in a read-only transaction$/);
      await assert.rejects(reader.sql('SELECT 1; SELECT 2'), /^Error: --sql: cannot insert multiple commands into a prepared statement$/);
      await assert.rejects(reader.sql('SELECT nope FROM run'), /^Error: --sql: column "nope" does not exist$/);
      await assert.rejects(reader.sql(`SET work_mem = '8MB'`), /^Error: --sql runs statements that return rows only/);
      await assert.rejects((reader as ResultsStore).startSweep({ name: 'x', specPath: 'x', spec: {} }), /is open read-only/);
    } finally {
      await reader.close();
    }
  });

  it('says in one line what is wrong with a URL, a database or a server', async () => {
    const server = new URL(postgresTestUrl());
    await assert.rejects(openStore('postgresql://'), /^Error: bad database URL postgresql:\/\/: expected postgresql:\/\/\[user\[:password\]@\]host\[:port\]\/database$/);
    server.pathname = '/midg_no_such_database';
    await assert.rejects(openStore(server.toString()), /^Error: cannot open .*midg_no_such_database: database "midg_no_such_database" does not exist; create it first/);
    await assert.rejects(openStore('postgresql://someone:secret@127.0.0.1:1/x'), (error: Error) => {
      assert.match(error.message, /^cannot connect to postgresql:\/\/someone:\*\*\*@127\.0\.0\.1:1\/x: .*ECONNREFUSED/);
      assert.doesNotMatch(error.message, /secret/);
      return true;
    });
    const fresh = await freshUrl();
    await assert.rejects(openStore(fresh, { readonly: true }), /is not a midg results database/);
  });

  it('recognises and redacts URLs', () => {
    assert.ok(isPostgresUrl('postgresql://u@h/db') && isPostgresUrl('postgres://h/db') && !isPostgresUrl('results/midg.sqlite'));
    assert.equal(redactUrl('postgresql://u:p%40ss@h:5432/db'), 'postgresql://u:***@h:5432/db');
  });
});
