import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { listModels, registerModels, type ModelDefinition } from '@midg/trainer';
import { ResultsStore, type SweepMember } from '../db';
import { tempDir } from '../db/testing/fixtures';
import { buildGridTable, buildTable1, buildTable2, buildTable3, compareWithRow, renderTable, type ResultTable } from '.';
import { MIDG_DEFAULTS, MOSEI, MOSI, SIMS, planGroup, writePlannedSweep, type Headline } from './testing/paper-sweep';
import { TARGET_INPUTS_MARK, modelLabel, usesTargetInputs } from './target-inputs';

// Rows of models whose definition has `usesTargetInputs` (CASP) are marked in every table and grouped apart.

/** A stand-in for CASP's definition: only its name and the flag matter to the tables. */
const FIXTURE_CASP: ModelDefinition = {
  name: 'casp',
  description: 'fixture: a test-time adaptation method',
  schema: {},
  config: { defaults: {}, datasets: {} },
  usesTargetInputs: true,
  testOverrides: {},
  validate: () => undefined,
  create: () => {
    throw new Error('fixture only');
  },
};
if (!listModels().some((model) => model.name === 'casp')) registerModels([FIXTURE_CASP]);

const SWEEP = 'tta';
const h = (acc: number, f1: number, mae: number, corr: number): Headline => ({ acc, f1, mae, corr });
const CASP_CONFIG = { modalities: 'tav', adaptOn: 'test', keepFraction: 0.05 };
const MULT_CONFIG = { modalities: 'tav' };

function planned() {
  return [
    ...planGroup({ model: 'midg', source: MOSI, target: MOSEI, config: MIDG_DEFAULTS, study: 'table1', base: h(0.8, 0.79, 0.7, 0.5), validMae: 0.75 }),
    ...planGroup({ model: 'midg', source: MOSI, target: SIMS, config: MIDG_DEFAULTS, study: 'table1', base: h(0.52, 0.5, 0.61, 0.3), validMae: 0.75 }),
    ...planGroup({ model: 'mult', source: MOSI, target: MOSEI, config: MULT_CONFIG, study: 'table1', base: h(0.7, 0.7, 0.62, 0.4), validMae: 0.8 }),
    ...planGroup({ model: 'mult', source: MOSI, target: SIMS, config: MULT_CONFIG, study: 'table1', base: h(0.48, 0.47, 0.66, 0.2), validMae: 0.8 }),
    // CASP is better than every DG method on MOSI→MOSEI: it must still not take the DG group's bold.
    ...planGroup({ model: 'casp', source: MOSI, target: MOSEI, config: CASP_CONFIG, study: 'table1', base: h(0.9, 0.9, 0.5, 0.6), validMae: 0.7 }),
    ...planGroup({ model: 'casp', source: MOSI, target: SIMS, config: CASP_CONFIG, study: 'table1', base: h(0.5, 0.49, 0.64, 0.25), validMae: 0.7 }),
    ...planGroup({ model: 'casp', source: MOSI, target: MOSI, config: CASP_CONFIG, study: 'in-domain', base: h(0.85, 0.84, 0.7, 0.7), validMae: 0.7 }),
    ...planGroup({ model: 'midg', source: MOSI, target: MOSI, config: MIDG_DEFAULTS, study: 'in-domain', base: h(0.86, 0.85, 0.68, 0.8), validMae: 0.7 }),
    ...planGroup({ model: 'casp', source: MOSI, target: MOSEI, config: { ...CASP_CONFIG, modalities: 'ta' }, study: 'modalities', base: h(0.7, 0.7, 0.7, 0.4), validMae: 0.8 }),
    ...[0.05, 0.2].flatMap((keepFraction) =>
      planGroup({ model: 'casp', source: MOSI, target: MOSEI, config: { ...CASP_CONFIG, keepFraction }, study: 'keep', grid: { keepFraction }, base: h(0.8 + keepFraction, 0.8, 0.6, 0.5), validMae: 0.7 }),
    ),
  ];
}

const tmp = tempDir('midg-tta-tables-');
const file = join(tmp.dir, 'results.sqlite');
let members: SweepMember[];

before(async () => {
  await writePlannedSweep(file, SWEEP, planned());
  const store = await ResultsStore.open(file, { readonly: true });
  members = await store.sweepMembers((await store.findSweep(SWEEP))!.id);
  await store.close();
});
after(() => tmp.remove());

const noteOf = (table: ResultTable) => table.notes.find((note) => note.includes(TARGET_INPUTS_MARK));

describe('methods that use unlabeled target inputs', () => {
  it('are known from the model definition; unknown models count as DG', () => {
    assert.equal(usesTargetInputs('casp'), true);
    assert.equal(usesTargetInputs('no-such-model'), false);
    assert.equal(modelLabel('casp'), 'casp (uses unlabeled target inputs)');
    assert.equal(modelLabel('mult'), 'mult');
  });

  it('Table 1: a row group of their own below the DG methods, marked, with their own best marks', () => {
    const table = buildTable1(members, SWEEP)!;
    assert.deepEqual(table.blocks.map((block) => block.title), ['Domain generalization (no target data)', 'Test-time adaptation (uses unlabeled target inputs)']);
    assert.deepEqual(table.blocks[0]!.rows.map((row) => row.key), ['mult', 'midg']);
    assert.deepEqual(table.blocks[1]!.rows.map((row) => [row.key, ...row.labels]), [['casp', 'casp (uses unlabeled target inputs)']]);
    assert.deepEqual(table.blocks[1]!.groups, table.blocks[0]!.groups, 'the same pair columns');
    // midg keeps the DG bold on MOSI→MOSEI ACC although casp's number is higher; casp alone in its group is not bold.
    assert.equal(table.blocks[0]!.rows[1]!.cells[0]!.values[0]!.best, true);
    assert.ok(table.blocks[1]!.rows[0]!.cells.every((cell) => cell.values.every((value) => !value.best)));
    const note = noteOf(table)!;
    assert.match(note, /casp adapted on the target's test-split inputs \(adaptOn=test; transductive/);
    assert.match(note, /group of their own below the domain-generalization methods/);
    const md = renderTable(table, 'md');
    assert.ok(md.indexOf('**Test-time adaptation (uses unlabeled target inputs)**') > md.indexOf('| midg |'), md);
    assert.match(md, /\| casp \(uses unlabeled target inputs\) \|/);
    assert.match(renderTable(table, 'csv'), /^table1,Test-time adaptation \(uses unlabeled target inputs\),casp,MOSI→MOSEI,ACC,/m);
    assert.match(renderTable(table, 'latex'), /casp \(uses unlabeled target inputs\) &/);
  });

  it('--compare reaches across the row groups: casp is compared with a DG row', () => {
    const table = compareWithRow(buildTable1(members, SWEEP)!, 'mult');
    const casp = table.blocks[1]!.rows[0]!.cells[0]!.values[0]!.comparison!;
    assert.deepEqual([casp.against, casp.seeds, casp.pValue], ['mult', [1, 2, 3], 2 / 8]);
    assert.ok(Math.abs(casp.meanDifference - (0.9 - 0.7)) < 1e-12);
    assert.ok(!table.notes.some((note) => note.startsWith('Not compared')), 'every block has its reference');
  });

  it('Table 3: the same grouping in-domain', () => {
    const table = buildTable3(members, SWEEP)!;
    assert.deepEqual(table.blocks.map((block) => block.rows.map((row) => row.labels[0])), [['midg'], ['casp (uses unlabeled target inputs)']]);
    assert.ok(noteOf(table));
  });

  it('Table 2 and grid tables: marked block titles, after the DG methods', () => {
    const table2 = buildTable2(members, SWEEP)!;
    assert.deepEqual(table2.blocks.map((block) => block.title), ['Modality ablation — casp (uses unlabeled target inputs)']);
    assert.ok(noteOf(table2));
    const grid = buildGridTable(members, ['keepFraction'], SWEEP)!;
    assert.deepEqual(grid.blocks.map((block) => block.title), ['casp (uses unlabeled target inputs) MOSI→MOSEI']);
    assert.match(noteOf(grid)!, /casp adapted on the target's test-split inputs/);
  });

  it('tables without such methods stay as they were: one untitled block, no note', async () => {
    const table = buildTable1(members.filter((member) => member.run.model !== 'casp'), SWEEP)!;
    assert.equal(table.blocks.length, 1);
    assert.equal(table.blocks[0]!.title, undefined);
    assert.equal(noteOf(table), undefined);
  });
});
