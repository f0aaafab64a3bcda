/**
 * `domainLabels: cluster`: latent domains found by k-means on the shared representation A_m (docs/method.md).
 *
 * During an epoch, each training batch's detached A_m rows (the present modalities concatenated) are stored under the
 * batch's split indices; at the epoch's end `refresh` clusters the rows seen in that epoch and relabels the clusters
 * to overlap the previous ones. The labels of epoch e + 1 are therefore the clusters of epoch e's features. Before
 * the first refresh every sample is in domain 0 and `ready` is false: the model weights its adversary and its
 * environment penalty 0 until then.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '@midg/nn';
import { kMeans, matchLabels } from './kmeans';

export interface LatentDomainsConfig {
  /** Rows of the training split (DataInfo.trainSize): batch indices run over [0, trainSize). */
  trainSize: number;
  /** K, the number of latent domains. */
  clusters: number;
  /** The run seed; each refresh's k-means++ seed derives from it and the epoch. */
  seed: number;
}

/** What a refresh reports (recorded with the epoch as diagnostics; a type, so it is a Record<string, number>). */
export type RefreshReport = {
  /** Training rows clustered (those seen during the epoch). */
  clusterRows: number;
  /** Clusters with at least one row. */
  clustersUsed: number;
  /** Share of the clustered rows in the smallest non-empty cluster. */
  clusterSmallestShare: number;
  /** Mean squared distance of a row to its centroid. */
  clusterInertia: number;
  /** Share of the clustered rows whose label changed (1 at the first refresh, from the all-zero fallback). */
  clusterChanged: number;
};

export class LatentDomains {
  private readonly assignments: Int32Array;
  private readonly seen: Uint8Array;
  private features?: Float32Array;
  private width = 0;
  private pending?: { indices: Int32Array; rows: tf.Tensor2D };
  private refreshed = false;

  constructor(private readonly config: LatentDomainsConfig) {
    if (!Number.isInteger(config.clusters) || config.clusters < 2) throw new Error(`domainLabels=cluster needs clusterCount ≥ 2, got ${config.clusters}`);
    if (config.trainSize < config.clusters) {
      throw new Error(`domainLabels=cluster: clusterCount ${config.clusters} is more than the ${config.trainSize} training samples`);
    }
    this.assignments = new Int32Array(config.trainSize);
    this.seen = new Uint8Array(config.trainSize);
  }

  /** True once the first refresh has clustered real features; before, every label is the fallback 0. */
  get ready(): boolean {
    return this.refreshed;
  }

  /** The current latent domain of each split row in `indices`. */
  labelsOf(indices: Int32Array): Int32Array {
    return indices.map((row) => this.assignments[row]!);
  }

  /**
   * Keeps a detached copy of the batch's A_m rows [B, width] until `collect` (called after the optimizer step, outside
   * the gradient tape). A batch not collected is replaced by the next one.
   */
  remember(indices: Int32Array, rows: tf.Tensor2D): void {
    if (rows.shape[0] !== indices.length) throw new Error(`latent domains: ${rows.shape[0]} feature rows for ${indices.length} indices`);
    this.forgetPending();
    this.pending = { indices: Int32Array.from(indices), rows: tf.keep(tf.clone(rows)) };
  }

  /** Copies the remembered rows into the per-sample store (one read from the backend per step). */
  collect(): void {
    if (!this.pending) return;
    const { indices, rows } = this.pending;
    const width = rows.shape[1];
    const values = rows.dataSync() as Float32Array;
    this.forgetPending();
    this.store(indices, values, width);
  }

  /** Writes rows (row-major, `width` wide) under their split indices and marks them seen in this epoch. */
  store(indices: Int32Array, values: Float32Array, width: number): void {
    if (!this.features) {
      this.width = width;
      this.features = new Float32Array(this.config.trainSize * width);
    }
    if (width !== this.width) throw new Error(`latent domains: feature width changed from ${this.width} to ${width}`);
    indices.forEach((row, i) => {
      if (row < 0 || row >= this.config.trainSize) throw new Error(`latent domains: row ${row} is outside the training split of ${this.config.trainSize}`);
      this.features!.set(values.subarray(i * width, (i + 1) * width), row * width);
      this.seen[row] = 1;
    });
  }

  /**
   * Clusters the rows seen since the last refresh (k-means, k-means++ seeded by the run seed and `epoch`), keeps the
   * previous labels' identities where the clusters overlap, and starts a new epoch of gathering. Undefined when no
   * row was seen (the labels stay as they were).
   */
  refresh(epoch: number): RefreshReport | undefined {
    const rows: number[] = [];
    this.seen.forEach((flag, row) => flag && rows.push(row));
    if (rows.length === 0 || !this.features) return undefined;
    const { clusters } = this.config;
    if (rows.length < clusters) throw new Error(`domainLabels=cluster: ${rows.length} training samples seen in epoch ${epoch}, fewer than clusterCount ${clusters}`);
    const width = this.width;
    const points = new Float32Array(rows.length * width);
    rows.forEach((row, i) => points.set(this.features!.subarray(row * width, (row + 1) * width), i * width));
    const result = kMeans(points, rows.length, width, { clusters, seed: deriveSeed(this.config.seed, 'latent-domains', epoch) });
    const previous = Int32Array.from(rows, (row) => this.assignments[row]!);
    const labels = this.refreshed ? matchLabels(previous, result.assignments, clusters) : result.assignments;
    const sizes = new Array<number>(clusters).fill(0);
    let changed = 0;
    rows.forEach((row, i) => {
      if (this.assignments[row] !== labels[i] || !this.refreshed) changed++;
      this.assignments[row] = labels[i]!;
      sizes[labels[i]!]!++;
    });
    this.refreshed = true;
    this.seen.fill(0);
    const used = sizes.filter((size) => size > 0);
    return {
      clusterRows: rows.length,
      clustersUsed: used.length,
      clusterSmallestShare: Math.min(...used) / rows.length,
      clusterInertia: result.inertia / rows.length,
      clusterChanged: changed / rows.length,
    };
  }

  dispose(): void {
    this.forgetPending();
  }

  private forgetPending(): void {
    this.pending?.rows.dispose();
    this.pending = undefined;
  }
}
