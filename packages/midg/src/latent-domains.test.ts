import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { LatentDomains } from './latent-domains';

before(async () => {
  await useBackend('wasm');
});

// Ten training rows; rows 0, 3, 4, 7, 9 lie near (5, 5), the others near (-5, -5).
const NEAR_PLUS = new Set([0, 3, 4, 7, 9]);
const featureOf = (row: number): [number, number] => (NEAR_PLUS.has(row) ? [5 + row / 100, 5 - row / 100] : [-5 - row / 100, -5 + row / 100]);

/** One epoch of gathering, in two batches of split rows given out of order, through remember → collect. */
function gatherEpoch(domains: LatentDomains, batches: number[][]): void {
  for (const rows of batches) {
    const features = tf.tensor2d(rows.map(featureOf));
    domains.remember(Int32Array.from(rows), features);
    features.dispose();
    domains.collect();
  }
}

test('before the first refresh every row is in domain 0; after it the rows split into the two blobs', () => {
  const domains = new LatentDomains({ trainSize: 10, clusters: 2, seed: 3 });
  const all = Int32Array.from({ length: 10 }, (_, i) => i);
  assert.equal(domains.ready, false);
  assert.deepEqual(Array.from(domains.labelsOf(all)), new Array(10).fill(0));
  assert.equal(domains.refresh(1), undefined, 'nothing gathered: nothing to cluster');
  const tensors = tf.memory().numTensors;
  gatherEpoch(domains, [[9, 2, 4, 6, 0], [1, 8, 3, 5, 7]]);
  assert.equal(tf.memory().numTensors, tensors, 'collect keeps no tensor');
  const report = domains.refresh(1)!;
  assert.equal(domains.ready, true);
  assert.deepEqual(report, { ...report, clusterRows: 10, clustersUsed: 2, clusterSmallestShare: 0.5, clusterChanged: 1 });
  const labels = Array.from(domains.labelsOf(all));
  const plusLabel = labels[0]!;
  labels.forEach((label, row) => assert.equal(label === plusLabel, NEAR_PLUS.has(row), `row ${row}`));
  domains.dispose();
});

test('a refresh keeps the labels of unchanged clusters (other k-means seed), and only the rows seen are re-clustered', () => {
  const domains = new LatentDomains({ trainSize: 10, clusters: 2, seed: 3 });
  const all = Int32Array.from({ length: 10 }, (_, i) => i);
  gatherEpoch(domains, [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]);
  domains.refresh(1);
  const first = Array.from(domains.labelsOf(all));
  for (let epoch = 2; epoch <= 6; epoch++) {
    gatherEpoch(domains, [[3, 7, 1, 5], [2, 9, 0, 8]]);
    const report = domains.refresh(epoch)!;
    assert.equal(report.clusterRows, 8);
    assert.equal(report.clusterChanged, 0, `epoch ${epoch}: the same features keep their labels`);
    assert.deepEqual(Array.from(domains.labelsOf(all)), first);
  }
  domains.dispose();
});

test('the same seed gives the same labels; bad sizes are one clear error', () => {
  const run = () => {
    const domains = new LatentDomains({ trainSize: 10, clusters: 3, seed: 11 });
    gatherEpoch(domains, [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]);
    domains.refresh(1);
    const labels = Array.from(domains.labelsOf(Int32Array.from({ length: 10 }, (_, i) => i)));
    domains.dispose();
    return labels;
  };
  assert.deepEqual(run(), run());
  assert.throws(() => new LatentDomains({ trainSize: 3, clusters: 4, seed: 1 }), /clusterCount 4 is more than the 3 training samples/);
  assert.throws(() => new LatentDomains({ trainSize: 3, clusters: 1, seed: 1 }), /clusterCount ≥ 2/);
  const domains = new LatentDomains({ trainSize: 4, clusters: 2, seed: 1 });
  assert.throws(() => domains.store(Int32Array.from([4]), Float32Array.from([1, 2]), 2), /row 4 is outside the training split of 4/);
  domains.store(Int32Array.from([0]), Float32Array.from([1, 2]), 2);
  assert.throws(() => domains.refresh(1), /1 training samples seen in epoch 1, fewer than clusterCount 2/);
});
