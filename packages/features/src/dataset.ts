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

export type DatasetSource =
  | { kind: 'mmsa'; path: string }
  | { kind: 'synthetic'; domain: string; preset: string; seed: number };

export interface Dataset {
  /** The name it was resolved from, e.g. `synth:mosi:tiny` or `mmsa:/data/mosi.pkl`. */
  name: string;
  /** Domain name used in tables and domain labels, e.g. `mosi`, `mosei`, `sims`. */
  domain: string;
  /** Declared label range; loaders reject labels outside it. */
  labelRange: readonly [min: number, max: number];
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
