// midg keeps the paper's method by default; midg-dg is the same assembly whose defaults differ only in the
// domain-generalization options (docs/method.md, "The midg-dg model").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerModels, resolveRunConfig, type ConfigRecord } from '@midg/trainer';
import { midgDefinition, midgDgDefinition } from './definition';

registerModels([midgDefinition, midgDgDefinition]);

/** The keys a source-validation selection may set for midg-dg (experiments/midg-dg-select.yaml). */
const DG_KEYS = [
  'domainLabels',
  'clusterCount',
  'invariantOn',
  'grlSchedule',
  'discriminatorOptimizer',
  'discriminatorLearningRate',
  'envPenalty',
  'envPenaltyWeight',
  'envWarmupEpochs',
  'groupDroStep',
];
const PAPER = { domainLabels: 'stream', invariantOn: 'moie', grlSchedule: 'constant', discriminatorOptimizer: 'shared', envPenalty: 'none', ablation: 'none' };
/** What experiments/midg-dg-select.yaml chose on source validation (docs/method.md, "The midg-dg model"). */
const SELECTED = { domainLabels: 'cluster', invariantOn: 'shared', grlSchedule: 'dann', discriminatorOptimizer: 'separate', envPenalty: 'none', ablation: 'none' };

const resolved = (model: string, source: string): ConfigRecord =>
  resolveRunConfig({ model, source, target: 'synth:mosei:tiny', seed: 1, backend: 'wasm', overrides: {} });
const without = (record: ConfigRecord, keys: string[]) => Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)));

test('midg resolves to the paper defaults on every source; midg-dg to the selected DG options', () => {
  for (const source of ['synth:mosi:tiny', 'synth:mosei:tiny', 'synth:sims:tiny', 'synth:mosi:tiny+synth:sims:tiny']) {
    const midg = resolved('midg', source);
    const dg = resolved('midg-dg', source);
    assert.deepEqual(Object.fromEntries(Object.keys(PAPER).map((key) => [key, midg[key]])), PAPER, `midg on ${source}`);
    assert.deepEqual(Object.fromEntries(Object.keys(SELECTED).map((key) => [key, dg[key]])), SELECTED, `midg-dg on ${source}`);
    midgDgDefinition.validate(dg);
  }
});

test('midg-dg and midg agree on every key outside the DG options, in the defaults and in every dataset section', () => {
  assert.deepEqual(without(midgDgDefinition.config.defaults, DG_KEYS), without(midgDefinition.config.defaults, DG_KEYS));
  assert.deepEqual(Object.keys(midgDgDefinition.config.datasets).sort(), Object.keys(midgDefinition.config.datasets).sort());
  for (const [domain, section] of Object.entries(midgDefinition.config.datasets)) {
    assert.deepEqual(without(midgDgDefinition.config.datasets[domain]!, DG_KEYS), without(section, DG_KEYS), `section ${domain}`);
  }
  assert.equal(midgDgDefinition.schema, midgDefinition.schema, 'one schema: the same assembly');
});
