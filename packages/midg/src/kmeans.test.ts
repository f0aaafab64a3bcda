import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shuffledOrder } from '@midg/trainer';
import { kMeans, matchLabels } from './kmeans';

// Two well-separated blobs in 3-D: 6 points near (0, 0, 0) and 5 near (10, 10, 10), written out by hand.
const BLOB_A = [
  [0.1, -0.2, 0.0],
  [-0.3, 0.1, 0.2],
  [0.2, 0.3, -0.1],
  [0.0, 0.0, 0.4],
  [-0.1, -0.4, 0.1],
  [0.3, 0.2, -0.3],
];
const BLOB_B = [
  [10.2, 9.8, 10.1],
  [9.7, 10.3, 9.9],
  [10.0, 10.1, 10.4],
  [10.4, 9.9, 9.6],
  [9.9, 10.2, 10.0],
];
const ROWS = [...BLOB_A, ...BLOB_B];
const flat = (rows: number[][]) => Float32Array.from(rows.flat());
const isA = (row: number[]) => BLOB_A.includes(row);

/** The partition as a set of sorted member lists, independent of how the clusters are numbered. */
function partition(labels: ArrayLike<number>, keys: string[]): string[] {
  const groups = new Map<number, string[]>();
  Array.from(labels).forEach((label, i) => groups.set(label, [...(groups.get(label) ?? []), keys[i]!]));
  return [...groups.values()].map((members) => members.sort().join(',')).sort();
}

test('two well-separated blobs: the right partition and centroids, whatever the seed or the input order', () => {
  const keys = ROWS.map((row) => (isA(row) ? 'A' : 'B') + ROWS.indexOf(row));
  const expected = partition(ROWS.map((row) => (isA(row) ? 0 : 1)), keys);
  for (let seed = 0; seed < 20; seed++) {
    const order = Array.from(shuffledOrder(ROWS.length, seed + 100));
    const rows = order.map((i) => ROWS[i]!);
    const result = kMeans(flat(rows), rows.length, 3, { clusters: 2, seed });
    assert.deepEqual(partition(result.assignments, order.map((i) => keys[i]!)), expected, `seed ${seed}`);
    // Each centroid is its blob's mean.
    const labelOfA = result.assignments[rows.findIndex(isA)]!;
    const meanA = [0, 1, 2].map((j) => BLOB_A.reduce((sum, row) => sum + row[j]!, 0) / BLOB_A.length);
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(result.centroids[labelOfA * 3 + j]! - meanA[j]!) < 1e-5);
  }
});

test('the same seed gives the same result; the inertia is the sum of squared distances to the centroids', () => {
  const points = flat(ROWS);
  const a = kMeans(points, ROWS.length, 3, { clusters: 3, seed: 7 });
  const b = kMeans(points, ROWS.length, 3, { clusters: 3, seed: 7 });
  assert.deepEqual(a, b);
  let inertia = 0;
  ROWS.forEach((row, i) => row.forEach((value, j) => (inertia += (value - a.centroids[a.assignments[i]! * 3 + j]!) ** 2)));
  assert.ok(Math.abs(a.inertia - inertia) < 1e-4, `inertia ${a.inertia} vs ${inertia}`);
  assert.ok(new Set(a.assignments).size === 3, 'three clusters used');
});

test('fewer distinct points than clusters: terminates with labels in range; bad input is one clear error', () => {
  const same = new Float32Array(8).fill(1);
  const result = kMeans(same, 4, 2, { clusters: 3, seed: 1 });
  assert.ok(Array.from(result.assignments).every((label) => label >= 0 && label < 3));
  assert.equal(result.inertia, 0);
  assert.throws(() => kMeans(same, 4, 2, { clusters: 5, seed: 1 }), /cannot make 5 clusters of 4 points/);
  assert.throws(() => kMeans(same, 3, 2, { clusters: 2, seed: 1 }), /8 values are not 3 points of width 2/);
});

test('matchLabels keeps the old label of the cluster each new one overlaps most', () => {
  const previous = Int32Array.from([0, 0, 0, 1, 1, 2, 2, 2]);
  // The same partition numbered differently: recovered exactly.
  assert.deepEqual(Array.from(matchLabels(previous, Int32Array.from([2, 2, 2, 0, 0, 1, 1, 1]), 3)), Array.from(previous));
  // One point moved: the rest keep their labels, the moved point takes its new cluster's label.
  assert.deepEqual(Array.from(matchLabels(previous, Int32Array.from([1, 1, 0, 0, 0, 2, 2, 2]), 3)), [0, 0, 1, 1, 1, 2, 2, 2]);
  // Rows outside `include` do not vote.
  const include = Uint8Array.from([1, 1, 1, 1, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(matchLabels(previous, Int32Array.from([1, 1, 1, 2, 2, 0, 0, 0]), 3, include)), [0, 0, 0, 1, 1, 2, 2, 2]);
});
