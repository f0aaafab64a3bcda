/**
 * What `domainLabels: cluster` adds to an epoch: the per-step copy of a batch's A_m into the store and the refresh
 * (k-means on the epoch's A_m rows), at the training-split sizes of tiny MOSI (320), tiny MOSEI or tiny MOSI+SIMS
 * pooled (640) and real MOSEI (16326).
 * Width 3 × 64 (three modalities, d = 64), K = 4, random features. Run from packages/midg:
 * `node --import tsx bench/latent-domains.ts`. Prints figures; not a test.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { mulberry32 } from '@midg/trainer';
import { LatentDomains } from '../src/latent-domains';

await useBackend('wasm', { threads: 1 });
const width = 3 * 64;
const clusters = 4;
const batchSize = 32;

/** One epoch of gathering (remember + collect per batch, what losses and afterStep do); returns its milliseconds. */
function gatherEpoch(domains: LatentDomains, trainSize: number, rows: tf.Tensor2D): number {
  const start = performance.now();
  for (let first = 0; first < trainSize; first += batchSize) {
    const count = Math.min(batchSize, trainSize - first);
    const indices = Int32Array.from({ length: count }, (_, i) => first + i);
    const batchRows = count === batchSize ? rows : tf.slice(rows, [0, 0], [count, width]);
    domains.remember(indices, batchRows);
    if (batchRows !== rows) batchRows.dispose();
    domains.collect();
  }
  return performance.now() - start;
}

// The first size twice: its first pass warms up the JIT and is not printed.
for (const [pass, trainSize] of [320, 320, 640, 16326].entries()) {
  const random = mulberry32(trainSize);
  const domains = new LatentDomains({ trainSize, clusters, seed: 1 });
  const rows = tf.tidy(() => tf.randomNormal([batchSize, width], 0, 1, 'float32', 7) as tf.Tensor2D);
  gatherEpoch(domains, trainSize, rows); // allocates the store
  const gatherMs = gatherEpoch(domains, trainSize, rows);
  rows.dispose();
  // Overwrite the store with clustered random features (4 shifted blobs), so k-means has structure to find.
  const values = new Float32Array(trainSize * width);
  for (let i = 0; i < trainSize; i++) for (let j = 0; j < width; j++) values[i * width + j] = random() + (i % clusters === j % clusters ? 1 : 0);
  domains.store(Int32Array.from({ length: trainSize }, (_, i) => i), values, width);
  const refreshStart = performance.now();
  const report = domains.refresh(1)!;
  const refreshMs = performance.now() - refreshStart;
  domains.dispose();
  if (pass === 0) continue;
  const steps = Math.ceil(trainSize / batchSize);
  console.log(
    `trainSize ${trainSize}: gather ${gatherMs.toFixed(1)} ms/epoch (${((gatherMs / steps) * 1000).toFixed(0)} µs/step), ` +
      `refresh ${refreshMs.toFixed(1)} ms (${report.clustersUsed} clusters), store ${((trainSize * width * 4) / 2 ** 20).toFixed(1)} MiB`,
  );
}
