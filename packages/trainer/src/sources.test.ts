import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { useBackend } from '@midg/backend';
import { generateSyntheticDomain, type Dataset } from '@midg/features';
import { domainOfDatasetName, poolSplit, registerModels, sourceNames, trainRun } from './index';
import { probeModelDefinition } from './testing';

registerModels([probeModelDefinition]);

before(async () => {
  await useBackend('wasm');
});

test('source names split on "+" and reject empty or repeated parts', () => {
  assert.deepEqual(sourceNames('synth:mosi:tiny'), ['synth:mosi:tiny']);
  assert.deepEqual(sourceNames('synth:mosi:tiny + synth:sims:tiny'), ['synth:mosi:tiny', 'synth:sims:tiny']);
  assert.throws(() => sourceNames('synth:mosi+'), /bad source "synth:mosi\+"/);
  assert.throws(() => sourceNames('mosi+mosi'), /listed twice/);
  assert.equal(domainOfDatasetName('synth:sims:tiny+synth:mosi:tiny'), 'sims', 'the first source picks the per-dataset config section');
});

test('pooling normalizes each source by its own scale, pads sequences and tags source ids', () => {
  const mosi = generateSyntheticDomain('mosi', { preset: 'tiny' });
  const sims = generateSyntheticDomain('sims', { preset: 'tiny' });
  // Shorten SIMS's text sequences to check padding up to the longer source.
  const t = sims.splits.valid.features.t!;
  const [n, length, dim] = t.shape;
  const shortLength = length - 3;
  const short = new Float32Array(n * shortLength * dim);
  for (let i = 0; i < n; i++) short.set(t.data.subarray(i * length * dim, i * length * dim + shortLength * dim), i * shortLength * dim);
  const lengths = t.lengths.map((l) => Math.min(l, shortLength));
  const simsShort: Dataset = {
    ...sims,
    splits: { ...sims.splits, valid: { ...sims.splits.valid, features: { ...sims.splits.valid.features, t: { data: short, shape: [n, shortLength, dim], lengths } } } },
  };
  const pooled = poolSplit([mosi, simsShort], [3, 1], 'valid', ['t', 'a']);
  const mosiSize = mosi.splits.valid.size;
  assert.equal(pooled.split.size, mosiSize + n);
  assert.deepEqual(pooled.split.features.t!.shape, [mosiSize + n, length, dim]);
  assert.equal(pooled.split.labels[0], Math.fround(mosi.splits.valid.labels[0]! / 3));
  assert.equal(pooled.split.labels[mosiSize], sims.splits.valid.labels[0]);
  assert.equal(pooled.sourceIds[mosiSize - 1], 0);
  assert.equal(pooled.sourceIds[mosiSize], 1);
  assert.equal(pooled.split.features.t!.lengths[mosiSize], lengths[0]);
  // The SIMS rows keep their values and are zero beyond their own length.
  const row = (mosiSize + 0) * length * dim;
  assert.deepEqual(Array.from(pooled.split.features.t!.data.subarray(row, row + shortLength * dim)), Array.from(short.subarray(0, shortLength * dim)));
  assert.ok(pooled.split.features.t!.data.subarray(row + shortLength * dim, row + length * dim).every((x) => x === 0));
  assert.equal(pooled.split.features.v, undefined, 'only the selected modalities are pooled');
});

test('two pooled sources train together; validation is on the normalized scale, the target on its native one', async () => {
  const result = await trainRun({
    model: 'probe',
    source: 'synth:mosi:tiny+synth:sims:tiny',
    target: 'synth:mosei:tiny',
    seed: 2,
    backend: 'wasm',
    overrides: { epochs: 2, maxTrainSamples: 128 },
  });
  assert.ok('Has0_acc_2' in result.test && Number.isFinite(result.test.MAE));
  assert.ok('Mult_acc_3' in result.valid, 'pooled validation is on the normalized [-1, 1] scale, scored as SIMS');
});
