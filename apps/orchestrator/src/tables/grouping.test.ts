import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelOrder } from './grouping';

test('table rows: the baselines alphabetically, then the proposed methods midg and midg-dg, as in the paper', () => {
  const models = ['midg-dg', 'self-mm', 'midg', 'almt', 'late-fusion', 'mult'];
  assert.deepEqual([...models].sort(modelOrder), ['almt', 'late-fusion', 'mult', 'self-mm', 'midg', 'midg-dg']);
});
