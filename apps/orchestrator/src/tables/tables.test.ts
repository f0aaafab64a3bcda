import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ResultsStore, type SweepMember } from '../db';
import { tempDir } from '../db/testing/fixtures';
import { buildGridTable, buildTable1, buildTable2, buildTable3, compareWithRow, gridKeyGroups, renderTable, writeSweepTables, type ResultTable } from '.';
import { CSV_HEADER } from './render';
import type { CellValue, TableRow } from './model';
import { MAJORITY, MIDG_DEFAULTS, MOSEI, MOSI, SIMS, SWEEP, planGroup, writePaperSweep, writePlannedSweep, type Headline, type PlannedRun } from './testing/paper-sweep';

// Expected numbers are recomputed here from the planned per-run values, independently of the table code.
function sampleMeanStd(values: number[]): { mean: number; std: number; n: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1));
  return { mean, std, n: values.length };
}

const tmp = tempDir('midg-tables-');
const file = join(tmp.dir, 'results.sqlite');
let planned: PlannedRun[];
let members: SweepMember[];

before(async () => {
  planned = [...new Map((await writePaperSweep(file)).map((run) => [run.key, run])).values()];
  const store = await ResultsStore.open(file, { readonly: true });
  members = await store.sweepMembers((await store.findSweep(SWEEP))!.id);
  await store.close();
});
after(() => tmp.remove());

function expected(metric: keyof Headline, match: (run: PlannedRun) => boolean): { mean: number; std: number; n: number } {
  const values = planned.filter((run) => run.outcome === 'done' && match(run)).map((run) => run.headline![metric]);
  assert.ok(values.length > 0, 'the fixture has runs for this cell');
  return sampleMeanStd(values);
}

function sameConfig(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
}

const row = (table: ResultTable, key: string, block = 0): TableRow => {
  const found = table.blocks[block]!.rows.find((r) => r.key === key);
  assert.ok(found, `row ${key}`);
  return found;
};

/** The value under a column group's column (e.g. MOSI→MOSEI, ACC) in a row. */
function valueAt(table: ResultTable, key: string, group: number, column: string, block = 0): CellValue {
  const groups = table.blocks[block]!.groups;
  const offset = groups.slice(0, group).reduce((sum, g) => sum + g.columns.length, 0) + groups[group]!.columns.findIndex((c) => c.label === column);
  return row(table, key, block).cells[offset]!.values[0]!;
}

function assertStat(value: CellValue | undefined, want: { mean: number; std: number; n: number }): void {
  assert.ok(value?.stat, 'cell has a value');
  assert.ok(Math.abs(value.stat.mean - want.mean) < 1e-9, `mean ${value.stat.mean} vs ${want.mean}`);
  assert.ok(Math.abs(value.stat.std - want.std) < 1e-9, `std ${value.stat.std} vs ${want.std}`);
  assert.equal(value.stat.n, want.n);
}

describe('Table 1', () => {
  let table: ResultTable;
  before(() => {
    table = buildTable1(members, SWEEP)!;
  });

  it('has the methods with finished runs as rows (MIDG last) and the cross-domain pairs as columns', () => {
    assert.equal(table.blocks.length, 1);
    assert.deepEqual(table.blocks[0]!.rows.map((r) => r.key), ['mult', 'midg'], 'misa only failed: no row');
    assert.deepEqual(table.blocks[0]!.groups.map((g) => g.label), ['MOSI→MOSEI', 'MOSI→SIMS']);
    assert.deepEqual(table.blocks[0]!.groups[0]!.columns.map((c) => c.label), ['ACC', 'F1', 'MAE']);
  });

  it('shows mean ± sample std over seeds of the config with the best source-validation MAE', () => {
    const chosen = { ...MIDG_DEFAULTS, alpha: 0.5, beta: 1 };
    const midgMosei = (run: PlannedRun) => run.model === 'midg' && run.target === MOSEI && run.source === MOSI && sameConfig(run.config, chosen);
    assertStat(valueAt(table, 'midg', 0, 'ACC'), expected('acc', midgMosei));
    assertStat(valueAt(table, 'midg', 0, 'F1'), expected('f1', midgMosei));
    assertStat(valueAt(table, 'midg', 0, 'MAE'), expected('mae', midgMosei));
    assert.match(table.caption ?? '', /best mean source-validation MAE.*DomainBed/);
    assert.ok(table.notes.some((note) => note.startsWith('midg MOSI→MOSEI: 6 configurations; shown alpha=0.5, beta=1, experts=4')));
  });

  it('reads SIMS targets with SIMS metric names and counts only finished seeds', () => {
    const midgSims = (run: PlannedRun) => run.model === 'midg' && run.target === SIMS;
    assertStat(valueAt(table, 'midg', 1, 'ACC'), expected('acc', midgSims));
    assert.equal(valueAt(table, 'midg', 1, 'ACC').stat!.n, 2);
    const multMosei = (run: PlannedRun) => run.model === 'mult' && run.target === MOSEI && run.source === MOSI;
    assertStat(valueAt(table, 'mult', 0, 'MAE'), expected('mae', multMosei));
  });

  it('bolds the best cell of each column: higher ACC and F1, lower MAE', () => {
    const best = (key: string, pair: number) => ['ACC', 'F1', 'MAE'].map((column) => valueAt(table, key, pair, column).best);
    assert.deepEqual(best('midg', 0), [true, true, false]);
    assert.deepEqual(best('mult', 0), [false, false, true]);
    assert.deepEqual(best('midg', 1), [true, true, true]);
    assert.deepEqual(best('mult', 1), [false, false, false]);
  });

  it('says which runs are missing and why, plus seeds, std type, data and metric names', () => {
    const notes = table.notes.join('\n');
    assert.match(notes, /midg MOSI→SIMS: 1 of 3 runs missing \(seed 3 failed after 1 attempt\(s\), exit 1: midg: error: out of memory\)/);
    assert.match(notes, /mult MOSI→MOSEI: 1 of 3 runs missing \(seed 2 never ran\)/);
    assert.match(notes, /misa MOSI→MOSEI: 3 of 3 runs missing \(seed 1 failed after 1 attempt\(s\), killed by SIGKILL/);
    assert.match(notes, /sample standard deviation \(n−1\) over seeds 1, 2, 3/);
    assert.match(notes, /Data: synthetic presets synth:mosei:tiny, synth:mosi:tiny, synth:sims:tiny/);
    assert.match(notes, /MOSI\/MOSEI targets: ACC = Has0_acc_2 \(×100\), F1 = Has0_F1_score \(×100\), MAE = MAE/);
    assert.match(notes, /SIMS targets: ACC = Mult_acc_2 \(×100\), F1 = F1_score \(×100\), MAE = MAE/);
  });

  it('renders Markdown with bold best values as percentages and MAE to 4 decimals', () => {
    const md = renderTable(table, 'md');
    const acc = expected('acc', (run) => run.model === 'midg' && run.target === MOSEI && run.config.alpha === 0.5 && run.config.beta === 1);
    const mae = expected('mae', (run) => run.model === 'mult' && run.target === MOSEI && run.source === MOSI);
    assert.ok(md.includes(`**${(acc.mean * 100).toFixed(2)} ± ${(acc.std * 100).toFixed(2)}**`), md);
    assert.ok(md.includes(`**${mae.mean.toFixed(4)} ± ${mae.std.toFixed(4)}** (n=2)`), md);
    assert.match(md, /^### Table 1: .*\(sweep paper\)/);
    assert.match(md, /\| Method \| MOSI→MOSEI ACC \| MOSI→MOSEI F1 \| MOSI→MOSEI MAE \| MOSI→SIMS ACC \| MOSI→SIMS F1 \| MOSI→SIMS MAE \|\n/);
    const rows = md.split('\n').filter((line) => line.startsWith('| mult |') || line.startsWith('| midg |'));
    assert.equal(rows.length, 2);
    for (const line of rows) assert.equal(line.split(' | ').length, 7, `one cell per column: ${line}`);
  });

  it('renders CSV in long form, one line per number', () => {
    const lines = renderTable(table, 'csv').trimEnd().split('\n');
    assert.equal(lines[0], CSV_HEADER.join(','));
    assert.equal(lines.length - 1, 2 * 2 * 3, 'models × pairs × metrics');
    const midgAcc = lines.find((line) => line.startsWith('table1,,midg,MOSI→MOSEI,ACC,ACC,'))!.split(',');
    assert.equal(midgAcc.length, CSV_HEADER.length);
    const acc = expected('acc', (run) => run.model === 'midg' && run.target === MOSEI && run.config.alpha === 0.5 && run.config.beta === 1);
    assert.ok(Math.abs(Number(midgAcc[6]) - acc.mean) < 1e-12 && Math.abs(Number(midgAcc[7]) - acc.std) < 1e-12);
    assert.deepEqual(midgAcc.slice(8, 10), ['3', 'true']);
  });

  it('renders a LaTeX tabular with grouped headers and \\textbf on the best', () => {
    const tex = renderTable(table, 'latex');
    assert.match(tex, /\\begin\{tabular\}\{l\|ccc\|ccc\}/);
    assert.match(tex, /\\multicolumn\{3\}\{c\|\}\{MOSI\$\\rightarrow\$MOSEI\} & \\multicolumn\{3\}\{c\}\{MOSI\$\\rightarrow\$SIMS\}/);
    const acc = expected('acc', (run) => run.model === 'midg' && run.target === MOSEI && run.config.alpha === 0.5 && run.config.beta === 1);
    assert.ok(tex.includes(`\\textbf{${(acc.mean * 100).toFixed(2)} $\\pm$ ${(acc.std * 100).toFixed(2)}}`), tex);
    assert.match(tex, /\\end\{tabular\}/);
    assert.ok(!/[→±✓✗]/.test(tex), 'no raw unicode symbols left');
  });
});

describe('majority-class ACC', () => {
  let table: ResultTable;
  before(() => {
    table = buildTable1(members, SWEEP)!;
  });

  it("keeps each target's recorded majority-class ACC on its ACC values", () => {
    assert.equal(valueAt(table, 'midg', 0, 'ACC').majority, MAJORITY[MOSEI]);
    assert.equal(valueAt(table, 'mult', 1, 'ACC').majority, MAJORITY[SIMS]);
    assert.equal(valueAt(table, 'midg', 0, 'F1').majority, undefined, 'ACC only');
  });

  it('states it per target in the notes and marks with ‡ an ACC that a constant predictor matches or beats', () => {
    const notes = table.notes.join('\n');
    assert.match(
      notes,
      /Majority-class ACC \(a constant predictor that always says the most frequent class of the target's test labels\): synth:mosei:tiny 72\.00 \(Has0_acc_2\), synth:sims:tiny 51\.00 \(Mult_acc_2\); ‡ marks an ACC at or below it/,
    );
    const md = renderTable(table, 'md');
    const line = (model: string) => md.split('\n').find((row) => row.startsWith(`| ${model} |`))!.split(' | ');
    // mult: MOSI→MOSEI ACC ≈ 70.6 ≤ 72 and MOSI→SIMS ≈ 48 ≤ 51; midg: ≈ 80 > 72 and ≈ 52.3 > 51.
    assert.match(line('mult')[1]!, /^\d+\.\d\d ± \d+\.\d\d ‡ \(n=2\)$/);
    assert.match(line('mult')[4]!, / ‡$/);
    assert.ok(!line('midg').join(' | ').includes('‡'), line('midg').join(' | '));
    assert.match(renderTable(table, 'latex'), /\$\^\\ddagger\$/);
    const csv = renderTable(table, 'csv').trimEnd().split('\n');
    const multAcc = csv.find((row) => row.startsWith('table1,,mult,MOSI→MOSEI,ACC,ACC,'))!.split(',');
    assert.equal(multAcc[CSV_HEADER.indexOf('majority')], String(MAJORITY[MOSEI]));
    assert.equal(csv.find((row) => row.startsWith('table1,,mult,MOSI→MOSEI,MAE,'))!.split(',')[CSV_HEADER.indexOf('majority')], '');
  });

  it('is in every table that has an ACC column', () => {
    for (const built of [buildTable2(members, SWEEP)!, buildTable3(members, SWEEP)!, buildGridTable(members, ['experts'], SWEEP)!]) {
      assert.ok(built.notes.some((note) => note.startsWith('Majority-class ACC (a constant predictor')), built.name);
    }
    const ablation = renderTable(buildTable2(members, SWEEP)!, 'md');
    assert.match(ablation, /\| ✗ \| ✗ \| \d+\.\d\d ± \d+\.\d\d ‡ \|/, 'the module-ablated row (71 % on MOSEI, majority 72 %) is marked');
  });
});

describe("a user's dataset as target", () => {
  it('is read with the metric family its runs were scored with, not one guessed from its name', async () => {
    const userFile = join(tmp.dir, 'user.sqlite');
    const h = (acc: number): Headline => ({ acc, f1: acc - 0.01, mae: 0.5, corr: 0.3 });
    const plan = [
      // "reviews": a −1/0/+1 dataset declared (or defaulted) to the SIMS metrics; its name says nothing.
      ...planGroup({ model: 'midg', source: MOSI, target: 'reviews', config: MIDG_DEFAULTS, study: 'table1', base: h(0.78), validMae: 0.7, family: 'sims', majority: 0.8 }),
      // Runs recorded before the majority score was.
      ...planGroup({ model: 'midg', source: MOSI, target: MOSEI, config: MIDG_DEFAULTS, study: 'table1', base: h(0.8), validMae: 0.7, majority: null }),
    ];
    await writePlannedSweep(userFile, 'user', plan);
    const store = await ResultsStore.open(userFile, { readonly: true });
    const userMembers = await store.sweepMembers((await store.findSweep('user'))!.id);
    await store.close();
    const table = buildTable1(userMembers, 'user')!;
    assert.deepEqual(table.blocks[0]!.groups.map((g) => g.label), ['MOSI→reviews', 'MOSI→MOSEI']);
    assertStat(valueAt(table, 'midg', 0, 'ACC'), sampleMeanStd(plan.filter((run) => run.target === 'reviews').map((run) => run.headline!.acc)));
    const notes = table.notes.join('\n');
    assert.match(notes, /SIMS targets: ACC = Mult_acc_2/);
    assert.match(notes, /labels\): reviews 80\.00 \(Mult_acc_2\); ‡ marks .*; not recorded by the runs on synth:mosei:tiny \(they predate Majority_acc_2; re-run them to get it\)\./);
    const md = renderTable(table, 'md');
    assert.match(md.split('\n').find((row) => row.startsWith('| midg |'))!, /^\| midg \| 78\.\d\d ± \d\.\d\d ‡ \| /, '78 % where a constant scores 80 %');
  });
});

describe('Table 2', () => {
  let table: ResultTable;
  before(() => {
    table = buildTable2(members, SWEEP)!;
  });

  it('has MoIE × CM-Adapter rows comparing runs that differ only in the ablation', () => {
    const block = table.blocks[0]!;
    assert.equal(block.title, 'Module ablation — midg');
    assert.deepEqual(block.rowHeader, ['MoIE', 'CM-Adapter']);
    assert.deepEqual(block.rows.map((r) => [r.key, ...r.labels]), [
      ['no-moie-no-adapter', '✗', '✗'],
      ['no-moie', '✗', '✓'],
      ['no-adapter', '✓', '✗'],
      ['none', '✓', '✓'],
    ]);
    assert.deepEqual(block.groups.map((g) => [g.label, g.columns.map((c) => c.label)]), [['MOSI→MOSEI', ['ACC', 'Corr', 'F1', 'MAE']]]);
    const variant = (ablation: string) => (run: PlannedRun) =>
      run.model === 'midg' && run.target === MOSEI && sameConfig(run.config, { ...MIDG_DEFAULTS, ablation });
    // The full model's row is the default config (what the ablations ablate), not Table 1's validation pick.
    assertStat(valueAt(table, 'none', 0, 'ACC'), expected('acc', variant('none')));
    assertStat(valueAt(table, 'no-moie', 0, 'Corr'), expected('corr', variant('no-moie')));
    assertStat(valueAt(table, 'no-moie-no-adapter', 0, 'MAE'), expected('mae', variant('no-moie-no-adapter')));
    assert.deepEqual(table.blocks[0]!.rows.map((r) => valueAt(table, r.key, 0, 'ACC').best), [false, false, false, true]);
  });

  it('has modality rows in the paper order', () => {
    const block = table.blocks[1]!;
    assert.equal(block.title, 'Modality ablation — midg');
    assert.deepEqual(block.rows.map((r) => r.labels[0]), ['Text', 'Audio', 'Text+Audio', 'Text+Audio+Vision']);
    const only = (modalities: string) => (run: PlannedRun) =>
      run.model === 'midg' && run.target === MOSEI && sameConfig(run.config, { ...MIDG_DEFAULTS, modalities });
    assertStat(valueAt(table, 'a', 0, 'ACC', 1), expected('acc', only('a')));
    assertStat(valueAt(table, 'ta', 0, 'F1', 1), expected('f1', only('ta')));
    assert.ok(table.notes.includes('Missing: none; every run of this table finished.'));
  });
});

describe('Table 3', () => {
  it('lists in-domain results per dataset with ACC, Corr, F1, MAE', () => {
    const table = buildTable3(members, SWEEP)!;
    const block = table.blocks[0]!;
    assert.deepEqual(block.rows.map((r) => r.key), ['mult', 'midg']);
    assert.deepEqual(block.groups.map((g) => [g.label, g.columns.map((c) => c.label)]), [['MOSI', ['ACC', 'Corr', 'F1', 'MAE']]]);
    const inDomain = (model: string) => (run: PlannedRun) => run.model === model && run.source === MOSI && run.target === MOSI;
    for (const [metric, column] of [['acc', 'ACC'], ['corr', 'Corr'], ['f1', 'F1'], ['mae', 'MAE']] as const) {
      assertStat(valueAt(table, 'mult', 0, column), expected(metric, inDomain('mult')));
      assertStat(valueAt(table, 'midg', 0, column), expected(metric, inDomain('midg')));
      assert.equal(valueAt(table, 'midg', 0, column).best, true);
      assert.equal(valueAt(table, 'mult', 0, column).best, false);
    }
  });
});

describe('grid tables', () => {
  it('finds every swept key group of the sweep', () => {
    assert.deepEqual(gridKeyGroups(members), [['alpha', 'beta'], ['experts']]);
  });

  it('lays two keys out as rows × columns, marks the best values and the validation pick', () => {
    const table = buildGridTable(members, ['alpha', 'beta'], SWEEP)!;
    assert.equal(table.name, 'grid-alpha-beta');
    const block = table.blocks[0]!;
    assert.equal(block.title, 'midg MOSI→MOSEI');
    assert.deepEqual(block.rowHeader, ['alpha']);
    assert.deepEqual(block.groups.map((g) => [g.label, g.columns.map((c) => c.header)]), [['beta', ['beta=1', 'beta=2']]]);
    assert.deepEqual(block.rows.map((r) => r.labels), [['0.5'], ['1']]);
    const setting = (alpha: number, beta: number) => (run: PlannedRun) => run.study !== 'table1' && run.config.alpha === alpha && run.config.beta === beta && run.config.experts === 4 && run.config.modalities === 'tav' && run.config.ablation === 'none' && run.target === MOSEI;
    assertStat(block.rows[0]!.cells[1]!.values[0], expected('acc', setting(0.5, 2)));
    assertStat(block.rows[1]!.cells[1]!.values[1], expected('mae', setting(1, 2)));
    const marks = block.rows.map((r) => r.cells.map((c) => [c.values[0]!.best, c.values[1]!.best, c.mark ?? '']));
    assert.deepEqual(marks, [
      [[false, false, '†'], [true, false, '']],
      [[false, false, ''], [false, true, '']],
    ]);
    assert.ok(table.notes.some((note) => note.startsWith('midg MOSI→MOSEI alpha=1, beta=2: 1 of 3 runs missing')));
  });

  it('lays one key out as rows with ACC and MAE columns', () => {
    const table = buildGridTable(members, ['experts'], SWEEP)!;
    const block = table.blocks[0]!;
    assert.deepEqual(block.rows.map((r) => r.key), ['experts=2', 'experts=4', 'experts=8']);
    assert.deepEqual(block.groups[0]!.columns.map((c) => c.label), ['ACC', 'MAE']);
    assert.deepEqual(block.rows.map((r) => r.cells.map((c) => `${c.values[0]!.best ? 'B' : '-'}${c.mark ?? ''}`)), [
      ['-', '-'],
      ['B', 'B'],
      ['-†', '-'],
    ]);
    assertStat(block.rows[2]!.cells[0]!.values[0], expected('acc', (run) => run.config.experts === 8));
    assert.match(renderTable(table, 'md'), /\| experts \| ACC \| MAE \|/);
  });
});

it('--compare in Table 2 compares within each block that has the row and names the blocks that do not', () => {
  const table = compareWithRow(buildTable2(members, SWEEP)!, 'none');
  const ablation = table.blocks.find((block) => block.title === 'Module ablation — midg')!;
  const noMoie = ablation.rows.find((r) => r.key === 'no-moie')!.cells[0]!.values[0]!.comparison!;
  // Each seed's offset is the same in both rows, so the difference has one sign on all three seeds: p = 2/2^3.
  assert.deepEqual([noMoie.against, noMoie.seeds, noMoie.pValue, noMoie.significant], ['none', [1, 2, 3], 0.25, false]);
  const modality = table.blocks.find((block) => block.title === 'Modality ablation — midg')!;
  assert.ok(modality.rows.every((r) => r.cells.every((cell) => cell.values.every((value) => value.comparison === undefined))));
  assert.ok(table.notes.includes('Not compared (no row "none" with these columns): Modality ablation — midg.'), table.notes.join('\n'));
  assert.match(table.notes[0]!, /n=3 per value; 0 of 12 compared values marked.*\(0\.25 for n=3\), so no value here can be marked/);
});

it('writeSweepTables writes every table in every format and returns the paths', async () => {
  const store = await ResultsStore.open(file, { readonly: true });
  const outDir = join(tmp.dir, 'tables');
  const paths = await writeSweepTables(store, undefined, outDir);
  await store.close();
  const names = ['table1', 'table2', 'table3', 'grid-alpha-beta', 'grid-experts'];
  assert.deepEqual(paths.map((path) => basename(path)).sort(), names.flatMap((name) => ['md', 'csv', 'tex'].map((ext) => `${name}.${ext}`)).sort());
  assert.ok(paths.every((path) => existsSync(path)));
});
