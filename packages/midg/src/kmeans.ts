/**
 * k-means with seeded k-means++ initialisation (Arthur & Vassilvitskii, 2007), in plain JS on a row-major
 * Float32Array: the latent domains of `domainLabels: cluster` (docs/method.md). Deterministic for a given seed and
 * input order: the one random source is `mulberry32(seed)`, ties go to the lowest cluster index, and an emptied
 * cluster is re-seeded at the point farthest from its centroid.
 */
import { mulberry32 } from '@midg/trainer';

export interface KMeansOptions {
  /** K, the number of clusters (≥ 1, at most the number of points). */
  clusters: number;
  seed: number;
  /** Upper bound on Lloyd iterations; it stops earlier once no assignment changes. Default 100. */
  maxIterations?: number;
}

export interface KMeansResult {
  /** Cluster of each point, in [0, K). */
  assignments: Int32Array;
  /** K × dim centroids, row-major. */
  centroids: Float32Array;
  /** Sum of squared distances of the points to their centroids. */
  inertia: number;
  /** Lloyd iterations run. */
  iterations: number;
}

/** Clusters `count` points of width `dim`, stored row by row in `points`. */
export function kMeans(points: Float32Array, count: number, dim: number, options: KMeansOptions): KMeansResult {
  const { clusters, seed, maxIterations = 100 } = options;
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(dim) || dim < 1) throw new Error(`k-means needs at least one point of width ≥ 1, got ${count} points of width ${dim}`);
  if (points.length !== count * dim) throw new Error(`k-means: ${points.length} values are not ${count} points of width ${dim}`);
  if (!Number.isInteger(clusters) || clusters < 1 || clusters > count) throw new Error(`k-means: cannot make ${clusters} clusters of ${count} points`);
  const centroids = plusPlusCentroids(points, count, dim, clusters, mulberry32(seed));
  const assignments = new Int32Array(count).fill(-1);
  const distances = new Float64Array(count);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    let changed = 0;
    for (let i = 0; i < count; i++) {
      const [best, distance] = nearest(points, i, centroids, clusters, dim);
      distances[i] = distance;
      if (assignments[i] !== best) {
        assignments[i] = best;
        changed++;
      }
    }
    if (changed === 0) break;
    updateCentroids(points, count, dim, clusters, assignments, distances, centroids);
  }
  let inertia = 0;
  for (let i = 0; i < count; i++) inertia += distances[i]!;
  return { assignments, centroids, inertia, iterations };
}

/** The index of the closest centroid to point `row` (ties: the lowest index) and its squared distance. */
function nearest(points: Float32Array, row: number, centroids: Float32Array, clusters: number, dim: number): [number, number] {
  let best = 0;
  let bestDistance = Infinity;
  for (let k = 0; k < clusters; k++) {
    const distance = squaredDistance(points, row * dim, centroids, k * dim, dim);
    if (distance < bestDistance) {
      best = k;
      bestDistance = distance;
    }
  }
  return [best, bestDistance];
}

function squaredDistance(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, dim: number): number {
  let sum = 0;
  for (let j = 0; j < dim; j++) {
    const d = a[aOffset + j]! - b[bOffset + j]!;
    sum += d * d;
  }
  return sum;
}

/** k-means++: the first centroid uniformly, each next one with probability ∝ the squared distance to the nearest. */
function plusPlusCentroids(points: Float32Array, count: number, dim: number, clusters: number, random: () => number): Float32Array {
  const centroids = new Float32Array(clusters * dim);
  const copyPoint = (row: number, k: number) => centroids.set(points.subarray(row * dim, (row + 1) * dim), k * dim);
  copyPoint(Math.floor(random() * count), 0);
  const closest = new Float64Array(count).fill(Infinity);
  for (let k = 1; k < clusters; k++) {
    let total = 0;
    for (let i = 0; i < count; i++) {
      closest[i] = Math.min(closest[i]!, squaredDistance(points, i * dim, centroids, (k - 1) * dim, dim));
      total += closest[i]!;
    }
    // All points coincide with a centroid (fewer distinct points than K): any point will do; Lloyd leaves it empty.
    let row = count - 1;
    if (total > 0) {
      let target = random() * total;
      for (let i = 0; i < count; i++) {
        target -= closest[i]!;
        if (target < 0) {
          row = i;
          break;
        }
      }
    } else {
      row = Math.floor(random() * count);
    }
    copyPoint(row, k);
  }
  return centroids;
}

/** Centroids ← the means of their points; an empty cluster takes the point farthest from its own centroid. */
function updateCentroids(
  points: Float32Array,
  count: number,
  dim: number,
  clusters: number,
  assignments: Int32Array,
  distances: Float64Array,
  centroids: Float32Array,
): void {
  const sums = new Float64Array(clusters * dim);
  const sizes = new Int32Array(clusters);
  for (let i = 0; i < count; i++) {
    const k = assignments[i]!;
    sizes[k]!++;
    for (let j = 0; j < dim; j++) sums[k * dim + j]! += points[i * dim + j]!;
  }
  const taken = new Uint8Array(count);
  for (let k = 0; k < clusters; k++) {
    if (sizes[k]! > 0) {
      for (let j = 0; j < dim; j++) centroids[k * dim + j] = sums[k * dim + j]! / sizes[k]!;
      continue;
    }
    let farthest = -1;
    for (let i = 0; i < count; i++) if (!taken[i] && (farthest < 0 || distances[i]! > distances[farthest]!)) farthest = i;
    // With fewer distinct points than K every candidate sits on a centroid (distance 0): the cluster stays empty.
    if (farthest < 0 || distances[farthest] === 0) continue;
    taken[farthest] = 1;
    centroids.set(points.subarray(farthest * dim, (farthest + 1) * dim), k * dim);
  }
}

/**
 * Relabels `next` so that each of its clusters keeps the label of the previous cluster it overlaps most (greedy on
 * the K × K overlap counts, largest first; ties: lowest previous, then lowest next label). k-means numbers its
 * clusters arbitrarily, and a discriminator (or GroupDRO's weights) trained on the old labels should see the same
 * domain under the same label after a refresh. Only the points where `include` is 1 count (all when absent).
 */
export function matchLabels(previous: Int32Array, next: Int32Array, clusters: number, include?: Uint8Array): Int32Array {
  if (previous.length !== next.length) throw new Error(`matchLabels: ${previous.length} previous labels against ${next.length} new ones`);
  const overlap = new Int32Array(clusters * clusters);
  for (let i = 0; i < next.length; i++) if (!include || include[i]) overlap[previous[i]! * clusters + next[i]!]!++;
  const labelOf = new Int32Array(clusters).fill(-1);
  const usedPrevious = new Uint8Array(clusters);
  for (let round = 0; round < clusters; round++) {
    let best = -1;
    for (let cell = 0; cell < overlap.length; cell++) {
      const [old, fresh] = [Math.floor(cell / clusters), cell % clusters];
      if (usedPrevious[old] || labelOf[fresh]! >= 0) continue;
      if (best < 0 || overlap[cell]! > overlap[best]!) best = cell;
    }
    const [old, fresh] = [Math.floor(best / clusters), best % clusters];
    labelOf[fresh] = old;
    usedPrevious[old] = 1;
  }
  return next.map((label) => labelOf[label]!);
}
