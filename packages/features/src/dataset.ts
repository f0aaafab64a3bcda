/** The in-memory dataset every loader produces and every model consumes. */

export const MODALITIES = ['t', 'a', 'v'] as const;
export type Modality = (typeof MODALITIES)[number];
export const MODALITY_NAMES: Record<Modality, string> = { t: 'text', a: 'audio', v: 'vision' };

export const SPLITS = ['train', 'valid', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];

/** One modality of one split: a dense row-major [N, L, D] block plus each sample's true length. */
export interface ModalityTensor {
  /** Row-major values, length N*L*D. Padding steps (t >= lengths[i]) are zero. */
  data: Float32Array;
  shape: readonly [n: number, seqLen: number, dim: number];
  /** True (unpadded) sequence length per sample, 1..L. */
  lengths: Int32Array;
}

export interface Split {
  size: number;
  /** Only the selected modalities are present. */
  features: Partial<Record<Modality, ModalityTensor>>;
  /** Regression labels on the dataset's native scale (`Dataset.labelRange`). */
  labels: Float32Array;
  ids: string[];
  rawText?: string[];
}

/**
 * Which MMSA metric set (MetricsTop) scores a dataset: `mosi` (the MOSI/MOSEI regression metrics: Has0/Non0
 * binary accuracy, 5- and 7-class accuracy, MAE, Corr) or `sims` (the CH-SIMS ones: labels clipped to [-1, 1],
 * 2/3/5-class accuracy, MAE, Corr). A property of the dataset, never of its name.
 */
export const METRIC_FAMILIES = ['mosi', 'sims'] as const;
export type MetricFamily = (typeof METRIC_FAMILIES)[number];

/** The label range a metric family is defined on: [-3, 3] for `mosi`, [-1, 1] for `sims`. */
export const METRIC_FAMILY_RANGES: Readonly<Record<MetricFamily, readonly [number, number]>> = { mosi: [-3, 3], sims: [-1, 1] };

/**
 * The metric family a label range implies when none is declared: a range within [-1, 1] (SIMS's) → `sims`, any
 * wider range (MOSI/MOSEI's [-3, 3]) → `mosi`.
 */
export function metricFamilyForRange(range: readonly [number, number]): MetricFamily {
  return Math.max(Math.abs(range[0]), Math.abs(range[1])) <= 1 ? 'sims' : 'mosi';
}

/** A dataset's metric family: the one its loader set, else the default of its label range. */
export function datasetMetricFamily(dataset: Pick<Dataset, 'labelRange' | 'metricFamily'>): MetricFamily {
  return dataset.metricFamily ?? metricFamilyForRange(dataset.labelRange);
}

export type DatasetSource =
  | { kind: 'mmsa'; path: string }
  | { kind: 'synthetic'; domain: string; preset: string; seed: number };

export interface Dataset {
  /** The name it was resolved from, e.g. `synth:mosi:tiny` or `mmsa:/data/mosi.pkl`. */
  name: string;
  /** Domain name used in tables, config sections and domain labels, e.g. `mosi`, `mosei`, `sims`; it picks no metrics. */
  domain: string;
  /** Declared label range; loaders reject labels outside it. */
  labelRange: readonly [min: number, max: number];
  /**
   * The metric set that scores it (declared, else defaulted from `labelRange`). Every loader sets it; read it with
   * `datasetMetricFamily`, which applies the same default to a hand-built dataset that lacks it.
   */
  metricFamily?: MetricFamily;
  /** Feature dim per present modality. */
  dims: Partial<Record<Modality, number>>;
  /** Padded sequence length per present modality. */
  seqLens: Partial<Record<Modality, number>>;
  modalities: Modality[];
  splits: Record<SplitName, Split>;
  source: DatasetSource;
}

/** A data problem reported to the user as one line (the CLI prints `error: <message>` and exits 1). */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}
