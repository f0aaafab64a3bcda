/**
 * Several source datasets trained on together (`--source a+b`): their splits are pooled into one, each sample
 * keeping its source id (the domain label of `domainLabels=source`) and its label divided by its own dataset's
 * half-width, so the pooled labels share the normalized [-1, 1] scale the trainer uses anyway.
 */
import { DataError, type Dataset, type Modality, type ModalityTensor, type Split, type SplitName } from '@midg/features';

/** Joins several dataset names into one source name, and splits it back. */
export const SOURCE_SEPARATOR = '+';

export function sourceNames(source: string): string[] {
  const names = source.split(SOURCE_SEPARATOR).map((name) => name.trim());
  if (names.some((name) => name === '')) throw new DataError(`bad source "${source}": expected name or name${SOURCE_SEPARATOR}name`);
  if (new Set(names).size !== names.length) throw new DataError(`bad source "${source}": a dataset is listed twice`);
  return names;
}

/** A split pooled from several datasets: labels already normalized, one source id per sample. */
export interface PooledSplit {
  split: Split;
  sourceIds: Int32Array;
}

function padSequences(tensor: ModalityTensor, seqLen: number): ModalityTensor {
  const [n, length, dim] = tensor.shape;
  if (length === seqLen) return tensor;
  const data = new Float32Array(n * seqLen * dim);
  for (let i = 0; i < n; i++) data.set(tensor.data.subarray(i * length * dim, (i + 1) * length * dim), i * seqLen * dim);
  return { data, shape: [n, seqLen, dim], lengths: tensor.lengths };
}

/**
 * Pools one split of `datasets` (already aligned to the same modalities and dims). Shorter padded sequences are
 * padded up to the longest (masks keep the padding out); labels are divided by `scales[k]`.
 */
export function poolSplit(datasets: readonly Dataset[], scales: readonly number[], name: SplitName, modalities: readonly Modality[]): PooledSplit {
  const parts = datasets.map((dataset) => dataset.splits[name]);
  const size = parts.reduce((n, part) => n + part.size, 0);
  const features: Split['features'] = {};
  for (const m of modalities) {
    const seqLen = Math.max(...parts.map((part) => part.features[m]!.shape[1]));
    const dim = parts[0]!.features[m]!.shape[2];
    const padded = parts.map((part) => padSequences(part.features[m]!, seqLen));
    const data = new Float32Array(size * seqLen * dim);
    const lengths = new Int32Array(size);
    let row = 0;
    for (const tensor of padded) {
      data.set(tensor.data, row * seqLen * dim);
      lengths.set(tensor.lengths, row);
      row += tensor.shape[0];
    }
    features[m] = { data, shape: [size, seqLen, dim], lengths };
  }
  const labels = new Float32Array(size);
  const sourceIds = new Int32Array(size);
  const ids: string[] = [];
  let row = 0;
  parts.forEach((part, k) => {
    for (let i = 0; i < part.size; i++) labels[row + i] = part.labels[i]! / scales[k]!;
    sourceIds.fill(k, row, row + part.size);
    ids.push(...part.ids.map((id) => `${datasets[k]!.name}/${id}`));
    row += part.size;
  });
  return { split: { size, features, labels, ids }, sourceIds };
}
