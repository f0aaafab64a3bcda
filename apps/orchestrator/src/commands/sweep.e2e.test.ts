// End to end with real training workers: the CI spec through `midg sweep`, then `midg tables` and `midg query`
// on the database it wrote. (Crash safety and failure capture are covered with a fake worker in sweep.test.ts.)
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { MIDG_BIN } from '../bin-path';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'midg-e2e-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, 'midg.sqlite');

const midg = (...args: string[]) => execa(process.execPath, [MIDG_BIN, ...args], { reject: false, cwd: root, env: { CI: '1' } });

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
