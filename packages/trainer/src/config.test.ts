import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { choiceKey, loadConfigFile, mergeConfig, numberKey, registerModels, resolveRun, resolveRunConfig, runKey, type RunSpec } from './index';
import { probeModelDefinition } from './testing';

registerModels([probeModelDefinition]);
const spec: RunSpec = { model: 'probe', source: 'synth:mosi:tiny', target: 'synth:mosei:tiny', seed: 1, backend: 'wasm', overrides: {} };

test('resolved config merges training defaults, model defaults and overrides, typed once', () => {
  const run = resolveRun({ ...spec, overrides: { adaptShift: 'true', epochs: '8' } });
  assert.equal(run.config.adaptShift, true, 'strings from --set are coerced to the key type');
  assert.equal(run.training.epochs, 8);
  assert.equal(run.training.batchSize, 32, 'training defaults are present');
  assert.equal(run.training.lrSchedule, 'none');
});

test('unknown keys, bad values and unknown models are one error naming the key and what is allowed', () => {
  assert.throws(() => resolveRunConfig({ ...spec, overrides: { epoch: 1 } }), /config for model probe: unknown key "epoch"; known keys: .*epochs/);
  assert.throws(() => resolveRunConfig({ ...spec, overrides: { epochs: 'x' } }), /"epochs" must be a whole number ≥ 1, got "x"/);
  assert.throws(() => resolveRunConfig({ ...spec, overrides: { epochs: 0 } }), /"epochs" must be a whole number ≥ 1, got 0/);
  assert.throws(() => resolveRunConfig({ ...spec, overrides: { lrSchedule: 'cosine' } }), /"lrSchedule" must be one of none \| plateau \| warmup-cosine, got "cosine"/);
  assert.throws(() => resolveRunConfig({ ...spec, overrides: { adaptShift: 1 } }), /"adaptShift" must be true or false/);
  assert.throws(() => resolveRunConfig({ ...spec, model: 'nope' }), /unknown model "nope"; available: .*probe/);
});

test('run keys are stable and change with anything that matters, the backend included', () => {
  const key = runKey(spec);
  assert.match(key, /^[0-9a-f]{16}$/);
  assert.equal(runKey({ ...spec, overrides: {} }), key);
  assert.equal(runKey({ ...spec, overrides: { epochs: 40 } }), key, 'an override equal to the default is the same run');
  assert.notEqual(runKey({ ...spec, seed: 2 }), key);
  assert.notEqual(runKey({ ...spec, backend: 'cpu' }), key);
  assert.notEqual(runKey({ ...spec, overrides: { epochs: 2 } }), key);
  assert.notEqual(runKey({ ...spec, target: 'synth:sims:tiny' }), key);
});

test('config files are checked against the schema: defaults for every key, known keys and good values in sections', () => {
  const dir = mkdtempSync(join(tmpdir(), 'midg-config-'));
  const schema = { alpha: numberKey({ min: 0 }), mode: choiceKey(['a', 'b']) };
  const write = (text: string) => {
    const file = join(dir, `${Math.random()}.yaml`);
    writeFileSync(file, text);
    return file;
  };
  try {
    const file = loadConfigFile(write('defaults: { alpha: 0.1, mode: a }\ndatasets: { sims: { alpha: 0.7 } }\n'), schema);
    assert.equal(mergeConfig('m', schema, file, 'sims', {}).alpha, 0.7);
    assert.equal(mergeConfig('m', schema, file, 'sims', { alpha: 0.3 }).alpha, 0.3, 'overrides win over the dataset section');
    assert.equal(mergeConfig('m', schema, file, 'other', {}).alpha, 0.1);
    assert.throws(() => loadConfigFile(write('defaults: { alpha: 0.1 }\n'), schema), /defaults: no default for mode/);
    assert.throws(() => loadConfigFile(write('defaults: { alpha: 0.1, mode: a }\ndatasets: { mosei: { alhpa: 0.2 } }\n'), schema), /datasets.mosei: unknown key "alhpa"/);
    assert.throws(() => loadConfigFile(write('defaults: { alpha: 0.1, mode: a }\ndatasets: { mosi: { alpha: -1 } }\n'), schema), /datasets.mosi: "alpha" must be a number ≥ 0, got -1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
