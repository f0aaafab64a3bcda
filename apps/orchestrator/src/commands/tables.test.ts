import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { tempDir } from '../db/testing/fixtures';
import { ResultsStore } from '../db';
import { loadSweep } from '../tables';
import { CSV_HEADER } from '../tables/render';
import { writePaperSweep } from '../tables/testing/paper-sweep';
import { MIDG_BIN } from '../bin-path';

const tmp = tempDir('midg-tables-cli-');
const file = join(tmp.dir, 'results.sqlite');

before(() => writePaperSweep(file));
after(() => tmp.remove());

const midg = (...args: string[]) => execa(process.execPath, [MIDG_BIN, 'tables', '--db', file, ...args], { reject: false, cwd: tmp.dir });

it('midg tables prints a table, writes one to a file, writes all to a directory, and explains a missing grid', async () => {
  const outFile = join(tmp.dir, 'out', 'experts.csv');
  const outDir = join(tmp.dir, 'all');
  const [table1, grid, unknownGrid, all] = await Promise.all([
    midg('--table', '1'),
    midg('--table', 'grid', '--keys', 'experts', '--format', 'csv', '--out', outFile),
    midg('--table', 'grid', '--keys', 'gamma'),
    midg('--out-dir', outDir),
  ]);
  assert.equal(table1.exitCode, 0, table1.stderr);
  assert.match(table1.stdout, /^### Table 1: Domain generalization, target test metrics \(sweep paper\)\n/);
  assert.match(table1.stdout, /\| midg \| \*\*/);

  assert.equal(grid.exitCode, 0, grid.stderr);
  const csv = readFileSync(outFile, 'utf8').trimEnd().split('\n');
  assert.equal(csv[0], CSV_HEADER.join(','));
  assert.equal(csv.length - 1, 3 * 2, 'three settings × ACC and MAE');

  assert.equal(unknownGrid.exitCode, 1);
  assert.equal(unknownGrid.stderr, 'midg: error: sweep paper has no grid over gamma; its swept key groups: alpha,beta; experts');

  assert.equal(all.exitCode, 0, all.stderr);
  const paths = all.stdout.trimEnd().split('\n');
  assert.equal(paths.length, 5 * 3);
  assert.ok(paths.every((path) => existsSync(path)));
});

it('names the sweeps there are when the asked one is not', async () => {
  const store = await ResultsStore.open(file, { readonly: true });
  await assert.rejects(loadSweep(store, 'nope'), { message: `no sweep "nope" in ${file}; sweeps: paper` });
  assert.equal((await loadSweep(store, undefined)).sweep.name, 'paper', 'the latest sweep by default');
  await store.close();
});
