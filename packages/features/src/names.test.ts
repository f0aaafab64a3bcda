import assert from 'node:assert/strict';
import { test } from 'node:test';
import { domainFromPath, parseDatasetName } from './names';

test('parses synthetic names with a default preset', () => {
  assert.deepEqual(parseDatasetName('synth:mosi'), { kind: 'synthetic', domain: 'mosi', preset: 'tiny', name: 'synth:mosi:tiny' });
  assert.deepEqual(parseDatasetName('synth:sims:paper').kind, 'synthetic');
  assert.throws(() => parseDatasetName('synth:'), /expected synth:/);
  assert.throws(() => parseDatasetName('synth:mosi:tiny:x'), /expected synth:/);
});

test('parses mmsa paths and aliases, refuses garbage', () => {
  assert.deepEqual(parseDatasetName('mmsa:/d/MOSEI/aligned_50.pkl'), {
    kind: 'mmsa', path: '/d/MOSEI/aligned_50.pkl', name: 'mmsa:/d/MOSEI/aligned_50.pkl',
  });
  assert.deepEqual(parseDatasetName('mosi'), { kind: 'named', alias: 'mosi', name: 'mosi' });
  assert.throws(() => parseDatasetName('mmsa:'), /expected mmsa:/);
  assert.throws(() => parseDatasetName('../x.pkl'), /unknown dataset/);
});

test('guesses domains from paths', () => {
  assert.equal(domainFromPath('/data/MOSEI/Processed/unaligned_50.pkl'), 'mosei');
  assert.equal(domainFromPath('/data/MOSI/aligned_50.pkl'), 'mosi');
  assert.equal(domainFromPath('../shared/data/mosi-bclstm/mosi_bclstm.pkl'), 'mosi');
  assert.equal(domainFromPath('/data/SIMS/unaligned_39.pkl'), 'sims');
  assert.equal(domainFromPath('/data/mine.pkl'), 'custom');
});
