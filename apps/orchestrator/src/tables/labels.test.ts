import assert from 'node:assert/strict';
import { test } from 'node:test';
import { datasetLabeler } from './build';

test('dataset labels are short, pooled sources read as MOSI+SIMS, and clashing datasets keep their names', () => {
  const label = datasetLabeler(['synth:mosi:tiny+synth:sims:tiny', 'synth:mosei:tiny', 'synth:mosi:tiny', 'synth:sims:tiny']);
  assert.equal(label('synth:mosi:tiny+synth:sims:tiny'), 'MOSI+SIMS');
  assert.equal(label('synth:mosei:tiny'), 'MOSEI');
  assert.equal(label('synth:mosi:tiny'), 'MOSI');
  const clashing = datasetLabeler(['synth:mosi:tiny', 'mmsa:/data/MOSI/unaligned_50.pkl', 'mmsa:/data/custom.pkl']);
  assert.equal(clashing('synth:mosi:tiny'), 'synth:mosi:tiny');
  assert.equal(clashing('mmsa:/data/MOSI/unaligned_50.pkl'), 'mmsa:/data/MOSI/unaligned_50.pkl');
  assert.equal(clashing('mmsa:/data/custom.pkl'), 'mmsa:/data/custom.pkl', 'an unknown domain keeps its name');
});
