import * as tf from '@tensorflow/tfjs';
import {
  DIM_ALIGNMENTS,
  alignTargetToSource,
  labelScale,
  parseModalities,
  resolveDataset,
  type Dataset,
  type ResolveOptions,
} from '@midg/features';
import { saveCheckpoint, snapshotWeights, restoreWeights, type WeightSnapshot } from './checkpoint';
import { configChoice, configNumber } from './config';
import type { ConfigRecord, EpochEvent, MetricRecord, RunSpec, TrainResult } from './contract';
import { batchIndices, disposeBatch, makeBatch, scoreSplit, type TrainingView } from './data';
import type { DataInfo, SentimentModel } from './model';
import { shuffledOrder } from './random';
import { poolSplit, sourceNames } from './sources';
import { getModel, resolveRunConfig } from './registry';

export interface TrainOptions {
  /** Called after every epoch (progress bars, `--events`). */
  onEpoch?: (event: EpochEvent) => void;
  /** Directory to write the best checkpoint to (atomically). */
  checkpointDir?: string;
  /** How datasets are resolved (datasets config file, synthetic seed). */
  resolve?: Omit<ResolveOptions, 'modalities'>;
  /** Already-loaded datasets by name (benchmarks and tests reuse them across runs). */
  datasets?: Map<string, Dataset>;
}

export function dataInfoOf(dataset: Dataset, sourceCount = 1): DataInfo {
  return { modalities: dataset.modalities, dims: dataset.dims, seqLens: dataset.seqLens, sourceCount };
}

/** Scales all gradients together when their global L2 norm exceeds `maxNorm`. */
function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  if (!(maxNorm > 0)) return grads;
  return tf.tidy(() => {
    const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    const norm = tf.sqrt(tf.addN(squares));
    const factor = tf.minimum(tf.scalar(1), tf.div(maxNorm, tf.maximum(norm, 1e-12)));
    const clipped: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, factor);
    return clipped;
  });
}

/** Runs one optimisation step; returns the loss parts as numbers. */
export function trainStep(
  model: SentimentModel,
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  view: TrainingView,
  indices: Int32Array,
  step: number,
  config: ConfigRecord,
): Record<string, number> {
  const batch = makeBatch(view, indices);
  const kept: Record<string, tf.Scalar> = {};
  const { value, grads } = tf.variableGrads(() => {
    const { total, parts } = model.losses(batch, step);
    for (const [name, part] of Object.entries(parts)) kept[name] = tf.keep(part);
    return total;
  }, variables);
  const clipped = clipByGlobalNorm(grads, configNumber(config, 'gradClipNorm'));
  optimizer.applyGradients(clipped);
  const decay = configNumber(config, 'weightDecay') * configNumber(config, 'learningRate');
  if (decay > 0) for (const v of variables) tf.tidy(() => v.assign(tf.mul(v, 1 - decay)));
  model.auxiliaryStep?.(batch);
  const losses: Record<string, number> = { total: value.dataSync()[0]! };
  for (const [name, part] of Object.entries(kept)) losses[name] = part.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads), ...Object.values(clipped), ...Object.values(kept)]);
  disposeBatch(batch);
  return losses;
}

function meanExpertUsage(model: SentimentModel, view: TrainingView): number[] | undefined {
  if (!model.expertUsage) return undefined;
  const sums: number[] = [];
  let count = 0;
  for (const indices of batchIndices(view.split.size, 256)) {
    const batch = makeBatch(view, indices);
    const usage = model.expertUsage(batch);
    usage.forEach((u, k) => (sums[k] = (sums[k] ?? 0) + u * indices.length));
    count += indices.length;
    disposeBatch(batch);
  }
  return sums.length > 0 ? sums.map((s) => s / count) : undefined;
}

/**
 * Trains `spec.model` on the source's train split, selects the epoch with the best source-valid MAE, and
 * reports the target's test metrics on the target's native label scale (§4.3: the model's `predict`).
 */
export async function trainRun(spec: RunSpec, backend: string, options: TrainOptions = {}): Promise<TrainResult> {
  const started = Date.now();
  const definition = getModel(spec.model);
  const config = resolveRunConfig(spec);
  const modalities = parseModalities(String(config.modalities));
  const load = (name: string): Dataset => {
    const cached = options.datasets?.get(name);
    const dataset = cached ?? resolveDataset(name, { ...options.resolve });
    options.datasets?.set(name, dataset);
    const missing = modalities.filter((m) => !dataset.modalities.includes(m));
    if (missing.length > 0) throw new Error(`dataset ${name} has no ${missing.join(', ')} features`);
    return { ...dataset, modalities };
  };
  const alignment = configChoice(config, 'dimAlignment', DIM_ALIGNMENTS);
  const names = sourceNames(spec.source);
  const sources = names.map(load);
  const source = sources[0]!;
  // Every further source and the target must match the first source's features (or be aligned to them).
  const others = sources.slice(1).map((dataset) => alignTargetToSource(source, dataset, alignment));
  const target = alignTargetToSource(source, load(spec.target), alignment);
  const targetScale = labelScale(target);
  const view = (dataset: Dataset, split: 'train' | 'valid' | 'test'): TrainingView => ({
    split: dataset.splits[split],
    modalities,
    labelScale: labelScale(dataset),
  });
  const pooledView = (split: 'train' | 'valid'): TrainingView => {
    const pooled = poolSplit([source, ...others], sources.map(labelScale), split, modalities);
    return { split: pooled.split, modalities, labelScale: 1, sourceIds: pooled.sourceIds };
  };
  const pooled = sources.length > 1;
  const trainView = pooled ? pooledView('train') : view(source, 'train');
  const validView = pooled ? pooledView('valid') : view(source, 'valid');
  const testView = view(target, 'test');
  // Pooled validation labels are on the normalized [-1, 1] scale: SIMS's range, so SIMS's metric set applies.
  const sourceScale = pooled ? 1 : labelScale(source);
  const validDomain = pooled ? 'sims' : source.domain;

  const seqLens = { ...source.seqLens };
  for (const m of modalities) seqLens[m] = trainView.split.features[m]!.shape[1];
  const info: DataInfo = { ...dataInfoOf(source, sources.length), seqLens };
  const model = definition.create(config, info, spec.seed);
  const variables = model.trainableVariables();
  const optimizer = tf.train.adam(configNumber(config, 'learningRate', { min: 0 }));
  const epochs = configNumber(config, 'epochs', { min: 1, integer: true });
  const batchSize = configNumber(config, 'batchSize', { min: 1, integer: true });
  const patience = configNumber(config, 'patience', { min: 1, integer: true });
  const maxTrain = configNumber(config, 'maxTrainSamples', { min: 0, integer: true });
  const trainSize = maxTrain > 0 ? Math.min(maxTrain, trainView.split.size) : trainView.split.size;
  // maxTrainSamples picks one fixed, seeded subset of the training split; epochs reshuffle within it.
  const subset = shuffledOrder(trainView.split.size, spec.seed).subarray(0, trainSize);

  let best: { epoch: number; mae: number; valid: MetricRecord; weights: WeightSnapshot } | undefined;
  let step = 0;
  let epoch = 0;
  try {
    for (epoch = 1; epoch <= epochs; epoch++) {
      const epochStart = Date.now();
      const order = shuffledOrder(trainSize, spec.seed * 1000 + epoch).map((i) => subset[i]!);
      const sums: Record<string, number> = {};
      const blocks = batchIndices(trainSize, batchSize, order);
      for (const indices of blocks) {
        const losses = trainStep(model, optimizer, variables, trainView, indices, step++, config);
        for (const [name, value] of Object.entries(losses)) sums[name] = (sums[name] ?? 0) + value;
      }
      const seconds = (Date.now() - epochStart) / 1000;
      const losses = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / blocks.length]));
      if (!Number.isFinite(losses.total)) throw new Error(`training diverged at epoch ${epoch} (loss ${losses.total})`);
      const valid = scoreSplit(model, validView, sourceScale, validDomain);
      options.onEpoch?.({ event: 'epoch', epoch, maxEpochs: epochs, losses, valid, samplesPerSecond: trainSize / Math.max(seconds, 1e-9) });
      if (!best || valid.MAE! < best.mae) {
        best = { epoch, mae: valid.MAE!, valid, weights: snapshotWeights(variables) };
      } else if (epoch - best.epoch >= patience) {
        break;
      }
    }
    if (!best) throw new Error('no epoch ran: set epochs >= 1');
    restoreWeights(variables, best.weights);
    const test = scoreSplit(model, testView, targetScale, target.domain);
    const expertUsage = meanExpertUsage(model, testView);
    if (options.checkpointDir) {
      saveCheckpoint(options.checkpointDir, { spec, config, info, sourceLabelScale: sourceScale }, variables, best.weights);
    }
    return {
      event: 'result',
      spec,
      config,
      test,
      valid: best.valid,
      bestEpoch: best.epoch,
      epochsRun: Math.min(epoch, epochs),
      durationMs: Date.now() - started,
      backend,
      ...(expertUsage ? { expertUsage } : {}),
      ...(options.checkpointDir ? { checkpoint: options.checkpointDir } : {}),
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
