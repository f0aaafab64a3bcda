import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeConfig, resolveRunConfig, runKey, type RunSpec } from './index';

const spec: RunSpec = { model: 'midg', source: 'synth:mosi:tiny', target: 'synth:mosei:tiny', seed: 1, overrides: {} };

test('resolved config merges training defaults, model defaults and overrides', () => {
  const config = resolveRunConfig({ ...spec, overrides: { alpha: 0.5, experts: '8' } });
  assert.equal(config.alpha, 0.5);
  assert.equal(config.experts, 8, 'string overrides are coerced to the default type');
  assert.equal(config.batchSize, 32, 'training defaults are present');
  assert.equal(config.estimator, 'club');
});

test('unknown keys, bad types and unknown models are clear errors', () => {
  assert.throws(() => resolveRunConfig({ ...spec, overrides: { alhpa: 1 } }), /unknown config key "alhpa" for model midg/);
  assert.throws(() => resolveRunConfig({ ...spec, overrides: { alpha: 'x' } }), /"alpha" needs a number/);
  assert.throws(() => resolveRunConfig({ ...spec, overrides: { alpha: true } }), /"alpha" for model midg needs a number/);
  assert.throws(() => resolveRunConfig({ ...spec, model: 'nope' }), /unknown model "nope"; available: .*midg/);
});

test('run keys are stable and change with anything that matters', () => {
  const key = runKey(spec);
  assert.match(key, /^[0-9a-f]{16}$/);
  assert.equal(runKey({ ...spec, overrides: {} }), key);
  assert.equal(runKey({ ...spec, overrides: { alpha: 0.1 } }), key, 'an override equal to the default is the same run');
  assert.notEqual(runKey({ ...spec, seed: 2 }), key);
  assert.notEqual(runKey({ ...spec, overrides: { experts: 2 } }), key);
  assert.notEqual(runKey({ ...spec, target: 'synth:sims:tiny' }), key);
});

test('per-dataset sections override the model defaults for their source domain, and are checked', () => {
  const file = { defaults: { alpha: 0.1 }, datasets: { sims: { alpha: 0.7 }, mosei: { alhpa: 0.2 }, mosi: { alpha: 'high' } } };
  assert.equal(mergeConfig('m', file, 'sims', {}).alpha, 0.7);
  assert.equal(mergeConfig('m', file, 'sims', { alpha: 0.3 }).alpha, 0.3, 'overrides win over the dataset section');
  assert.equal(mergeConfig('m', file, 'other', {}).alpha, 0.1);
  assert.throws(() => mergeConfig('m', file, 'mosei', {}), /dataset section "mosei": unknown key "alhpa"/);
  assert.throws(() => mergeConfig('m', file, 'mosi', {}), /dataset section "mosi": "alpha" needs a number/);
});
