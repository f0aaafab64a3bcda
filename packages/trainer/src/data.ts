import * as tf from '@tensorflow/tfjs';
import type { Modality, Split } from '@midg/features';
import { evalRegression, withMajority, type MetricFamily } from '@midg/metrics';
import type { MetricRecord, SplitPredictions } from './contract';
import type { Batch, SentimentModel, UnlabeledBatch, UnlabeledData } from './model';
import { shuffledOrder } from './random';

/** A split as the trainer sees it: the modalities the model uses and the factor that normalizes its labels. */
export interface TrainingView {
  split: Split;
  modalities: Modality[];
  /** Labels are divided by this (the label range's half-width) so all domains train on [-1, 1]. */
  labelScale: number;
  /** Source-dataset id per sample of the split (pooled sources); absent means every sample is source 0. */
  sourceIds?: Int32Array;
  /** Group id per sample of the split (`groupIdsOf(split.ids)`); derived and cached here by the first makeBatch. */
  groupIds?: Int32Array;
}

/** The separator of MMSA sample ids, `<video>$_$<segment>`. */
export const VIDEO_SEPARATOR = '$_$';

/** The group a sample id belongs to: the video of `<video>$_$<segment>`, or the whole id when it has no separator. */
export function groupKeyOf(id: string): string {
  const at = id.indexOf(VIDEO_SEPARATOR);
  return at < 0 ? id : id.slice(0, at);
}

/** Group ids per sample (numbered from 0 in order of first appearance) and the number of groups. */
export function groupIdsOf(ids: readonly string[]): { groupIds: Int32Array; count: number } {
  const numbers = new Map<string, number>();
  const groupIds = new Int32Array(ids.length);
  ids.forEach((id, i) => {
    const key = groupKeyOf(id);
    let n = numbers.get(key);
    if (n === undefined) numbers.set(key, (n = numbers.size));
    groupIds[i] = n;
  });
  return { groupIds, count: numbers.size };
}

/** Copies the rows `indices` of one split into tensors. */
export function makeBatch(view: TrainingView, indices: ArrayLike<number>): Batch {
  const count = indices.length;
  view.groupIds ??= groupIdsOf(view.split.ids).groupIds;
  const groupIds = view.groupIds;
  return tf.tidy(() => {
    const features: Batch['features'] = {};
    const masks: Batch['masks'] = {};
    for (const m of view.modalities) {
      const tensor = view.split.features[m];
      if (!tensor) throw new Error(`split has no ${m} features`);
      const [, seqLen, dim] = tensor.shape;
      const rowSize = seqLen * dim;
      const values = new Float32Array(count * rowSize);
      const mask = new Float32Array(count * seqLen);
      for (let i = 0; i < count; i++) {
        const row = indices[i]!;
        values.set(tensor.data.subarray(row * rowSize, (row + 1) * rowSize), i * rowSize);
        mask.fill(1, i * seqLen, i * seqLen + tensor.lengths[row]!);
      }
      features[m] = tf.tensor3d(values, [count, seqLen, dim]);
      masks[m] = tf.tensor2d(mask, [count, seqLen]);
    }
    const labels = new Float32Array(count);
    for (let i = 0; i < count; i++) labels[i] = view.split.labels[indices[i]!]! / view.labelScale;
    return {
      features,
      masks,
      labels: tf.tensor1d(labels),
      sourceIds: tf.tensor1d(Float32Array.from(indices, (row) => view.sourceIds?.[row] ?? 0)),
      indices: Int32Array.from(indices),
      groupIds: Int32Array.from(indices, (row) => groupIds[row]!),
    };
  });
}

/** The same rows without labels: what a test-time hook or `predict` may see. */
export function makeUnlabeledBatch(view: TrainingView, indices: ArrayLike<number>): UnlabeledBatch {
  const { labels, ...unlabeled } = makeBatch(view, indices);
  labels.dispose();
  return unlabeled;
}

export function disposeBatch(batch: UnlabeledBatch | Batch): void {
  tf.dispose([...Object.values(batch.features), ...Object.values(batch.masks), batch.sourceIds, ...('labels' in batch ? [batch.labels] : [])]);
}

/** A split's inputs for test-time adaptation: labels never leave this object. */
export function unlabeledData(view: TrainingView): UnlabeledData {
  return {
    size: view.split.size,
    async forEachBatch(batchSize, visit, shuffleSeed) {
      const order = shuffleSeed === undefined ? undefined : shuffledOrder(view.split.size, shuffleSeed);
      for (const indices of batchIndices(view.split.size, batchSize, order)) {
        const batch = makeUnlabeledBatch(view, indices);
        try {
          await visit(batch);
        } finally {
          disposeBatch(batch);
        }
      }
    },
  };
}

/** Index blocks of at most `batchSize`, in `order` (default 0..n-1). */
export function batchIndices(n: number, batchSize: number, order?: Int32Array): Int32Array[] {
  const all = order ?? Int32Array.from({ length: n }, (_, i) => i);
  const blocks: Int32Array[] = [];
  for (let start = 0; start < n; start += batchSize) blocks.push(all.subarray(start, Math.min(n, start + batchSize)));
  return blocks;
}

/** Predictions for a whole split (never shown its labels), mapped back to the native label scale `nativeScale`. */
export async function predictSplit(
  predict: (batch: UnlabeledBatch) => tf.Tensor1D,
  view: TrainingView,
  nativeScale: number,
  batchSize = 256,
): Promise<Float32Array> {
  const out = new Float32Array(view.split.size);
  let offset = 0;
  for (const indices of batchIndices(view.split.size, batchSize)) {
    const batch = makeUnlabeledBatch(view, indices);
    const predictions = tf.tidy(() => predict(batch).mul(nativeScale));
    disposeBatch(batch);
    out.set(await predictions.data(), offset);
    offset += indices.length;
    predictions.dispose();
  }
  return out;
}

/**
 * A model's MMSA metrics on a whole split, predictions on the native scale. `family` is the dataset's metric family
 * (`datasetMetricFamily`), never a domain name.
 */
export async function scoreSplit(model: SentimentModel, view: TrainingView, nativeScale: number, family: MetricFamily): Promise<MetricRecord> {
  return evalRegression(family, await predictSplit((batch) => model.predict(batch), view, nativeScale), view.split.labels);
}

/** A target split's metrics as reported (see scoreTargetSplit) and the native-scale predictions they score. */
export interface ScoredTargetSplit {
  metrics: MetricRecord;
  predictions: Float32Array;
}

/** scoreTargetSplit's metrics together with the predictions they were computed from (stored with a run for McNemar). */
export async function scoreTargetSplitWithPredictions(model: SentimentModel, view: TrainingView, nativeScale: number, family: MetricFamily): Promise<ScoredTargetSplit> {
  const predictions = await predictSplit((batch) => model.predict(batch), view, nativeScale);
  const metrics = withMajority(family, evalRegression(family, predictions, view.split.labels), view.split.labels);
  return { metrics, predictions };
}

/**
 * A target split's metrics as reported: scoreSplit's, plus `Majority_acc_2` (the headline ACC of always predicting
 * the split's majority class) right after the ACC, so an ACC a constant would match is visible as such.
 */
export async function scoreTargetSplit(model: SentimentModel, view: TrainingView, nativeScale: number, family: MetricFamily): Promise<MetricRecord> {
  return (await scoreTargetSplitWithPredictions(model, view, nativeScale, family)).metrics;
}

/** The shortest decimal that reads back (through Math.fround) as the same float32: 9 significant digits at most. */
function shortestFloat32(value: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return Number(value.toPrecision(9));
}

/**
 * Predictions and labels as a run records them (JSON): float32 values in their shortest decimal form, so the metrics
 * recomputed from them (on float32, as evalRegression does) are the reported ones exactly.
 */
export function splitPredictionsOf(predictions: Float32Array, labels: Float32Array): SplitPredictions {
  return { predictions: Array.from(predictions, shortestFloat32), labels: Array.from(labels, shortestFloat32) };
}
