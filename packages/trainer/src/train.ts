import * as tf from '@tensorflow/tfjs';
import { alignTargetToSource, datasetMetricFamily, labelScale, parseModalities, resolveDataset, type Dataset, type ResolveOptions } from '@midg/features';
import { saveCheckpoint, snapshotWeights, restoreWeights, type WeightSnapshot } from './checkpoint';
import type { EpochEvent, MetricRecord, RunSpec, TrainResult } from './contract';
import { batchIndices, disposeBatch, groupIdsOf, makeBatch, scoreSplit, scoreTargetSplit, scoreTargetSplitWithPredictions, splitPredictionsOf, unlabeledData, type TrainingView } from './data';
import type { DataInfo, SentimentModel, StepContext } from './model';
import { GroupOptimizer, createSchedule } from './optimizer';
import { shuffledOrder } from './random';
import { poolSplit, sourceNames } from './sources';
import { resolveRun } from './registry';
import type { TrainingConfig } from './training-config';

export interface TrainOptions {
  /** Called after every epoch (progress bars, `--events`). */
  onEpoch?: (event: EpochEvent) => void;
  /** Directory to write the best checkpoint to (atomically). */
  checkpointDir?: string;
  /** How datasets are resolved (datasets config file, synthetic seed). */
  resolve?: Omit<ResolveOptions, 'modalities'>;
  /** Already-loaded datasets by name (benchmarks and tests reuse them across runs). */
  datasets?: Map<string, Dataset>;
  /** The run key the caller planned; the run is refused when the resolved key differs (code or defaults changed). */
  expectedKey?: string;
}

export function dataInfoOf(dataset: Dataset, sourceCount = 1): DataInfo {
  const train = dataset.splits.train;
  return { modalities: dataset.modalities, dims: dataset.dims, seqLens: dataset.seqLens, sourceCount, trainSize: train.size, groupCount: groupIdsOf(train.ids).count };
}

/**
 * One optimisation step. The loss parts come back as scalar tensors still on the backend (the caller reads them
 * once per epoch), so nothing waits for the device inside the loop.
 */
export function trainStep(
  model: SentimentModel,
  optimizer: GroupOptimizer,
  view: TrainingView,
  indices: Int32Array,
  context: StepContext,
  config: Pick<TrainingConfig, 'gradClipNorm' | 'gradClipValue'>,
): Record<string, tf.Scalar> {
  const batch = makeBatch(view, indices);
  const kept: Record<string, tf.Scalar> = {};
  const { value, grads } = tf.variableGrads(() => {
    const { total, parts } = model.losses(batch, context);
    for (const [name, part] of Object.entries(parts)) kept[name] = tf.keep(part);
    return total;
  }, model.trainableVariables());
  optimizer.apply(grads, config);
  model.afterStep?.(batch, context);
  tf.dispose(Object.values(grads));
  disposeBatch(batch);
  return { total: value, ...kept };
}

/** Averages per-step loss scalars with one read from the backend per epoch. */
async function meanLosses(steps: Record<string, tf.Scalar>[]): Promise<Record<string, number>> {
  const names = Object.keys(steps[0] ?? {});
  const stacked = tf.tidy(() => tf.stack(steps.flatMap((step) => names.map((name) => step[name]!))));
  const values = await stacked.data();
  stacked.dispose();
  tf.dispose(steps.flatMap((step) => Object.values(step)));
  const sums: Record<string, number> = {};
  names.forEach((name, j) => {
    for (let i = 0; i < steps.length; i++) sums[name] = (sums[name] ?? 0) + values[i * names.length + j]!;
  });
  return Object.fromEntries(names.map((name) => [name, sums[name]! / steps.length]));
}

async function meanExpertUsage(model: SentimentModel, view: TrainingView): Promise<number[] | undefined> {
  if (!model.expertUsage) return undefined;
  const sums: number[] = [];
  let count = 0;
  await unlabeledData(view).forEachBatch(256, async (batch) => {
    const usage = await model.expertUsage!(batch);
    usage.forEach((u, k) => (sums[k] = (sums[k] ?? 0) + u * batch.indices.length));
    count += batch.indices.length;
  });
  return sums.length > 0 ? sums.map((s) => s / count) : undefined;
}

/**
 * Trains `spec.model` on the source's train split, selects the epoch with the best source-valid MAE, lets a
 * test-time method adapt on the target's unlabeled test inputs, and reports the target's test metrics on the
 * target's native label scale (§4.3: the model's `predict`).
 */
export async function trainRun(spec: RunSpec, options: TrainOptions = {}): Promise<TrainResult> {
  const started = Date.now();
  const { definition, config, training, key } = resolveRun(spec);
  if (options.expectedKey !== undefined && options.expectedKey !== key) {
    throw new Error(`run key mismatch: planned ${options.expectedKey}, resolved ${key} (the code or its config defaults changed since the sweep was planned; plan it again)`);
  }
  if (tf.getBackend() !== spec.backend) throw new Error(`run spec asks for backend "${spec.backend}" but "${tf.getBackend()}" is active`);
  const modalities = parseModalities(training.modalities);
  // Each dataset is loaded once per run (an in-domain run names it twice), so a file's load warning comes once.
  const loaded = options.datasets ?? new Map<string, Dataset>();
  const load = (name: string): Dataset => {
    const cached = loaded.get(name);
    const dataset = cached ?? resolveDataset(name, { ...options.resolve });
    loaded.set(name, dataset);
    const missing = modalities.filter((m) => !dataset.modalities.includes(m));
    if (missing.length > 0) throw new Error(`dataset ${name} has no ${missing.join(', ')} features`);
    return { ...dataset, modalities };
  };
  const alignment = training.dimAlignment;
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
  // Otherwise each split is scored with its dataset's metric family (declared, or from its label range).
  const sourceScale = pooled ? 1 : labelScale(source);
  const validFamily = pooled ? 'sims' : datasetMetricFamily(source);
  const targetFamily = datasetMetricFamily(target);

  const seqLens = { ...source.seqLens };
  for (const m of modalities) seqLens[m] = trainView.split.features[m]!.shape[1];
  const trainGroups = groupIdsOf(trainView.split.ids);
  trainView.groupIds = trainGroups.groupIds;
  const info: DataInfo = { ...dataInfoOf(source, sources.length), seqLens, trainSize: trainView.split.size, groupCount: trainGroups.count };
  const model = definition.create(config, info, spec.seed);
  const optimizer = new GroupOptimizer(model, training);
  const trainSize = training.maxTrainSamples > 0 ? Math.min(training.maxTrainSamples, trainView.split.size) : trainView.split.size;
  // maxTrainSamples picks one fixed, seeded subset of the training split; epochs reshuffle within it.
  const subset = shuffledOrder(trainView.split.size, spec.seed).subarray(0, trainSize);
  const stepsPerEpoch = Math.ceil(trainSize / training.batchSize);
  const schedule = createSchedule(training, stepsPerEpoch);
  const totalSteps = training.epochs * stepsPerEpoch;

  let best: { epoch: number; mae: number; valid: MetricRecord; weights: WeightSnapshot } | undefined;
  let step = 0;
  let epoch = 0;
  try {
    for (epoch = 1; epoch <= training.epochs; epoch++) {
      const epochStart = Date.now();
      const order = shuffledOrder(trainSize, spec.seed * 1000 + epoch).map((i) => subset[i]!);
      const stepLosses: Record<string, tf.Scalar>[] = [];
      for (const indices of batchIndices(trainSize, training.batchSize, order)) {
        optimizer.setScale(schedule.atStep(step));
        const context = { step, epoch, progress: step / totalSteps };
        stepLosses.push(trainStep(model, optimizer, trainView, indices, context, training));
        step++;
      }
      const losses = await meanLosses(stepLosses);
      const seconds = (Date.now() - epochStart) / 1000;
      if (!Number.isFinite(losses.total)) throw new Error(`training diverged at epoch ${epoch} (loss ${losses.total})`);
      const diagnostics = (await model.onEpochEnd?.({ step, epoch, progress: step / totalSteps })) ?? undefined;
      const valid = await scoreSplit(model, validView, sourceScale, validFamily);
      optimizer.setScale(schedule.afterEpoch(valid.MAE!));
      options.onEpoch?.({
        event: 'epoch',
        epoch,
        maxEpochs: training.epochs,
        losses,
        ...(diagnostics ? { diagnostics } : {}),
        learningRate: optimizer.currentRate(),
        valid,
        samplesPerSecond: trainSize / Math.max(seconds, 1e-9),
      });
      if (!best || valid.MAE! < best.mae) {
        best = { epoch, mae: valid.MAE!, valid, weights: await snapshotWeights(model.trainableVariables()) };
      } else if (epoch - best.epoch >= training.patience) {
        break;
      }
    }
    if (!best) throw new Error('no epoch ran: set epochs >= 1');
    restoreWeights(model.trainableVariables(), best.weights);
    let adaptation: TrainResult['adaptation'];
    if (model.adaptToTarget) {
      const sourceOnlyTest = await scoreTargetSplit(model, testView, targetScale, targetFamily);
      const inputs = { test: unlabeledData(testView), train: unlabeledData(view(target, 'train')) };
      const { split, report } = await model.adaptToTarget(inputs, { seed: spec.seed });
      adaptation = { inputs: `${spec.target} ${split} split, ${inputs[split].size} samples, inputs only (no labels)`, report, sourceOnlyTest };
    }
    const { metrics: test, predictions } = await scoreTargetSplitWithPredictions(model, testView, targetScale, targetFamily);
    const expertUsage = await meanExpertUsage(model, testView);
    if (options.checkpointDir) {
      saveCheckpoint(options.checkpointDir, { spec, config, info, sourceLabelScale: sourceScale }, model.trainableVariables(), best.weights);
    }
    return {
      event: 'result',
      spec,
      key,
      config,
      test,
      valid: best.valid,
      bestEpoch: best.epoch,
      epochsRun: Math.min(epoch, training.epochs),
      durationMs: Date.now() - started,
      backend: tf.getBackend(),
      ...(adaptation ? { adaptation } : {}),
      ...(expertUsage ? { expertUsage } : {}),
      ...(options.checkpointDir ? { checkpoint: options.checkpointDir } : {}),
      testPredictions: splitPredictionsOf(predictions, testView.split.labels),
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
