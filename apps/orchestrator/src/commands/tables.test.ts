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

it('midg tables --compare adds the legend, refuses an unknown row in one line, and goes with --table only', async () => {
  const [compared, unknown, withOutDir] = await Promise.all([
    midg('--table', '1', '--compare', 'mult'),
    midg('--table', '1', '--compare', 'late-fusion'),
    midg('--out-dir', join(tmp.dir, 'nope'), '--compare', 'mult'),
  ]);
  assert.equal(compared.exitCode, 0, compared.stderr);
  // At most two seeds pair up here (one of each row is missing): the smallest attainable p is 0.5, and the legend says so.
  assert.match(compared.stdout, /\n- Significance \(\\\* after a value\): it differs from row "mult" in the same column at p < 0\.05 .*\(0\.5 for n=2\), so no value here can be marked/);
  assert.equal(unknown.exitCode, 1);
  assert.equal(unknown.stderr, 'midg: error: --compare late-fusion: table1 has no row "late-fusion"; its rows: mult, midg');
  assert.equal(withOutDir.exitCode, 1);
  assert.match(withOutDir.stderr, /mutually exclusive|Arguments out-dir and compare/);
});

it('midg tables --table grid --compare compares the grids that have the row', async () => {
  const [grids, nowhere] = await Promise.all([midg('--table', 'grid', '--compare', 'experts=4'), midg('--table', 'grid', '--compare', 'experts=3')]);
  assert.equal(grids.exitCode, 0, grids.stderr);
  const [alphaBeta, experts] = grids.stdout.split('### Grid over ').slice(1);
  assert.ok(alphaBeta!.startsWith('alpha × beta') && !alphaBeta!.includes('Significance ('), 'no experts=4 row there');
  assert.match(experts!, /- Significance \(\\\* after a value\): it differs from row "experts=4"/);
  assert.equal(nowhere.exitCode, 1);
  assert.equal(
    nowhere.stderr,
    'midg: error: --compare experts=3: grid-alpha-beta, grid-experts have no row "experts=3"; their rows: alpha=0.5, alpha=1, experts=2, experts=4, experts=8',
  );
});

it('names the sweeps there are when the asked one is not', async () => {
  const store = await ResultsStore.open(file, { readonly: true });
  await assert.rejects(loadSweep(store, 'nope'), { message: `no sweep "nope" in ${file}; sweeps: paper` });
  assert.equal((await loadSweep(store, undefined)).sweep.name, 'paper', 'the latest sweep by default');
  await store.close();
});
