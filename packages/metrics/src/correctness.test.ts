import { it } from 'node:test';
import assert from 'node:assert/strict';
import { headlineAccCorrectness } from './correctness';
import { seededRandom } from './paired';
import { evalRegression } from './regression';

it('per-sample headline correctness averages to the ACC evalRegression reports, for both families', () => {
  const random = seededRandom(7);
  const draw = (n: number, scale: number) => Array.from({ length: n }, () => (random() * 2 - 1) * scale);
  for (const [family, scale, acc] of [['mosi', 3, 'Has0_acc_2'], ['sims', 1.2, 'Mult_acc_2']] as const) {
    const truth = [...draw(200, scale), 0, 0, -0];
    const preds = [...draw(200, scale), 0, 1e-46, -0.5];
    const correct = headlineAccCorrectness(family, preds, truth);
    const mean = correct.reduce((sum, value) => sum + value, 0) / correct.length;
    assert.equal(mean, evalRegression(family, preds, truth)[acc]);
  }
  // The edges: MOSI counts 0 as positive, SIMS as negative; a float64 value below float32's range is 0 to both.
  assert.deepEqual([...headlineAccCorrectness('mosi', [0, -1e-46, 0.1], [0.5, 0.5, -0.1])], [1, 1, 0]);
  assert.deepEqual([...headlineAccCorrectness('sims', [0, 1e-46, 0.1], [0.5, 0.5, 0.1])], [0, 0, 1]);
  assert.throws(() => headlineAccCorrectness('mosi', [1, 2], [1]), /headlineAccCorrectness: preds has length 2 but truth has length 1/);
});
