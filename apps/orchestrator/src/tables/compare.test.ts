import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ResultsStore, type SweepMember } from '../db';
import { tempDir } from '../db/testing/fixtures';
import { buildTable1, compareWithRow, renderTable, type ResultTable } from '.';
import { CSV_HEADER } from './render';
import type { CellValue } from './model';
import { MIDG_DEFAULTS, MOSEI, MOSI, planGroup, writePlannedSweep, type Headline } from './testing/paper-sweep';

// Six seeds (the fewest at which the sign-flip test can reach p < 0.05): midg is better than late fusion on every
// seed, mult is better on three and worse on three, misa lacks seed 2. Expected p-values are counted by hand here.

const SEEDS = [1, 2, 3, 4, 5, 6];
const JITTER: Record<number, number> = { 1: -0.011, 2: 0.017, 3: 0.003, 4: -0.006, 5: 0.009, 6: 0.001 };
/** mult − late fusion on ACC, seed by seed: three up, three down, summing to zero. */
const MULT_SWINGS: Record<number, number> = { 1: 0.02, 2: -0.03, 3: 0.01, 4: -0.02, 5: 0.03, 6: -0.01 };
const h = (acc: number, f1: number, mae: number, corr: number): Headline => ({ acc, f1, mae, corr });

/** 20 test samples, labels +1 then −1; a method is right on the samples `right` holds (the same on every seed). */
const LABELS = Array.from({ length: 20 }, (_, i) => (i < 10 ? 1 : -1));
const predictionsRightOn = (right: (i: number) => boolean) => () => ({
  predictions: LABELS.map((label, i) => (right(i) ? label : -label)),
  labels: LABELS,
});
// midg is right where late fusion is wrong on samples 12–14 (3 per seed) and wrong where it is right on sample 0.
const LATE_FUSION_RIGHT = (i: number) => i < 12;
const MIDG_RIGHT = (i: number) => i > 0 && i < 15;

const SWEEP = 'evidence';
const tmp = tempDir('midg-compare-');
const file = join(tmp.dir, 'results.sqlite');
let members: SweepMember[];
let table: ResultTable;

before(async () => {
  const common = { source: MOSI, target: MOSEI, study: 'table1', seeds: SEEDS, validMae: 0.8 };
  await writePlannedSweep(file, SWEEP, [
    ...planGroup({ ...common, model: 'late-fusion', config: { modalities: 'tav' }, base: h(0.7, 0.69, 0.8, 0.4), jitter: JITTER, testPredictions: predictionsRightOn(LATE_FUSION_RIGHT) }),
    ...planGroup({ ...common, model: 'midg', config: MIDG_DEFAULTS, base: h(0.74, 0.73, 0.76, 0.44), jitter: JITTER, testPredictions: predictionsRightOn(MIDG_RIGHT) }),
    ...planGroup({
      ...common,
      model: 'mult',
      config: { modalities: 'tav', heads: 2 },
      base: h(0.7, 0.69, 0.8, 0.4),
      jitter: Object.fromEntries(SEEDS.map((seed) => [seed, JITTER[seed]! + MULT_SWINGS[seed]!])),
    }),
    ...planGroup({ ...common, model: 'misa', config: { modalities: 'tav', misa: 1 }, base: h(0.5, 0.49, 1, 0.2), jitter: JITTER, absent: { 2: { outcome: 'pending' } } }),
  ]);
  const store = await ResultsStore.open(file, { readonly: true });
  members = await store.sweepMembers((await store.findSweep(SWEEP))!.id);
  await store.close();
  table = compareWithRow(buildTable1(members, SWEEP)!, 'late-fusion');
});
after(() => tmp.remove());

function value(model: string, column: string): CellValue {
  const block = table.blocks[0]!;
  const index = block.groups[0]!.columns.findIndex((c) => c.label === column);
  return block.rows.find((row) => row.key === model)!.cells[index]!.values[0]!;
}

describe('midg tables --compare', () => {
  it('marks a difference of the same sign on all six seeds: p = 2/64', () => {
    for (const column of ['ACC', 'F1', 'MAE']) {
      const comparison = value('midg', column).comparison!;
      assert.deepEqual([comparison.against, comparison.seeds, comparison.pValue, comparison.significant], ['late-fusion', SEEDS, 2 / 64, true], column);
    }
    assert.ok(Math.abs(value('midg', 'ACC').comparison!.meanDifference - 0.04) < 1e-12);
    assert.ok(Math.abs(value('midg', 'MAE').comparison!.meanDifference + 0.04) < 1e-12);
  });

  it('does not mark a difference that changes sign from seed to seed', () => {
    const comparison = value('mult', 'ACC').comparison!;
    assert.equal(comparison.seeds.length, 6);
    assert.equal(comparison.pValue, 1, 'the swings sum to zero: every sign pattern is as extreme');
    assert.equal(comparison.significant, false);
  });

  it('pairs by seed: only the seeds both rows finished', () => {
    const comparison = value('misa', 'ACC').comparison!;
    assert.deepEqual(comparison.seeds, [1, 3, 4, 5, 6]);
    assert.equal(comparison.pValue, 2 / 32, 'five same-signed seeds cannot reach 0.05');
    assert.equal(comparison.significant, false);
    assert.equal(value('late-fusion', 'ACC').comparison, undefined, 'the compared row itself is not compared');
  });

  it('gives McNemar on the pooled predictions where both rows kept them (ACC only)', () => {
    // Per seed midg alone is right on 3 samples (12–14), late fusion alone on 1 (0): b = 18, c = 6 over six seeds.
    const { mcnemar } = value('midg', 'ACC').comparison!;
    assert.deepEqual(mcnemar && [mcnemar.b, mcnemar.c, mcnemar.samples, mcnemar.method], [18, 6, 120, 'exact binomial']);
    assert.ok(Math.abs(mcnemar!.pValue - 0.022655844688415527) < 1e-12, 'scipy: 2·binom.cdf(6, 24, ½)');
    assert.equal(value('midg', 'MAE').comparison!.mcnemar, undefined, 'not a binary accuracy');
    assert.equal(value('mult', 'ACC').comparison!.mcnemar, undefined, 'mult kept no predictions');
  });

  it('writes the mark and a legend naming the test, the row and n', () => {
    const md = renderTable(table, 'md');
    const line = (model: string) => md.split('\n').find((row) => row.startsWith(`| ${model} |`))!;
    assert.match(line('midg'), /^\| midg \| \*\*\d+\.\d\d ± \d+\.\d\d\*\*\\\* \| /);
    assert.ok(!line('mult').includes('\\*') && !line('misa').includes('\\*'), `${line('mult')}\n${line('misa')}`);
    const notes = table.notes.join('\n');
    assert.match(notes, /^Significance \(\* after a value\): it differs from row "late-fusion" in the same column at p < 0\.05 \(two-sided exact sign-flip permutation test of the per-seed values, paired by seed .*n=5–6 per value; 3 of 9 compared values marked/m);
    assert.match(notes, /McNemar's test against "late-fusion" .*midg MOSI→MOSEI ACC: b=18, c=6, p=0\.0227 \(exact binomial, 120 predictions\)/);
    const tex = renderTable(table, 'latex');
    assert.match(tex, /\\textbf\{\d+\.\d\d \$\\pm\$ \d+\.\d\d\}\$\^\{\*\}\$/);
  });

  it('puts p, n and McNemar in the CSV', () => {
    const rows = renderTable(table, 'csv').trimEnd().split('\n').map((line) => line.split(','));
    const at = (row: string[], name: string) => row[CSV_HEADER.indexOf(name)];
    const midgAcc = rows.find((row) => row[2] === 'midg' && row[5] === 'ACC')!;
    assert.deepEqual(
      ['compared_with', 'paired_n', 'p_value', 'significant', 'mcnemar_b', 'mcnemar_c'].map((name) => at(midgAcc, name)),
      ['late-fusion', '6', String(2 / 64), 'true', '18', '6'],
    );
    const lateFusion = rows.find((row) => row[2] === 'late-fusion' && row[5] === 'ACC')!;
    assert.deepEqual(['compared_with', 'p_value'].map((name) => at(lateFusion, name)), ['', '']);
  });

  it('refuses a row the table does not have, listing the rows it has', () => {
    assert.throws(() => compareWithRow(buildTable1(members, SWEEP)!, 'late_fusion'), {
      message: '--compare late_fusion: table1 has no row "late_fusion"; its rows: late-fusion, misa, mult, midg',
    });
  });
});

describe('confidence intervals in CSV and LaTeX', () => {
  it('give mean ± t_{0.975, n−1}·std/√n over seeds', () => {
    const plain = buildTable1(members, SWEEP)!;
    const rows = renderTable(plain, 'csv').trimEnd().split('\n').map((line) => line.split(','));
    const midgAcc = rows.find((row) => row[2] === 'midg' && row[5] === 'ACC')!;
    const accs = SEEDS.map((seed) => 0.74 + JITTER[seed]!);
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    const std = Math.sqrt(accs.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (accs.length - 1));
    const half = (2.5705818356363146 * std) / Math.sqrt(6); // scipy t.ppf(0.975, 5)
    const low = Number(midgAcc[CSV_HEADER.indexOf('ci95_low')]);
    const high = Number(midgAcc[CSV_HEADER.indexOf('ci95_high')]);
    assert.ok(Math.abs(low - (mean - half)) < 1e-12 && Math.abs(high - (mean + half)) < 1e-12, `${low} ${high}`);
    const tex = renderTable(plain, 'latex');
    assert.ok(tex.includes(`{\\scriptsize [${((mean - half) * 100).toFixed(2)}, ${((mean + half) * 100).toFixed(2)}]}`), tex);
    assert.equal(at(rows.find((row) => row[2] === 'misa' && row[5] === 'ACC')!, 'paired_n'), '', 'no comparison without --compare');
  });
});

function at(row: string[], name: string): string | undefined {
  return row[CSV_HEADER.indexOf(name)];
}
