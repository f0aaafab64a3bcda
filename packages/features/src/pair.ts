import { DataError, MODALITY_NAMES, SPLITS, type Dataset, type ModalityTensor, type Split } from './dataset';

/**
 * How a target whose feature dims differ from the source's is made to fit the model trained on the source.
 * - strict: refuse (the default: different feature extractors rarely share a meaning per channel).
 * - pad-truncate: zero-pad or cut each target feature vector to the source's dim. Only meaningful when the
 *   leading channels mean the same thing (e.g. the same extractor with a different output size).
 */
export const DIM_ALIGNMENTS = ['strict', 'pad-truncate'] as const;
export type DimAlignment = (typeof DIM_ALIGNMENTS)[number];

/** Half-width of a dataset's label range: labels are divided by it for training ([-3,3] → [-1,1]). */
export function labelScale(dataset: Dataset): number {
  return Math.max(Math.abs(dataset.labelRange[0]), Math.abs(dataset.labelRange[1]));
}

function resizeLastDim(tensor: ModalityTensor, dim: number): ModalityTensor {
  const [n, seqLen, from] = tensor.shape;
  const data = new Float32Array(n * seqLen * dim);
  const copy = Math.min(from, dim);
  for (let row = 0; row < n * seqLen; row++) {
    data.set(tensor.data.subarray(row * from, row * from + copy), row * dim);
  }
  return { data, shape: [n, seqLen, dim], lengths: tensor.lengths };
}

/**
 * Checks that a target can be evaluated by a model trained on the source, and applies the dim alignment policy.
 * Returns the (possibly resized) target.
 */
export function alignTargetToSource(source: Dataset, target: Dataset, policy: DimAlignment = 'strict'): Dataset {
  const missing = source.modalities.filter((m) => !target.modalities.includes(m));
  if (missing.length > 0) {
    throw new DataError(
      `target ${target.name} lacks modality ${missing.map((m) => MODALITY_NAMES[m]).join(', ')} that the source ${source.name} has`,
    );
  }
  const mismatched = source.modalities.filter((m) => source.dims[m] !== target.dims[m]);
  if (mismatched.length === 0) return target;
  if (policy === 'strict') {
    const detail = mismatched.map((m) => `${MODALITY_NAMES[m]} ${source.dims[m]} vs ${target.dims[m]}`).join(', ');
    throw new DataError(
      `feature dims differ between source ${source.name} and target ${target.name}: ${detail}; ` +
        'use features from one extractor, or --set dimAlignment=pad-truncate (see README "Your own data")',
    );
  }
  const splits = {} as Record<(typeof SPLITS)[number], Split>;
  for (const name of SPLITS) {
    const split = target.splits[name];
    const features = { ...split.features };
    for (const m of mismatched) features[m] = resizeLastDim(split.features[m]!, source.dims[m]!);
    splits[name] = { ...split, features };
  }
  const dims = { ...target.dims };
  for (const m of mismatched) dims[m] = source.dims[m];
  return { ...target, dims, splits };
}
