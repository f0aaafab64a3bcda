/**
 * The non-oracle channel filter probes: per environment (a source domain, or a speaker-like group read from the
 * sample ids), measure each channel's relation to the label, drop the channels whose relation differs across
 * environments more than sampling noise explains, refit the pooled ridge on the rest. They use environment labels
 * only, never the generator's knowledge of which channels are cues, so they are the reference for what environment
 * labels alone make reachable (the oracle is the ridge on the content channels).
 */
import { MODALITIES, type Modality, type Split } from '../dataset';
import { GROUP_SEPARATOR } from './groups';
import { fitProbe, fitRidgeWithVariances, meanPool, type ChannelSelection, type Matrix, type Probe } from './probes';

/**
 * The relation compared across environments. `ridge weight`: the channel's weight in a t+a+v ridge fitted per
 * environment (it shares the label with every other channel, so collinear channels blur it). `correlation`: the
 * channel's own correlation with the label per environment (Fisher z), which no other channel affects.
 */
export const FILTER_STATISTICS = ['ridge weight', 'correlation'] as const;
export type FilterStatistic = (typeof FILTER_STATISTICS)[number];

/** A split with the probe's regression target. */
export interface LabeledSplit {
  split: Split;
  target: ArrayLike<number>;
}

/** A training split whose samples are labelled with an environment 0, 1, … */
export interface EnvironmentSplit extends LabeledSplit {
  environment: Int32Array;
}

export interface ChannelSpread {
  modality: Modality;
  channel: number;
  /** Std over environments of the statistic (ridge weights on features standardized on the pooled training split). */
  spread: number;
  /**
   * Cochran's Q over environments divided by its degrees of freedom: Σ_e (w_e − w̄)² / v_e / (E − 1), with v_e the
   * sampling variance of the statistic w_e (Fisher z of a correlation: 1 / (n_e − 3)) and w̄ the inverse-variance
   * weighted mean. About 1 when the relation is the same in every environment and only sampling noise moves it;
   * larger when the channel's relation to the label changes.
   */
  heterogeneity: number;
}

export interface EnvironmentFilter {
  /** The ridge refitted on the kept channels (λ chosen on valid). */
  probe: Probe;
  /** Every channel's spread and heterogeneity before anything was dropped, in feature order (t, a, v). */
  spreads: ChannelSpread[];
  /** The dropped channels, with their values from the round that dropped them. */
  dropped: ChannelSpread[];
  /** The channels the probe uses, per modality. */
  kept: ChannelSelection;
}

/**
 * Environment per sample from the ids alone: the group `<group>` of `<group>$_$<index>` (numbered in order of first
 * appearance), the same reading the trainer's group ids make. Ids without the separator are each their own group.
 */
export function environmentsFromIds(ids: readonly string[]): Int32Array {
  const numbers = new Map<string, number>();
  return Int32Array.from(ids, (id) => {
    const at = id.indexOf(GROUP_SEPARATOR);
    const key = at < 0 ? id : id.slice(0, at);
    let n = numbers.get(key);
    if (n === undefined) numbers.set(key, (n = numbers.size));
    return n;
  });
}

/** Several sources' splits as one (same modalities and dims); `environment` is the source index, ids gain `<k>/`. */
export function poolSplits(parts: readonly LabeledSplit[]): EnvironmentSplit {
  const first = parts[0]?.split;
  if (!first) throw new Error('poolSplits needs at least one split');
  const size = parts.reduce((sum, part) => sum + part.split.size, 0);
  const features: Split['features'] = {};
  for (const m of MODALITIES) {
    const tensors = parts.map((part) => part.split.features[m]);
    if (tensors.every((tensor) => tensor === undefined)) continue;
    const [, seqLen, dim] = tensors[0]?.shape ?? [0, 0, 0];
    if (tensors.some((tensor) => !tensor || tensor.shape[1] !== seqLen || tensor.shape[2] !== dim)) {
      throw new Error(`poolSplits: modality ${m} is missing or differs in shape between the sources`);
    }
    const data = new Float32Array(size * seqLen * dim);
    const lengths = new Int32Array(size);
    let row = 0;
    for (const tensor of tensors) {
      data.set(tensor!.data, row * seqLen * dim);
      lengths.set(tensor!.lengths, row);
      row += tensor!.shape[0];
    }
    features[m] = { data, shape: [size, seqLen, dim], lengths };
  }
  const target = new Float64Array(size);
  const environment = new Int32Array(size);
  const labels = new Float32Array(size);
  const ids: string[] = [];
  let row = 0;
  parts.forEach((part, k) => {
    target.set(Float64Array.from(part.target), row);
    labels.set(part.split.labels, row);
    environment.fill(k, row, row + part.split.size);
    ids.push(...part.split.ids.map((id) => `${k}/${id}`));
    row += part.split.size;
  });
  return { split: { size, features, labels, ids }, target, environment };
}

/** The rows of `x` and of `target` whose environment is `which`. */
function rowsOf(x: Matrix, target: ArrayLike<number>, environment: Int32Array, which: number): { x: Matrix; target: Float64Array } {
  const picked: number[] = [];
  environment.forEach((e, i) => e === which && picked.push(i));
  const data = new Float64Array(picked.length * x.cols);
  picked.forEach((i, r) => data.set(x.data.subarray(i * x.cols, (i + 1) * x.cols), r * x.cols));
  return { x: { rows: picked.length, cols: x.cols, data }, target: Float64Array.from(picked, (i) => target[i]!) };
}

/**
 * The ridge weight of every kept channel fitted separately in each environment, with its spread and heterogeneity
 * over environments. Features are pooled over time and standardized on the whole training split; λ is the pooled
 * ridge's (chosen on valid), so the weights of different environments are on one scale.
 */
export function environmentWeightSpreads(
  train: EnvironmentSplit,
  valid: LabeledSplit,
  modalities: readonly Modality[] = MODALITIES,
  channels: ChannelSelection = {},
): ChannelSpread[] {
  const pooled = fitProbe({ modalities, channels, features: { kind: 'linear' } }, train, valid);
  const x = pooled.features(train.split);
  const count = environmentCount(train);
  const fits = Array.from({ length: count }, (_, e) => {
    const rows = rowsOf(x, train.target, train.environment, e);
    return fitRidgeWithVariances(rows.x, rows.target, pooled.lambda);
  });
  return pickedChannels(train.split, modalities, channels).map(({ modality, channel }, column) =>
    summarize(modality, channel, fits.map((fit) => fit.weights[column]!), fits.map((fit) => fit.variances[column]!)),
  );
}

/**
 * Each kept channel's correlation with the target (time-mean-pooled feature) in each environment, with its spread
 * and heterogeneity over environments; Q is taken on Fisher's z = atanh(r), whose sampling variance is 1 / (n − 3).
 */
export function environmentCorrelationSpreads(
  train: EnvironmentSplit,
  modalities: readonly Modality[] = MODALITIES,
  channels: ChannelSelection = {},
): ChannelSpread[] {
  const count = environmentCount(train);
  const sizes = Array.from({ length: count }, (_, e) => train.environment.filter((x) => x === e).length);
  if (sizes.some((n) => n < 4)) throw new Error('a correlation filter needs at least 4 samples in every environment');
  return modalities.flatMap((modality) => {
    const pooled = meanPool(train.split, modality, channels[modality]);
    const picked = channels[modality] ?? Array.from({ length: pooled.cols }, (_, j) => j);
    return picked.map((channel, column) => {
      const correlations = Array.from({ length: count }, (_, e) => correlationIn(pooled, column, train.target, train.environment, e));
      const summary = summarize(modality, channel, correlations.map(Math.atanh), sizes.map((n) => 1 / (n - 3)));
      const mean = correlations.reduce((sum, r) => sum + r, 0) / count;
      return { ...summary, spread: Math.sqrt(correlations.reduce((sum, r) => sum + (r - mean) ** 2, 0) / count) };
    });
  });
}

/** Pearson correlation of column `column` of `x` with `target` over the rows of environment `which`. */
function correlationIn(x: Matrix, column: number, target: ArrayLike<number>, environment: Int32Array, which: number): number {
  let n = 0;
  let sumX = 0;
  let sumY = 0;
  for (let i = 0; i < x.rows; i++) {
    if (environment[i] !== which) continue;
    n++;
    sumX += x.data[i * x.cols + column]!;
    sumY += target[i]!;
  }
  let covariance = 0;
  let varianceX = 0;
  let varianceY = 0;
  for (let i = 0; i < x.rows; i++) {
    if (environment[i] !== which) continue;
    const dx = x.data[i * x.cols + column]! - sumX / n;
    const dy = target[i]! - sumY / n;
    covariance += dx * dy;
    varianceX += dx * dx;
    varianceY += dy * dy;
  }
  // A constant channel or target says nothing; clamp so atanh stays finite.
  const r = covariance / Math.sqrt(varianceX * varianceY) || 0;
  return Math.max(-0.999999, Math.min(0.999999, r));
}

function environmentCount(train: EnvironmentSplit): number {
  const count = Math.max(...train.environment) + 1;
  if (!(count >= 2)) throw new Error('a per-environment filter needs at least two environments');
  return count;
}

/** The channels a selection keeps, in feature order. */
function pickedChannels(split: Split, modalities: readonly Modality[], channels: ChannelSelection): { modality: Modality; channel: number }[] {
  return modalities.flatMap((modality) =>
    (channels[modality] ?? Array.from({ length: split.features[modality]!.shape[2] }, (_, j) => j)).map((channel) => ({ modality, channel })),
  );
}

/** Spread (plain std) and heterogeneity (Cochran's Q / df) of one channel's per-environment values. */
function summarize(modality: Modality, channel: number, values: readonly number[], variances: readonly number[]): ChannelSpread {
  const count = values.length;
  const precisions = variances.map((v) => 1 / v);
  const mean = values.reduce((sum, w) => sum + w, 0) / count;
  const pooled = values.reduce((sum, w, e) => sum + w * precisions[e]!, 0) / precisions.reduce((sum, p) => sum + p, 0);
  return {
    modality,
    channel,
    spread: Math.sqrt(values.reduce((sum, w) => sum + (w - mean) ** 2, 0) / count),
    heterogeneity: values.reduce((sum, w, e) => sum + (w - pooled) ** 2 * precisions[e]!, 0) / (count - 1),
  };
}

/** One-sided standard normal quantile of the filter's per-channel test level, 0.001. */
const TEST_LEVEL_Z = 3.0902;

/**
 * The heterogeneity (Q / df) above which a channel's weight differs across `environments` more than sampling noise
 * explains at level 0.001: the χ²_df upper quantile by the Wilson–Hilferty approximation, divided by df = E − 1.
 */
export function heterogeneityLimit(environments: number): number {
  const df = environments - 1;
  const c = 2 / (9 * df);
  return (1 - c + TEST_LEVEL_Z * Math.sqrt(c)) ** 3;
}

/**
 * Measures `statistic` per environment and drops every channel whose heterogeneity is above heterogeneityLimit, then
 * repeats on the channels left until none is (with ridge weights, once the strongest cue channels are gone, weaker
 * ones that carried the same cue show their variation); finally refits the pooled ridge on the kept channels.
 */
export function fitEnvironmentFilter(
  train: EnvironmentSplit,
  valid: LabeledSplit,
  options: { statistic?: FilterStatistic; modalities?: readonly Modality[] } = {},
): EnvironmentFilter {
  const { statistic = 'ridge weight', modalities = MODALITIES } = options;
  const limit = heterogeneityLimit(environmentCount(train));
  const dropped: ChannelSpread[] = [];
  let kept: ChannelSelection = {};
  let first: ChannelSpread[] | undefined;
  for (;;) {
    const spreads =
      statistic === 'ridge weight'
        ? environmentWeightSpreads(train, valid, modalities, kept)
        : environmentCorrelationSpreads(train, modalities, kept);
    first ??= spreads;
    const over = spreads.filter((s) => s.heterogeneity > limit);
    if (over.length === 0) break;
    dropped.push(...over);
    kept = Object.fromEntries(modalities.map((m) => [m, spreads.filter((s) => s.modality === m && !over.includes(s)).map((s) => s.channel)]));
    const emptied = modalities.filter((m) => kept[m]!.length === 0);
    if (emptied.length > 0) throw new Error(`the environment filter dropped every channel of modality ${emptied.join(', ')}`);
  }
  const probe = fitProbe({ modalities, channels: kept, features: { kind: 'linear' } }, train, valid);
  return { probe, spreads: first, dropped, kept };
}
