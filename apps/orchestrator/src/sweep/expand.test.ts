import { it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runKey } from '@midg/trainer';
import '../models';
import { expandSweep, gridCombinations } from './expand';
import { loadSweepSpec, parseSweepSpec } from './spec';

const experiment = (name: string): string => fileURLToPath(new URL(`../../../../experiments/${name}.yaml`, import.meta.url));
const MOSI = 'synth:mosi:tiny';
const MOSEI = 'synth:mosei:tiny';

function expand(raw: object) {
  return expandSweep(parseSweepSpec({ name: 't', seeds: [1], ...raw }, 't.yaml'), 't.yaml');
}

function errorOf(raw: object): string {
  try {
    expand(raw);
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

function linksPerStudy(runs: ReturnType<typeof expand>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const membership of runs.flatMap((run) => run.memberships)) counts[membership.study] = (counts[membership.study] ?? 0) + 1;
  return counts;
}

it('gridCombinations is the cartesian product in key order', () => {
  assert.deepEqual(gridCombinations({}), [{}]);
  assert.deepEqual(gridCombinations({ a: [1, 2], b: ['x', 'y'] }), [
    { a: 1, b: 'x' },
    { a: 1, b: 'y' },
    { a: 2, b: 'x' },
    { a: 2, b: 'y' },
  ]);
});

it('a study expands to models × pairs × grid × ablations × modalities × seeds, seeds innermost', () => {
  const runs = expand({
    seeds: [1, 2],
    studies: [{ name: 's', pairs: [`${MOSI} -> ${MOSEI}`, `${MOSEI} -> ${MOSI}`], grid: { alpha: [0.2, 0.3], experts: [2, 3, 5] }, ablations: ['none', 'no-moie'], modalities: ['t', 'ta'] }],
  });
  assert.equal(runs.length, 2 * 2 * 3 * 2 * 2 * 2);
  assert.deepEqual(
    runs.slice(0, 3).map((run) => [run.spec.source, run.spec.seed, run.spec.overrides]),
    [
      [MOSI, 1, { alpha: 0.2, experts: 2, ablation: 'none', modalities: 't' }],
      [MOSI, 2, { alpha: 0.2, experts: 2, ablation: 'none', modalities: 't' }],
      [MOSI, 1, { alpha: 0.2, experts: 2, ablation: 'none', modalities: 'ta' }],
    ],
  );
  assert.deepEqual(runs[0]!.memberships, [{ study: 's', grid: { alpha: 0.2, experts: 2 } }]);
  assert.equal(new Set(runs.map((run) => run.key)).size, runs.length);
  for (const run of runs) assert.equal(run.key, runKey(run.spec));
});

it('runs with the same resolved config are one run, linked to every study that produced it', () => {
  const runs = expand({
    base: { epochs: 3 },
    studies: [
      { name: 'table1', pairs: [`${MOSI} -> ${MOSEI}`] },
      // alpha 0.1 is the default, so the first grid cell resolves to the table1 run.
      { name: 'alpha', pairs: [`${MOSI} -> ${MOSEI}`], grid: { alpha: [0.1, 0.5] } },
      { name: 'ablation', pairs: [`${MOSI} -> ${MOSEI}`], ablations: ['none'], base: { epochs: 3 } },
    ],
  });
  assert.equal(runs.length, 2);
  assert.deepEqual(runs[0]!.memberships, [
    { study: 'table1', grid: {} },
    { study: 'alpha', grid: { alpha: 0.1 } },
    { study: 'ablation', grid: {} },
  ]);
  assert.deepEqual(runs[0]!.spec.overrides, { epochs: 3 }, 'the first study to produce a run gives its spec');
  assert.deepEqual(runs[1]!.memberships, [{ study: 'alpha', grid: { alpha: 0.5 } }]);
});

it('a study overrides models, seeds and base', () => {
  const runs = expand({
    seeds: [1, 2, 3],
    base: { epochs: 3, alpha: 0.2 },
    studies: [{ name: 's', pairs: [`${MOSI} -> ${MOSI}`], seeds: [9], models: ['midg'], base: { alpha: 0.3 } }],
  });
  assert.deepEqual(runs.map((run) => [run.spec.seed, run.spec.overrides]), [[9, { epochs: 3, alpha: 0.3 }]]);
  assert.equal(runs[0]!.config.alpha, 0.3);
});

it('config keys and values the model does not accept are errors naming the key path', () => {
  const pairs = [`${MOSI} -> ${MOSEI}`];
  const ok = { name: 'ok', pairs };
  assert.equal(errorOf({ studies: [ok, { name: 's', pairs, grid: { alpha: [0.1, 'high'] } }] }), 't.yaml: studies[1].grid.alpha[1]: "alpha" must be a number ≥ 0, got "high" (model midg)');
  assert.equal(errorOf({ studies: [{ name: 's', pairs, grid: { alpha: 0.1 } }] }), 't.yaml: studies[0].grid.alpha: expected a non-empty list of values for "alpha"');
  assert.equal(errorOf({ studies: [{ name: 's', pairs, grid: { estimator: [] } }] }), 't.yaml: studies[0].grid.estimator: expected a non-empty list of values for "estimator"');
  // The example: each bad value is caught when the spec is planned, naming the key and what is allowed.
  assert.equal(errorOf({ studies: [{ name: 's', pairs, grid: { alpha: [-1] } }] }), 't.yaml: studies[0].grid.alpha[0]: "alpha" must be a number ≥ 0, got -1 (model midg)');
  assert.equal(errorOf({ studies: [{ name: 's', pairs, grid: { experts: [0] } }] }), 't.yaml: studies[0].grid.experts[0]: "experts" must be a whole number ≥ 1, got 0 (model midg)');
  assert.equal(errorOf({ studies: [{ name: 's', pairs, grid: { estimator: ['clubb'] } }] }), 't.yaml: studies[0].grid.estimator[0]: "estimator" must be one of club | kl, got "clubb" (model midg)');
  assert.match(errorOf({ studies: [{ name: 's', pairs, grid: { alphaa: [1] } }] }), /^t\.yaml: studies\[0\]\.grid\.alphaa: unknown key "alphaa"; known keys: .*alpha.* \(model midg\)$/);
  assert.match(errorOf({ base: { epoch: 3 }, studies: [ok] }), /^t\.yaml: base\.epoch: unknown key "epoch"; known keys: .*epochs/);
  assert.equal(errorOf({ studies: [{ name: 's', pairs, base: { epochs: 'many' } }] }), 't.yaml: studies[0].base.epochs: "epochs" must be a whole number ≥ 1, got "many" (model midg)');
  assert.equal(errorOf({ studies: [{ name: 's', pairs, ablations: ['none', 'no-moe'] }] }), 't.yaml: studies[0].ablations[1]: "ablation" must be one of none | no-moie | no-adapter | no-moie-no-adapter, got "no-moe" (model midg)');
  assert.equal(errorOf({ studies: [{ name: 's', pairs, modalities: ['t', 'tt'] }] }), 't.yaml: studies[0].modalities[1]: "modalities" must be a non-empty subset of t, a, v such as t, ta or tav, got "tt" (model midg)');
  assert.match(errorOf({ studies: [{ name: 's', pairs, models: ['late-fusion'], ablations: ['none'] }] }), /^t\.yaml: studies\[0\]\.ablations\[0\]: unknown key "ablation".* \(model late-fusion\)$/);
  assert.match(errorOf({ studies: [{ name: 's', pairs, grid: { hiddenDim: [18] } }] }), /^t\.yaml: studies\[0\]: midg .*: config for model midg: hiddenDim 18 must be divisible by heads 4$/);
  assert.match(errorOf({ models: ['nope'], studies: [ok] }), /^t\.yaml: models\[0\]: unknown model "nope"; available: .*midg/);
  assert.match(errorOf({ studies: [ok, { ...ok, name: 's', models: ['midg', 'nope'] }] }), /^t\.yaml: studies\[1\]\.models\[1\]: unknown model "nope"/);
  assert.equal(
    errorOf({ studies: [{ name: 's', pairs, grid: { ablation: ['none'] }, ablations: ['no-moie'] }] }),
    't.yaml: studies[0].grid.ablation: also given as studies[0].ablations; use one of them',
  );
});

it('the shipped specs expand to the run counts their headers state', () => {
  const counts: Record<string, number> = {
    default: 186,
    ci: 10,
    table1: 30,
    table2: 30,
    table3: 12,
    'alpha-beta': 45,
    experts: 15,
    'synthetic-dg': 72,
    'mosi-real': 15,
    'mosi-tune': 8,
    'baselines-mosi': 40,
    'baselines-synthetic': 168,
    'midg-dg-select': 90,
    'midg-dg-two-source': 60,
    'midg-dg-mosi': 20,
    'midg-dg-v2': 100,
  };
  for (const [name, count] of Object.entries(counts)) {
    const { spec } = loadSweepSpec(experiment(name));
    assert.equal(spec.name, name);
    assert.equal(expandSweep(spec, name).length, count, name);
  }
  const runs = expandSweep(loadSweepSpec(experiment('default')).spec, 'default');
  assert.deepEqual(linksPerStudy(runs), {
    table1: 30,
    'in-domain': 12,
    ablation: 12,
    modalities: 18,
    'alpha-beta': 12,
    experts: 9,
    'self-mm': 21,
    misa: 21,
    mult: 21,
    almt: 21,
    s2lif: 21,
  });
  const shared = runs.filter((run) => run.memberships.length === 4);
  assert.deepEqual(shared.map((run) => [run.spec.source, run.spec.target]), Array(3).fill([MOSI, MOSEI]), 'default-config MOSI→MOSEI runs serve four studies');
  // baselines-synthetic promises to reuse the default sweep's runs: only CASP's are its own.
  const defaultKeys = new Set(runs.map((run) => run.key));
  const comparison = expandSweep(loadSweepSpec(experiment('baselines-synthetic')).spec, 'baselines-synthetic');
  const ownModels = new Set(comparison.filter((run) => !defaultKeys.has(run.key)).map((run) => run.spec.model));
  assert.deepEqual([...ownModels], ['casp']);
});
