import assert from 'node:assert/strict';
import { test } from 'node:test';
import '../models';
import { MODALITIES, fullModelSetting, isBaselineConfig } from './variants';

test('the full model is each model as published: S2LIF on text and video, MIDG on all three', () => {
  assert.equal(fullModelSetting(MODALITIES, 's2lif'), 'tv');
  assert.equal(fullModelSetting(MODALITIES, 'midg'), 'tav');
  assert.equal(isBaselineConfig({ modalities: 'tv', ablation: 'none' }, 's2lif'), true);
  assert.equal(isBaselineConfig({ modalities: 'vt' }, 's2lif'), true, 'letters are a set');
  assert.equal(isBaselineConfig({ modalities: 'tav' }, 's2lif'), false, 'S2LIF with audio is the extension, not the paper row');
  assert.equal(isBaselineConfig({ modalities: 'tv', ablation: 'none' }, 'midg'), false, 'MIDG without audio is an ablation');
  assert.equal(isBaselineConfig({ modalities: 'tav', ablation: 'no-moie' }, 'midg'), false);
  assert.equal(isBaselineConfig({ modalities: 'tav' }, 'a-model-nobody-registered'), true, 'unknown models use the baseline');
});
