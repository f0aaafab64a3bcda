// End to end with real training workers: the CI spec through `midg sweep`, locally into SQLite and then as Slurm job
// arrays into PostgreSQL (killed midway with SIGKILL and rerun to completion), then `midg tables` and `midg query` on
// both databases, which must agree run key by run key. Slurm and PostgreSQL come from tools/services.sh (see
// db/testing/services.ts). Crash safety and failure capture are also covered with a fake worker in sweep.test.ts and
// sweep.slurm.test.ts.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { openStore, type RunRecord } from '../db';
import { freshDatabase } from '../db/testing/postgres';
import { requireSlurm } from '../db/testing/services';
import { MIDG_BIN } from '../bin-path';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'midg-e2e-'));
const databases: { drop: () => Promise<void> }[] = [];
after(async () => {
  for (const database of databases) await database.drop();
  rmSync(dir, { recursive: true, force: true });
});
const db = join(dir, 'midg.sqlite');

const midg = (...args: string[]) => execa(process.execPath, [MIDG_BIN, ...args], { reject: false, cwd: root, env: { CI: '1' } });

/** Every table as CSV, by file name. */
async function tables(database: string): Promise<Map<string, string>> {
  const out = join(dir, `tables-${Math.random().toString(36).slice(2)}`);
  const result = await midg('tables', '--db', database, '--out-dir', out);
  assert.equal(result.exitCode, 0, result.stderr);
  return new Map(readdirSync(out).filter((name) => name.endsWith('.csv')).sort().map((name) => [name, readFileSync(join(out, name), 'utf8')]));
}

async function runsByKey(database: string): Promise<Map<string, RunRecord>> {
  const store = await openStore(database, { readonly: true });
  try {
    return new Map((await store.findRuns({ sweep: 'ci' })).map((run) => [run.key, run]));
  } finally {
    await store.close();
  }
}

test('the CI spec trains every run for real, writes the tables, and a rerun trains nothing', async () => {
  const first = await midg('sweep', '--spec', 'experiments/ci.yaml', '--db', db, '--workers', '2');
  assert.equal(first.exitCode, 0, first.stderr);
  assert.match(first.stdout, /sweep ci: 10 runs, 10 done \(10 now, 0 before\), 0 failed/);
  const table1 = readFileSync(join(dir, 'tables', 'table1.md'), 'utf8');
  assert.match(table1, /^\| late-fusion \|/m);
  assert.match(table1, /^\| midg \|/m);
  assert.match(table1, /MOSI→MOSEI ACC/);
  assert.ok(existsSync(join(dir, 'tables', 'table2.tex')));

  const again = await midg('sweep', '--spec', 'experiments/ci.yaml', '--db', db);
  assert.equal(again.exitCode, 0, again.stderr);
  assert.match(again.stdout, /10 done \(0 now, 10 before\)/);

  const table2 = await midg('tables', '--db', db, '--table', '2', '--format', 'csv');
  assert.equal(table2.exitCode, 0, table2.stderr);
  assert.match(table2.stdout, /^table2,Module ablation — midg,no-moie-no-adapter,MOSI→MOSEI,MAE,/m, 'the ablated rows are there');

  const query = await midg('query', '--db', db, '--model', 'late-fusion', '--format', 'json');
  assert.equal(query.exitCode, 0, query.stderr);
  const runs = JSON.parse(query.stdout) as { model: string; status: string }[];
  assert.equal(runs.length, 4);
  assert.ok(runs.every((run) => run.model === 'late-fusion' && run.status === 'done'));

  const sql = await midg('query', '--db', db, '--sql', "select split || ':' || count(*) from metric where name = 'MAE' group by split order by split");
  assert.equal(sql.exitCode, 0, sql.stderr);
  assert.match(sql.stdout, /test:10\s+valid:10/, 'one test and one validation MAE per run');
});

test('the CI spec on Slurm into PostgreSQL, killed with SIGKILL midway and rerun, gives the local run\'s metrics and tables', async () => {
  assert.ok(existsSync(db), 'this test compares with the local run of the test before it; run both');
  requireSlurm();
  const database = await freshDatabase('midg_e2e');
  databases.push(database);
  const workDir = join(dir, 'work');
  // Started in the test's directory: results/ (checkpoints, tables) goes there, and the tasks start there too.
  const sweep = ['sweep', '--spec', join(root, 'experiments', 'ci.yaml'), '--executor', 'slurm', '--db', database.url, '--work-dir', workDir, '--poll', '1'];

  const first = execa(process.execPath, [MIDG_BIN, ...sweep], { reject: false, cwd: dir, env: { CI: '1' } });
  let finished = 0;
  first.stdout!.on('data', (chunk: Buffer) => {
    finished += (String(chunk).match(/\] done: /g) ?? []).length;
    if (finished >= 3) first.kill('SIGKILL');
  });
  const killed = await first;
  assert.equal(killed.signal, 'SIGKILL', `${killed.stdout}\n${killed.stderr}`);
  assert.match(killed.stdout, /slurm: submitted job \d+: 10 run\(s\), --array=0-9%100/);
  const doneAtKill = [...(await runsByKey(database.url)).values()].filter((run) => run.status === 'done').length;
  assert.ok(doneAtKill >= 3 && doneAtKill < 10, `done when the host was killed: ${doneAtKill}`);

  const second = await execa(process.execPath, [MIDG_BIN, ...sweep], { reject: false, cwd: dir, env: { CI: '1' } });
  assert.equal(second.exitCode, 0, `${second.stdout}\n${second.stderr}`);
  assert.match(second.stdout, new RegExp(`10 runs: ${doneAtKill} already done`));
  assert.match(second.stdout, /slurm: (reattached to job \d+|recorded \d+ result\(s\) written while the sweep was away)/);
  assert.doesNotMatch(second.stdout, /slurm: submitted job/, 'nothing was submitted twice');
  assert.match(second.stdout, /sweep ci: 10 runs, 10 done \(\d+ now, \d+ before\), 0 failed/);
  assert.equal(readdirSync(join(dir, 'results', 'checkpoints')).length, 10, 'checkpoints under results/ of where the sweep ran');

  // Same runs, same metrics, run key by run key; and so the same tables.
  const [local, cluster] = await Promise.all([runsByKey(db), runsByKey(database.url)]);
  assert.deepEqual([...cluster.keys()].sort(), [...local.keys()].sort());
  for (const [key, run] of local) {
    assert.deepEqual(cluster.get(key)!.test, run.test, `test metrics of ${key}`);
    assert.deepEqual(cluster.get(key)!.valid, run.valid, `valid metrics of ${key}`);
    assert.equal(cluster.get(key)!.attempts, 1, `${key} ran once`);
  }
  assert.deepEqual(await tables(database.url), await tables(db));
  const sql = await midg('query', '--db', database.url, '--format', 'csv', '--sql', `select count(*) as epochs from epoch_log e join run r on r.id = e."runId" where r.status = 'done'`);
  assert.equal(sql.exitCode, 0, sql.stderr);
  assert.equal(sql.stdout.trim(), 'epochs\n20', 'two epochs per run');
});
