import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../db/testing/fixtures';
import { loadSweepSpec, parseSweepSpec } from './spec';

const tmp = tempDir('midg-sweep-spec-');
after(() => tmp.remove());

const study = { name: 'table1', pairs: ['synth:mosi:tiny -> synth:mosei:tiny'] };
const valid = { name: 'x', seeds: [1], studies: [study] };

function errorOf(raw: unknown): string {
  try {
    parseSweepSpec(raw, 'x.yaml');
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

it('fills defaults and reads both pair forms', () => {
  const pairs = [...study.pairs, { source: 'mosi', target: 'sims' }, 'a→b', 'synth:mosi+synth:sims -> synth:mosei'];
  const spec = parseSweepSpec({ ...valid, studies: [{ ...study, pairs }] }, 'x.yaml');
  assert.deepEqual(spec.models, ['midg']);
  assert.equal(spec.retries, 0);
  assert.deepEqual(spec.base, {});
  assert.deepEqual(spec.studies[0]!.grid, {});
  assert.deepEqual(spec.studies[0]!.pairs, [
    { source: 'synth:mosi:tiny', target: 'synth:mosei:tiny' },
    { source: 'mosi', target: 'sims' },
    { source: 'a', target: 'b' },
    { source: 'synth:mosi+synth:sims', target: 'synth:mosei' },
  ]);
});

it('a bad spec is one line naming the file and the key path', () => {
  const studyWith = (extra: object) => ({ ...valid, studies: [study, { ...study, name: 'second', ...extra }] });
  const cases: [unknown, string][] = [
    [{ ...valid, name: undefined }, 'name: expected a sweep name'],
    ['just text', '(top level): expected a mapping with name and studies'],
    [{ ...valid, seeds: [1, 'x'] }, 'seeds[1]: expected an integer seed'],
    [{ ...valid, seeds: [] }, 'seeds: expected a non-empty list of integer seeds'],
    [{ ...valid, retries: -1 }, 'retries: expected a whole number ≥ 0'],
    [{ ...valid, colour: 'red' }, 'colour: unknown key'],
    [{ ...valid, base: { epochs: [1] } }, 'base.epochs: expected a number, string or boolean'],
    [{ ...valid, studies: [] }, 'studies: expected a non-empty list of studies'],
    [studyWith({ colour: 1, size: 2 }), 'studies[1].colour: unknown key (also size)'],
    [studyWith({ pairs: ['synth:mosi:tiny'] }), 'studies[1].pairs[0]: expected "source -> target" or { source: ..., target: ... }'],
    [studyWith({ pairs: [{ source: 'mosi' }] }), 'studies[1].pairs[0].target: expected a dataset name'],
    [studyWith({ pairs: ['../x.pkl -> mosi'] }), 'studies[1].pairs[0].source: unknown dataset "../x.pkl": use synth:<domain>[:<preset>], mmsa:<path>, or a name from the datasets config'],
    [studyWith({ pairs: ['mosi -> mosei+sims'] }), 'studies[1].pairs[0].target: unknown dataset "mosei+sims": use synth:<domain>[:<preset>], mmsa:<path>, or a name from the datasets config'],
    [studyWith({ pairs: ['mosi+ -> sims'] }), 'studies[1].pairs[0].source: bad source "mosi+": expected name or name+name'],
    [studyWith({ grid: [0.1] }), 'studies[1].grid: expected a mapping of config key: [values]'],
    [studyWith({ ablations: [] }), 'studies[1].ablations: expected a non-empty list of ablations'],
    [{ ...valid, backend: 'gpu' }, 'backend: expected one of wasm, cpu, tensorflow'],
    [{ ...valid, executor: 'pbs' }, 'executor: expected one of local, slurm'],
    [studyWith({ name: 'table1' }), 'studies[1].name: duplicate study name "table1"'],
    [{ ...valid, seeds: undefined }, 'studies[0].seeds: no seeds (set seeds at the top or in the study)'],
  ];
  for (const [raw, expected] of cases) assert.equal(errorOf(raw), `x.yaml: ${expected}`);
});

it('reads YAML and JSON files; a missing or malformed file is one line', () => {
  const yamlFile = join(tmp.dir, 'ok.yaml');
  writeFileSync(yamlFile, 'name: x\nseeds: [1]\nstudies:\n  - name: s\n    pairs: ["synth:mosi -> synth:sims"]\n');
  const jsonFile = join(tmp.dir, 'ok.json');
  writeFileSync(jsonFile, JSON.stringify(valid));
  assert.equal(loadSweepSpec(yamlFile).spec.studies[0]!.pairs[0]!.target, 'synth:sims');
  assert.deepEqual(loadSweepSpec(jsonFile).raw, valid);

  const broken = join(tmp.dir, 'broken.yaml');
  writeFileSync(broken, 'name: x\nstudies: [\n');
  assert.throws(() => loadSweepSpec(broken), (error: Error) => error.message.startsWith(`${broken}: `) && !error.message.includes('\n'));
  assert.throws(() => loadSweepSpec(join(tmp.dir, 'nope.yaml')), { message: `${join(tmp.dir, 'nope.yaml')}: no such file` });
});
