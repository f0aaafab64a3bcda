/**
 * CASP's test-time adaptation (utils/train.py, pseudolabel.py, utils/pseudo_train.py), on unlabeled target inputs:
 *   stage 1: `contrastiveEpochs` epochs of NT-Xent between each batch's representation and an augmented view with
 *            one whole modality zeroed; predictions on every target sample are stored before training and after
 *            every `storeEvery`-th epoch;
 *   stage 2: instability and pseudo-label (mean) per sample from the stored predictions, keep a fraction of the
 *            samples, then `pseudoEpochs` epochs of L1 towards the kept pseudo-labels.
 * Only the LayerNorm gains and biases inside the encoder layers are updated, each stage with its own Adam (the
 * reference runs the stages as separate scripts). Fixed epochs, the final state is kept: no target labels anywhere.
 */
import * as tf from '@tensorflow/tfjs';
import type { Modality } from '@midg/features';
import { deriveSeed } from '@midg/nn';
import { GroupOptimizer, mulberry32, shuffledOrder, type UnlabeledBatch, type UnlabeledData } from '@midg/trainer';
import type { CaspBackbone, FrozenEncoders } from './backbone';
import { ntXentOfPairs, selectSamples, stabilityOf, type Selection } from './objectives';

export interface AdaptationConfig {
  contrastiveEpochs: number;
  storeEvery: number;
  temperature: number;
  pseudoEpochs: number;
  keepFraction: number;
  selection: Selection;
  adaptLearningRate: number;
  adaptBatchSize: number;
  adaptClipNorm: number;
}

const PREDICT_BATCH = 256;

/** Eval-mode predictions for every sample of `data`, by row. */
export async function predictAll(backbone: CaspBackbone, data: UnlabeledData): Promise<Float32Array> {
  const out = new Float32Array(data.size);
  await data.forEachBatch(PREDICT_BATCH, async (batch) => {
    const { prediction, representation } = backbone.forward(batch, { training: false });
    representation.dispose();
    const values = await prediction.data();
    prediction.dispose();
    batch.indices.forEach((row, i) => (out[row] = values[i]!));
  });
  return out;
}

/**
 * Adam over `variables` alone, with the gradients clipped by their global norm: the trainer's optimizer, which
 * steps a group's variables as one flat vector (per variable, a tf.train.adam runs a dozen kernels per step, and
 * CASP adapts 2 × 2 × nlevels LayerNorm vectors per modality).
 */
function adamOver(variables: tf.Variable[], learningRate: number): GroupOptimizer {
  return new GroupOptimizer({ name: 'casp adaptation', trainableVariables: () => variables }, { learningRate, weightDecay: 0 });
}

/** One clipped Adam step on `variables` only; returns the loss. */
async function step(optimizer: GroupOptimizer, variables: tf.Variable[], clipNorm: number, loss: () => tf.Scalar): Promise<number> {
  const { value, grads } = tf.variableGrads(loss, variables);
  optimizer.apply(grads, { gradClipNorm: clipNorm, gradClipValue: 0 });
  const result = (await value.data())[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}

/** The rows `keep` of a split, copied out of its batches once (stage 2 trains on them alone, as the reference). */
async function gatherRows(data: UnlabeledData, keep: Int32Array, modalities: Modality[]): Promise<UnlabeledBatch> {
  const wanted = new Set(keep);
  const parts: { features: tf.Tensor3D[]; masks: tf.Tensor2D[] }[] = modalities.map(() => ({ features: [], masks: [] }));
  const rows: number[] = [];
  await data.forEachBatch(PREDICT_BATCH, (batch) => {
    const local = Array.from(batch.indices.keys()).filter((i) => wanted.has(batch.indices[i]!));
    if (local.length === 0) return;
    const at = tf.tensor1d(local, 'int32');
    modalities.forEach((m, k) => {
      parts[k]!.features.push(tf.gather(batch.features[m]!, at));
      parts[k]!.masks.push(tf.gather(batch.masks[m]!, at));
    });
    at.dispose();
    rows.push(...local.map((i) => batch.indices[i]!));
  });
  const features: UnlabeledBatch['features'] = {};
  const masks: UnlabeledBatch['masks'] = {};
  modalities.forEach((m, k) => {
    features[m] = tf.concat(parts[k]!.features, 0);
    masks[m] = tf.concat(parts[k]!.masks, 0);
    tf.dispose([...parts[k]!.features, ...parts[k]!.masks]);
  });
  return { features, masks, sourceIds: tf.zeros([rows.length]), indices: Int32Array.from(rows) };
}

function sliceRows(all: UnlabeledBatch, positions: Int32Array, modalities: Modality[]): UnlabeledBatch {
  return tf.tidy(() => {
    const at = tf.tensor1d(positions, 'int32');
    const features: UnlabeledBatch['features'] = {};
    const masks: UnlabeledBatch['masks'] = {};
    for (const m of modalities) {
      features[m] = tf.gather(all.features[m]!, at);
      masks[m] = tf.gather(all.masks[m]!, at);
    }
    return { features, masks, sourceIds: tf.gather(all.sourceIds, at), indices: Int32Array.from(positions, (p) => all.indices[p]!) };
  });
}

function disposeUnlabeled(batch: UnlabeledBatch): void {
  tf.dispose([...Object.values(batch.features), ...Object.values(batch.masks), batch.sourceIds]);
}

const mean = (values: number[]) => (values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length);

/** Runs both stages on `data`; returns the facts recorded with the run. */
export async function adaptCasp(backbone: CaspBackbone, data: UnlabeledData, config: AdaptationConfig, seed: number): Promise<Record<string, number>> {
  // Only the layer norms train: the encoders' dense weights are built once, and no gradient is formed for them.
  const frozen = backbone.freeze();
  try {
    return await adaptFrozen(backbone, data, config, seed, frozen);
  } finally {
    frozen.dispose();
  }
}

async function adaptFrozen(backbone: CaspBackbone, data: UnlabeledData, config: AdaptationConfig, seed: number, frozen: FrozenEncoders): Promise<Record<string, number>> {
  const variables = backbone.layerNormVariables();
  const modalities = backbone.modalities;
  const stored = [await predictAll(backbone, data)];

  // Stage 1: contrastive adaptation. One modality is zeroed per batch, drawn uniformly (the reference's random_drop).
  const draw = mulberry32(deriveSeed(seed, 'casp', 'drop'));
  const contrastive = adamOver(variables, config.adaptLearningRate);
  const contrastiveLosses: number[] = [];
  try {
    for (let epoch = 1; epoch <= config.contrastiveEpochs; epoch++) {
      const losses: number[] = [];
      await data.forEachBatch(
        config.adaptBatchSize,
        async (batch) => {
          const zeroed = modalities[Math.floor(draw() * modalities.length)]!;
          // The batch and its augmented copy in one pass (the masks each would draw alone): rows [view; augmented].
          const loss = await step(contrastive, variables, config.adaptClipNorm, () =>
            tf.tidy(() => ntXentOfPairs(backbone.forwardViews(batch, [{}, { zeroed }], { training: true, frozen }).representation, config.temperature)),
          );
          losses.push(loss);
        },
        deriveSeed(seed, 'casp', 'contrastive', epoch),
      );
      contrastiveLosses.push(mean(losses));
      if (epoch % config.storeEvery === 0) stored.push(await predictAll(backbone, data));
    }
  } finally {
    contrastive.dispose();
  }

  // Stage 2: stable pseudo-labels.
  const report: Record<string, number> = {
    samples: data.size,
    contrastiveEpochs: config.contrastiveEpochs,
    storedPredictions: stored.length,
    ...(contrastiveLosses.length > 0 ? { contrastiveLossFirst: contrastiveLosses[0]!, contrastiveLossLast: contrastiveLosses.at(-1)! } : {}),
  };
  if (config.pseudoEpochs === 0 || stored.length < 2) return { ...report, kept: 0, pseudoEpochs: 0 };
  const { instability, pseudoLabels } = stabilityOf(stored);
  const keep = selectSamples(instability, config.keepFraction, config.selection);
  const keptInstability = Array.from(keep, (i) => instability[i]!);
  Object.assign(report, { kept: keep.length, meanInstability: mean(Array.from(instability)) });
  if (keep.length === 0) return { ...report, pseudoEpochs: 0 };
  report.keptMeanInstability = mean(keptInstability);

  const kept = await gatherRows(data, keep, modalities);
  const pseudo = adamOver(variables, config.adaptLearningRate);
  const pseudoLosses: number[] = [];
  try {
    for (let epoch = 1; epoch <= config.pseudoEpochs; epoch++) {
      const order = shuffledOrder(keep.length, deriveSeed(seed, 'casp', 'pseudo', epoch));
      const losses: number[] = [];
      for (let start = 0; start < order.length; start += config.adaptBatchSize) {
        const batch = sliceRows(kept, order.subarray(start, start + config.adaptBatchSize), modalities);
        const labels = tf.tensor1d(Array.from(batch.indices, (row) => pseudoLabels[row]!));
        losses.push(
          await step(pseudo, variables, config.adaptClipNorm, () =>
            tf.tidy(() => {
              const { prediction } = backbone.forwardViews(batch, [{}], { training: true, frozen });
              return tf.mean(tf.abs(tf.sub(prediction, labels))) as tf.Scalar;
            }),
          ),
        );
        labels.dispose();
        disposeUnlabeled(batch);
      }
      pseudoLosses.push(mean(losses));
    }
  } finally {
    pseudo.dispose();
    disposeUnlabeled(kept);
  }
  return { ...report, pseudoEpochs: config.pseudoEpochs, pseudoLossFirst: pseudoLosses[0]!, pseudoLossLast: pseudoLosses.at(-1)! };
}
