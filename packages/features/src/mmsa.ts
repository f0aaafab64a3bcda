/**
 * MMSA pickles (aligned_50.pkl, unaligned_50.pkl, unaligned_39.pkl, ...): reading them into a Dataset and
 * writing a Dataset in the same layout, `{train|valid|test: {id, raw_text, text, audio, vision, regression_labels,
 * audio_lengths?, vision_lengths?, ...}}` with numpy arrays.
 */
import { existsSync, statSync } from 'node:fs';
import {
  DataError,
  METRIC_FAMILY_RANGES,
  MODALITIES,
  MODALITY_NAMES,
  SPLITS,
  metricFamilyForRange,
  type Dataset,
  type MetricFamily,
  type Modality,
  type ModalityTensor,
  type Split,
  type SplitName,
} from './dataset';
import { domainFromPath } from './names';
import { readPickleFile } from './pickle/reader';
import { describePy, isNdArray, type NdArray, type PyKey, type PyValue } from './pickle/values';
import { writePickleFile, type PickleWriteOptions, type Writable } from './pickle/writer';
import { validateDataset } from './validate';

export interface MmsaOptions {
  /** Keep only these modalities. Default: every modality the file has. */
  modalities?: Modality[];
  /** Default: guessed from the file name (mosi / mosei / sims), else `custom`. It names the domain and picks no metrics. */
  domain?: string;
  /** Default: the range of the declared `metrics` ([-1, 1] for sims, [-3, 3] for mosi); else [-1, 1] for domain sims, [-3, 3] otherwise. */
  labelRange?: readonly [number, number];
  /** The metric family that scores it. Default: from the label range ([-1, 1] → sims, [-3, 3] → mosi). */
  metrics?: MetricFamily;
  /** Default `mmsa:<path>`. */
  name?: string;
  /** Where a warning line goes (default: stderr as `midg: warning: <line>`). */
  warn?: (line: string) => void;
}

const warnOnStderr = (line: string): void => {
  process.stderr.write(`midg: warning: ${line}\n`);
};

/** Whether every label of every split lies in [-1, 1]. */
function labelsWithinUnit(splits: Record<SplitName, Split>): boolean {
  return SPLITS.every((name) => splits[name].labels.every((label) => label >= -1 && label <= 1));
}

/**
 * The one line said when a file's range was not declared, defaulted to a wider range than [-1, 1], and every
 * label lies inside [-1, 1] (a SIMS-scaled or -1/0/+1 dataset read on the MOSI scale). `entry` is the datasets
 * config entry to declare it in (the alias the file was loaded through, else a placeholder).
 */
export function undeclaredUnitRangeWarning(path: string, range: readonly [number, number], family: MetricFamily, entry = 'mydata'): string {
  const metrics = family === 'sims' ? 'SIMS' : 'MOSI/MOSEI';
  return (
    `${path}: every label lies in [-1, 1], but no label range was declared, so the labels are read on [${range[0]}, ${range[1]}] ` +
    `and scored with the ${metrics} metrics; if [-1, 1] is their scale, declare it in the datasets config (datasets.yaml): ` +
    `${entry}: { path: ${path}, labelRange: [-1, 1] } (see README "Your own data")`
  );
}

type PyDict = Map<PyKey, PyValue>;

function keysOf(dict: PyDict): string {
  return [...dict.keys()].map(String).join(', ') || 'none';
}

/** Converts a numeric array or list of numbers to float32 values; float32 arrays are used as they are, not copied. */
function float32Values(value: PyValue, what: string): Float32Array {
  if (isNdArray(value) && value.dtype !== 'object') {
    if (value.data instanceof Float32Array) return value.data;
    const values = new Float32Array(value.data.length);
    for (let i = 0; i < values.length; i++) values[i] = Number(value.data[i]!);
    return values;
  }
  if (Array.isArray(value) && value.every((item) => typeof item === 'number' || typeof item === 'bigint')) {
    return Float32Array.from(value as (number | bigint)[], Number);
  }
  throw new DataError(`${what} must be a numeric array, found ${describePy(value)}`);
}

function stringValues(value: PyValue, what: string): string[] {
  const items = isNdArray(value) && value.dtype === 'object' ? value.data : Array.isArray(value) ? value : undefined;
  if (!items) throw new DataError(`${what} must be an array of strings, found ${describePy(value)}`);
  return items.map((item) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'number' || typeof item === 'bigint') return String(item);
    if (item instanceof Uint8Array) return new TextDecoder().decode(item);
    throw new DataError(`${what} must hold strings, found ${describePy(item)}`);
  });
}

/** Each sample's steps up to its last step that is not all zeros (at least 1). */
function inferLengths(data: Float32Array, n: number, seqLen: number, dim: number): Int32Array {
  const lengths = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let length = seqLen;
    for (; length > 1; length--) {
      const step = (i * seqLen + length - 1) * dim;
      let nonZero = false;
      for (let k = step; k < step + dim && !nonZero; k++) nonZero = data[k] !== 0;
      if (nonZero) break;
    }
    lengths[i] = length;
  }
  return lengths;
}

class SplitReader {
  constructor(
    private readonly path: string,
    private readonly name: SplitName,
    private readonly dict: PyDict,
  ) {}

  get where(): string {
    return `${this.path}: split ${this.name}`;
  }

  has(key: string): boolean {
    return this.dict.has(key);
  }

  get(key: string): PyValue {
    if (!this.dict.has(key)) throw new DataError(`${this.where} has no '${key}' (keys: ${keysOf(this.dict)})`);
    return this.dict.get(key)!;
  }

  features(modality: Modality): ModalityTensor {
    const key = MODALITY_NAMES[modality];
    if (modality === 't' && !this.has('text') && this.has('text_bert')) {
      throw new DataError(
        `${this.where} has only 'text_bert' ([N, 3, L] BERT token ids, masks and segment ids), which are not features: ` +
          `use a file with 'text' features or load it without text (modalities a, v)`,
      );
    }
    const array = this.get(key);
    if (!isNdArray(array) || array.dtype === 'object' || array.shape.length !== 3) {
      throw new DataError(`${this.where}: '${key}' must be a numeric [N, L, D] array, found ${describePy(array)}`);
    }
    const [n, seqLen, dim] = array.shape as [number, number, number];
    const data = float32Values(array, `${this.where}: '${key}'`);
    // MMSA's own loader zeroes -inf audio values (`audio[audio == -np.inf] = 0`); any ±inf is treated alike.
    for (let k = 0; k < data.length; k++) if (data[k] === Infinity || data[k] === -Infinity) data[k] = 0;
    const lengthsKey = `${key}_lengths`;
    if (!this.has(lengthsKey)) return { data, shape: [n, seqLen, dim], lengths: inferLengths(data, n, seqLen, dim) };
    const given = float32Values(this.get(lengthsKey), `${this.where}: '${lengthsKey}'`);
    if (given.length !== n) throw new DataError(`${this.where}: '${lengthsKey}' has ${given.length} values for ${n} samples of '${key}'`);
    const lengths = Int32Array.from(given);
    for (let i = 0; i < n; i++) {
      const length = Math.max(0, Math.min(lengths[i]!, seqLen));
      data.fill(0, (i * seqLen + length) * dim, (i + 1) * seqLen * dim);
    }
    return { data, shape: [n, seqLen, dim], lengths };
  }
}

function availableModalities(train: SplitReader): Modality[] {
  return MODALITIES.filter((m) => train.has(MODALITY_NAMES[m]) || (m === 't' && train.has('text_bert')));
}

/**
 * What an MMSA pickle holds, parsed once, before any load option applies: every split with every modality that could
 * be read, and, in the order they were met, why the others could not (a modality's error is raised only when it is
 * asked for). This is what the dataset cache (cache.ts) keeps.
 */
export interface MmsaContents {
  splits: Record<SplitName, Split>;
  /** The modalities the train split has: what a load without `modalities` takes. */
  modalities: Modality[];
  /** Modalities that could not be read, each with the one-line error a load asking for it raises. */
  failures: { modality: Modality; message: string }[];
}

/** The checks before a file is read: it exists and is a file. */
export function checkMmsaPath(path: string): void {
  if (!existsSync(path)) throw new DataError(`dataset file not found: ${path}`);
  if (!statSync(path).isFile()) throw new DataError(`dataset path is not a file: ${path}`);
}

/** Parses an MMSA pickle into its contents (the expensive part of a load). */
export function readMmsaContents(path: string): MmsaContents {
  checkMmsaPath(path);
  const root = readPickleFile(path);
  if (!(root instanceof Map)) throw new DataError(`${path}: expected a dict of train/valid/test splits, found ${describePy(root)}`);
  const readers = Object.fromEntries(
    SPLITS.map((name) => {
      const dict = root.get(name);
      if (!(dict instanceof Map)) {
        throw new DataError(`${path}: ${dict === undefined ? 'missing' : 'bad'} split '${name}' (the file has: ${keysOf(root)})`);
      }
      return [name, new SplitReader(path, name, dict)];
    }),
  ) as Record<SplitName, SplitReader>;

  const failures: MmsaContents['failures'] = [];
  const splits = {} as Record<SplitName, Split>;
  for (const name of SPLITS) {
    const reader = readers[name];
    const labels = float32Values(reader.get('regression_labels'), `${reader.where}: 'regression_labels'`);
    const features: Partial<Record<Modality, ModalityTensor>> = {};
    for (const m of MODALITIES) {
      if (failures.some((failure) => failure.modality === m)) continue;
      try {
        features[m] = reader.features(m);
      } catch (error) {
        if (!(error instanceof DataError)) throw error;
        failures.push({ modality: m, message: error.message });
      }
    }
    const split: Split = { size: labels.length, features, labels, ids: stringValues(reader.get('id'), `${reader.where}: 'id'`) };
    if (reader.has('raw_text')) split.rawText = stringValues(reader.get('raw_text'), `${reader.where}: 'raw_text'`);
    splits[name] = split;
  }
  // A modality that failed in a later split is dropped from the earlier ones too: it is unreadable as a whole.
  for (const name of SPLITS) for (const failure of failures) delete splits[name].features[failure.modality];
  return { splits, modalities: availableModalities(readers.train), failures };
}

/** Reads an MMSA pickle of any size (see the module comment) and checks it with `validateDataset`. */
export function loadMmsa(path: string, options: MmsaOptions = {}): Dataset {
  return mmsaDataset(readMmsaContents(path), path, options);
}

/** The dataset a load with these options makes of a file's contents: its modalities, domain, label range, checks and warning. */
export function mmsaDataset(contents: MmsaContents, path: string, options: MmsaOptions = {}): Dataset {
  const modalities = options.modalities ? MODALITIES.filter((m) => options.modalities!.includes(m)) : contents.modalities;
  if (modalities.length === 0) throw new DataError(`${path}: no modalities to load (the file has: ${contents.modalities.join(', ') || 'no text, audio or vision'})`);
  const failure = contents.failures.find((candidate) => modalities.includes(candidate.modality));
  if (failure) throw new DataError(failure.message);

  const splits = {} as Record<SplitName, Split>;
  for (const name of SPLITS) {
    const { features, ...rest } = contents.splits[name];
    splits[name] = { ...rest, features: Object.fromEntries(modalities.map((m) => [m, features[m]!])) };
  }

  const domain = options.domain ?? domainFromPath(path);
  const labelRange = options.labelRange ?? (options.metrics ? METRIC_FAMILY_RANGES[options.metrics] : domain === 'sims' ? [-1, 1] : [-3, 3]);
  const metricFamily = options.metrics ?? metricFamilyForRange(labelRange);
  const trainFeatures = splits.train.features;
  const dataset: Dataset = {
    name: options.name ?? `mmsa:${path}`,
    domain,
    labelRange,
    metricFamily,
    dims: Object.fromEntries(modalities.map((m) => [m, trainFeatures[m]!.shape[2]])),
    seqLens: Object.fromEntries(modalities.map((m) => [m, trainFeatures[m]!.shape[1]])),
    modalities,
    splits,
    source: { kind: 'mmsa', path },
  };
  validateDataset(dataset, path);
  const declared = options.labelRange !== undefined || options.metrics !== undefined;
  if (!declared && metricFamilyForRange(labelRange) !== 'sims' && labelsWithinUnit(splits)) {
    // Loaded through a datasets-config alias, the name is the alias: the entry to add the range to.
    const entry = options.name !== undefined && !options.name.startsWith('mmsa:') ? options.name : undefined;
    (options.warn ?? warnOnStderr)(undeclaredUnitRangeWarning(path, labelRange, metricFamily, entry));
  }
  return dataset;
}

function objectArray(values: string[]): NdArray {
  return { kind: 'ndarray', dtype: 'object', shape: [values.length], data: values };
}

/**
 * Writes a dataset as an MMSA pickle that MMSA's own data loader and `loadMmsa` read: per split `id`, `raw_text`
 * (empty strings when the dataset has none), the present modalities' float32 [N, L, D] arrays, `regression_labels`
 * and, for audio and vision, `<modality>_lengths` (int64). Feature arrays are streamed from the dataset, not copied.
 */
export function writeMmsa(dataset: Dataset, path: string, options: PickleWriteOptions = {}): void {
  const root = new Map<PyKey, Writable>();
  for (const name of SPLITS) {
    const split = dataset.splits[name];
    const entries: [string, Writable][] = [
      ['id', objectArray(split.ids)],
      ['raw_text', objectArray(split.rawText ?? split.ids.map(() => ''))],
    ];
    for (const modality of dataset.modalities) {
      const tensor = split.features[modality]!;
      const key = MODALITY_NAMES[modality];
      entries.push([key, { kind: 'ndarray', dtype: 'float32', shape: [...tensor.shape], data: tensor.data }]);
      if (modality !== 't') {
        entries.push([`${key}_lengths`, { kind: 'ndarray', dtype: 'int64', shape: [split.size], data: BigInt64Array.from(tensor.lengths, BigInt) }]);
      }
    }
    entries.push(['regression_labels', { kind: 'ndarray', dtype: 'float32', shape: [split.size], data: split.labels }]);
    root.set(name, new Map(entries));
  }
  writePickleFile(path, root, options);
}
