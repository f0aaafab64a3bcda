import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { openStore } from '../db';
import { tempDir } from '../db/testing/fixtures';
import { freshDatabase } from '../db/testing/postgres';
import { writePaperSweep } from '../tables/testing/paper-sweep';
import { MIDG_BIN } from '../bin-path';

const tmp = tempDir('midg-db-cli-');
const laptop = join(tmp.dir, 'laptop.sqlite');
const databases: { drop: () => Promise<void> }[] = [];
before(() => writePaperSweep(laptop));
after(async () => {
  for (const database of databases) await database.drop();
  tmp.remove();
});

const midg = (...args: string[]) => execa(process.execPath, [MIDG_BIN, ...args], { reject: false, cwd: tmp.dir });

/** Every table of the latest sweep, as CSV: what two databases must agree on. */
const tableCache = new Map<string, Promise<string>>();
function tables(db: string): Promise<string> {
  if (!tableCache.has(db) || db !== laptop) tableCache.set(db, readTables(db));
  return tableCache.get(db)!;
}

async function readTables(db: string): Promise<string> {
  const result = await midg('tables', '--db', db, '--out-dir', join(tmp.dir, 'tables', String(Math.random())));
  assert.equal(result.exitCode, 0, result.stderr);
  const files = result.stdout.trim().split('\n').filter((path) => path.endsWith('.csv')).sort();
  return files.map((path) => readFileSync(path, 'utf8')).join('\n');
}

it('midg db copy merges by run key into SQLite and PostgreSQL, and a second copy changes nothing', async () => {
  const copy = join(tmp.dir, 'merged', 'copy.sqlite');
  const database = await freshDatabase();
  databases.push(database);
  const source = await openStore(laptop, { readonly: true });
  const runs = (await source.findRuns()).length;
  const links = (await source.sweepMembers((await source.findSweep('paper'))!.id)).length;
  await source.close();

  for (const target of [copy, database.url]) {
    const first = await midg('db', 'copy', '--from', laptop, '--to', target);
    assert.equal(first.exitCode, 0, first.stderr);
    assert.equal(first.stdout, `${laptop} → ${target}: runs ${runs} new, 0 upgraded, 0 unchanged; sweeps 1 new, 0 already there; ${links} sweep links added`);
    const second = await midg('db', 'copy', '--from', laptop, '--to', target);
    assert.equal(second.exitCode, 0, second.stderr);
    assert.equal(second.stdout, `${laptop} → ${target}: runs 0 new, 0 upgraded, ${runs} unchanged; sweeps 0 new, 1 already there; 0 sweep links added`);
    assert.equal(await tables(target), await tables(laptop), `the tables from ${target} are the laptop's`);
  }
  // And back: PostgreSQL into a fresh SQLite file gives the same tables again.
  const back = join(tmp.dir, 'back.sqlite');
  const result = await midg('db', 'copy', '--from', database.url, '--to', back);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.equal(await tables(back), await tables(laptop));
  // Every run's test predictions and peak RSS made the trip, there and back.
  assert.deepEqual(await evidence(back), await evidence(laptop));
  assert.equal((await evidence(laptop)).filter(([, predictions, rss]) => predictions !== null && rss !== null).length, 3, 'the fixture has some');
});

/** Each run's key, test predictions and peak RSS, by key. */
async function evidence(db: string): Promise<[string, unknown, number | null][]> {
  const store = await openStore(db, { readonly: true });
  try {
    return (await store.findRuns()).map((run): [string, unknown, number | null] => [run.key, run.testPredictions, run.peakRssBytes]).sort(([a], [b]) => a.localeCompare(b));
  } finally {
    await store.close();
  }
}

it('midg db copy refuses the same database twice and a missing source, in one line', async () => {
  const [same, missing] = await Promise.all([
    midg('db', 'copy', '--from', laptop, '--to', join(tmp.dir, '.', 'laptop.sqlite')),
    midg('db', 'copy', '--from', join(tmp.dir, 'nope.sqlite'), '--to', join(tmp.dir, 'x.sqlite')),
  ]);
  assert.deepEqual([same.exitCode, same.stderr], [1, 'midg: error: --from and --to are the same database']);
  assert.deepEqual([missing.exitCode, missing.stderr], [1, `midg: error: results database ${join(tmp.dir, 'nope.sqlite')} does not exist`]);
});

it('db migrate: upgrades in place and says so; a missing file is one error line, and nothing is created', async () => {
  const ok = await midg('db', 'migrate', '--db', laptop);
  assert.equal(ok.exitCode, 0, ok.stderr);
  assert.match(ok.stdout, /laptop\.sqlite: schema up to date/);
  const missing = join(tmp.dir, 'missing.sqlite');
  const bad = await midg('db', 'migrate', '--db', missing);
  assert.equal(bad.exitCode, 1);
  assert.equal(bad.stderr.trim(), `midg: error: results database ${missing} does not exist`);
  assert.throws(() => readFileSync(missing), /ENOENT/);
});
