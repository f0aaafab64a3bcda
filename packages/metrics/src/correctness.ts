// Per-sample correctness of the headline binary ACC: what McNemar's test compares between two methods.
import { headlineAccClasses } from './majority';
import { checkPaired } from './primitives';
import type { MetricFamily } from './regression';

/**
 * 1 where a prediction falls in the same class as its label under the family's headline ACC (Has0_acc_2 for the
 * MOSI family: >= 0 is positive; Mult_acc_2 for SIMS: clipped to [-1, 1], > 0 is positive), else 0; decided on
 * float32 values as MMSA decides them. Its mean is that ACC.
 */
export function headlineAccCorrectness(family: MetricFamily, preds: ArrayLike<number>, truth: ArrayLike<number>): Uint8Array {
  checkPaired('headlineAccCorrectness', ['preds', 'truth'], preds, truth);
  const predicted = headlineAccClasses(family, preds);
  const actual = headlineAccClasses(family, truth);
  return Uint8Array.from(predicted, (value, i) => Number(value === actual[i]));
}
