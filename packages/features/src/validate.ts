/** The checks every dataset passes before a model sees it, shared by the MMSA loader and the synthetic generator. */
import { DataError, MODALITY_NAMES, SPLITS, type Dataset, type ModalityTensor } from './dataset';

/** What one pass over a modality tensor finds. */
export interface TensorScan {
  /** NaN and ±inf values within the true lengths. */
  nan: number;
  infinite: number;
  /** Non-zero values in padding steps (t >= length). */
  nonZeroPadding: number;
  /** Samples whose length is outside 1..L. */
  badLengths: number;
  /** First sample with any of the problems above, or -1. */
  firstBadSample: number;
}

/** Counts NaN, ±inf, non-zero padding and bad lengths; the shape must already match the data. */
export function scanTensor(tensor: ModalityTensor): TensorScan {
  const [n, seqLen, dim] = tensor.shape;
  const { data, lengths } = tensor;
  const scan: TensorScan = { nan: 0, infinite: 0, nonZeroPadding: 0, badLengths: 0, firstBadSample: -1 };
  for (let i = 0; i < n; i++) {
    const length = lengths[i]!;
    const problemsBefore = scan.nan + scan.infinite + scan.nonZeroPadding + scan.badLengths;
    if (!(length >= 1 && length <= seqLen)) scan.badLengths++;
    const start = i * seqLen * dim;
    const paddingStart = start + Math.max(0, Math.min(length, seqLen)) * dim;
    const end = start + seqLen * dim;
    for (let k = start; k < paddingStart; k++) {
      const value = data[k]!;
      if (value - value !== 0) {
        if (Number.isNaN(value)) scan.nan++;
        else scan.infinite++;
      }
    }
    for (let k = paddingStart; k < end; k++) if (data[k] !== 0) scan.nonZeroPadding++;
    if (scan.firstBadSample < 0 && scan.nan + scan.infinite + scan.nonZeroPadding + scan.badLengths > problemsBefore) scan.firstBadSample = i;
  }
  return scan;
}

const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, k) => size === b[k]);
}

/**
 * Throws one DataError line for the first problem found: inconsistent sizes or shapes, lengths outside 1..L,
 * NaN or ±inf features, non-zero padding, non-finite labels or labels outside `labelRange`.
 * `where` names the dataset in messages (default: its name).
 */
export function validateDataset(dataset: Dataset, where: string = dataset.name): void {
  const fail: (message: string) => never = (message) => {
    throw new DataError(`${where}: ${message}`);
  };
  const [low, high] = dataset.labelRange;
  if (!(Number.isFinite(low) && Number.isFinite(high) && low < high)) fail(`bad label range [${low}, ${high}]`);
  if (dataset.modalities.length === 0) fail('no modalities');

  for (const splitName of SPLITS) {
    const split = dataset.splits[splitName];
    if (!split) fail(`missing split ${splitName}`);
    const { size, labels, ids } = split;
    const at = `split ${splitName}`;
    if (labels.length !== size) fail(`${at} has ${labels.length} labels for ${size} samples`);
    if (ids.length !== size) fail(`${at} has ${ids.length} ids for ${size} samples`);
    if (split.rawText && split.rawText.length !== size) fail(`${at} has ${split.rawText.length} raw texts for ${size} samples`);

    for (const modality of dataset.modalities) {
      const name = MODALITY_NAMES[modality];
      const tensor = split.features[modality];
      if (!tensor) fail(`${at} has no ${name} features`);
      const expected = [size, dataset.seqLens[modality] ?? -1, dataset.dims[modality] ?? -1];
      if (tensor.shape[0] !== size) fail(`${at}: ${name} has ${tensor.shape[0]} samples but the split has ${size} labels`);
      if (!sameShape(tensor.shape, expected)) fail(`${at}: ${name} is [${tensor.shape.join(', ')}], expected [${expected.join(', ')}]`);
      if (tensor.data.length !== size * expected[1]! * expected[2]!) fail(`${at}: ${name} holds ${tensor.data.length} values, not ${expected.join('×')}`);
      if (tensor.lengths.length !== size) fail(`${at}: ${name} has ${tensor.lengths.length} lengths for ${size} samples`);
      const scan = scanTensor(tensor);
      const first = `first: sample ${ids[scan.firstBadSample] ?? scan.firstBadSample}`;
      if (scan.badLengths > 0) fail(`${at}: ${name} has ${count(scan.badLengths, 'length')} outside 1..${expected[1]} (${first})`);
      if (scan.nan > 0) fail(`${at}: ${name} features hold ${count(scan.nan, 'NaN value')} (${first}); features must not contain NaN`);
      if (scan.infinite > 0) fail(`${at}: ${name} features hold ${count(scan.infinite, 'infinite value')} (${first})`);
      if (scan.nonZeroPadding > 0) fail(`${at}: ${name} has ${count(scan.nonZeroPadding, 'non-zero value')} in padding steps (${first})`);
    }

    let outside = 0;
    let firstOutside = -1;
    for (let i = 0; i < size; i++) {
      const label = labels[i]!;
      if (label >= low && label <= high) continue;
      if (outside++ === 0) firstOutside = i;
    }
    if (outside > 0) {
      fail(`${at} has ${count(outside, 'label')} outside [${low}, ${high}] (first: ${labels[firstOutside]} at id ${ids[firstOutside]})`);
    }
  }
}
