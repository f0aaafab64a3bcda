import { seededRandom } from '@midg/metrics';

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)); the one implementation lives in @midg/metrics. */
export const mulberry32 = seededRandom;

/** A Fisher–Yates permutation of 0..n-1 determined by the seed. */
export function shuffledOrder(n: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const random = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
