import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { SQLITE_MIGRATIONS } from './sqlite/migrations';
import { runReadOnlySql } from './sqlite/sql';
import { tempDir } from './testing/fixtures';

const WORKERS = 8;
const RUNS_PER_WORKER = 10;
const EPOCHS = 3;
const writer = fileURLToPath(new URL('./testing/concurrent-writer.ts', import.meta.url));

const tmp = tempDir();
after(() => tmp.remove());

it(`${WORKERS} processes writing one fresh file at once all succeed and every row lands`, async () => {
  const file = join(tmp.dir, 'shared', 'results.sqlite');
  const results = await Promise.all(
    Array.from({ length: WORKERS }, (_, worker) =>
      execa(process.execPath, ['--import', 'tsx', writer, file, String(worker), String(RUNS_PER_WORKER)], { reject: false }),
    ),
  );
  for (const [worker, result] of results.entries()) {
    assert.equal(result.exitCode, 0, `worker ${worker} failed: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /database is locked|SQLITE_BUSY/);
  }
  const count = (sql: string): unknown => runReadOnlySql(file, sql).rows[0]![0];
  const runs = WORKERS * RUNS_PER_WORKER;
  assert.equal(count('SELECT COUNT(*) FROM migrations'), SQLITE_MIGRATIONS.length, 'the schema was migrated exactly once (each migration one row)');
  assert.equal(count('SELECT COUNT(*) FROM sweep'), WORKERS);
  assert.equal(count(`SELECT COUNT(*) FROM run WHERE status = 'done'`), runs);
  assert.equal(count('SELECT COUNT(*) FROM run'), runs + 1, 'plus the one run every worker shares');
  assert.equal(count('SELECT COUNT(*) FROM sweep_run'), runs + WORKERS);
  assert.equal(count('SELECT COUNT(*) FROM epoch_log'), runs * EPOCHS);
  assert.equal(count('SELECT COUNT(*) FROM metric'), runs * 3);
  assert.equal(count(`SELECT COUNT(DISTINCT runId) FROM epoch_log`), runs);
});
