import * as tf from '@tensorflow/tfjs';
import type { Modality } from '@midg/features';
import { UnimodalEncoder, deriveSeed, disposeVariables, partVariables } from '@midg/nn';
import type { Batch, DataInfo, LossBreakdown, ParameterGroup, SentimentModel, StepContext, UnlabeledBatch } from '@midg/trainer';
import { PostHead } from './heads';
import { unimodalWeights } from './label-generation';
import { SampleMemory, type Task } from './memory';

/** The model's own config keys (see configs/self-mm.yaml), grouped per modality where MMSA has one value each. */
export interface SelfMmConfig {
  encoderOut: Record<Modality, number>;
  encoderDropout: Record<Modality, number>;
  postDim: Record<Task, number>;
  postDropout: Record<Task, number>;
  learningRate: Record<Modality, number>;
  weightDecay: Record<Modality, number>;
  excludeZero: boolean;
  centreLabels: 'own' | 'fusion';
}

interface Forward {
  predictions: Map<Task, tf.Tensor1D>;
  features: Map<Task, tf.Tensor2D>;
}

// Labels are on the normalized training scale for every dataset, so MMSA's H (3 for MOSI/MOSEI, 1 for SIMS) is 1.
const LABEL_BOUND = 1;

/**
 * Self-MM (Yu et al., AAAI 2021): per-modality encoders; a fusion head on their concatenation and one head per
 * modality. The fusion head learns y_m; each unimodal head learns a label y_s generated from y_m and the
 * distances of the sample's features to positive/negative class centres (label-generation.ts, memory.ts).
 */
export class SelfMmModel implements SentimentModel {
  readonly name = 'self-mm';
  private readonly modalities: Modality[];
  private readonly encoders = new Map<Modality, UnimodalEncoder>();
  private readonly heads = new Map<Task, PostHead>();
  private readonly memory: SampleMemory;
  /** The detached features of the last `losses` call, consumed by `afterStep` (MMSA updates labels from them). */
  private pending: { indices: Int32Array; features: Map<Task, tf.Tensor2D> } | undefined;

  constructor(
    private readonly config: SelfMmConfig,
    info: DataInfo,
    seed: number,
  ) {
    this.modalities = [...info.modalities];
    if (this.modalities.length === 0) throw new Error('self-mm needs at least one modality');
    for (const m of this.modalities) {
      const inputDim = info.dims[m];
      if (inputDim === undefined) throw new Error(`self-mm: no feature dim for modality ${m}`);
      this.encoders.set(m, new UnimodalEncoder({ inputDim, hiddenDim: config.encoderOut[m], dropout: config.encoderDropout[m], seed: deriveSeed(seed, 'encoder', m) }));
    }
    const fusionInput = this.modalities.reduce((sum, m) => sum + config.encoderOut[m], 0);
    for (const task of ['m', ...this.modalities] as Task[]) {
      const inputDim = task === 'm' ? fusionInput : config.encoderOut[task];
      this.heads.set(task, new PostHead({ inputDim, hiddenDim: config.postDim[task], dropout: config.postDropout[task], seed: deriveSeed(seed, 'head', task) }));
    }
    this.memory = new SampleMemory(info.trainSize, this.modalities, config.postDim);
  }

  private forward(batch: UnlabeledBatch, training: boolean, fusionOnly: boolean): Forward {
    const predictions = new Map<Task, tf.Tensor1D>();
    const features = new Map<Task, tf.Tensor2D>();
    const encoded = this.modalities.map((m) => {
      const x = batch.features[m];
      const mask = batch.masks[m];
      if (!x || !mask) throw new Error(`self-mm: the batch has no ${m} features`);
      return this.encoders.get(m)!.forward(x, mask, { training });
    });
    const tasks: [Task, tf.Tensor2D][] = [['m', encoded.length === 1 ? encoded[0]! : tf.concat(encoded, 1)]];
    if (!fusionOnly) this.modalities.forEach((m, i) => tasks.push([m, encoded[i]!]));
    for (const [task, input] of tasks) {
      const out = this.heads.get(task)!.forward(input, { training });
      predictions.set(task, out.prediction);
      features.set(task, out.feature);
    }
    return { predictions, features };
  }

  trainableVariables(): tf.Variable[] {
    return [...partVariables([...this.encoders.values()]), ...partVariables([...this.heads.values()])];
  }

  /** MMSA's groups: one per modality's encoder (own rate and decay) and the heads on the trainer's rate and decay. */
  parameterGroups(): ParameterGroup[] {
    const groups: ParameterGroup[] = this.modalities.map((m) => ({
      name: `encoder_${m}`,
      variables: this.encoders.get(m)!.trainableVariables(),
      learningRate: this.config.learningRate[m],
      weightDecay: this.config.weightDecay[m],
    }));
    return [...groups, { name: 'heads', variables: partVariables([...this.heads.values()]) }];
  }

  /** total = L1(ŷ_m, y_m) + Σ_s mean(tanh|y_s − y_m| · |ŷ_s − y_s|); each logged unimodal part includes its weights. */
  lossWeights(): Record<string, number> {
    return Object.fromEntries(['fusion', ...this.modalities].map((name) => [name, 1]));
  }

  losses(batch: Batch, _context: StepContext): LossBreakdown {
    const targets = this.memory.unimodalTargets(batch.indices, batch.labels);
    const stash = new Map<Task, tf.Tensor2D>();
    const result = tf.tidy(() => {
      const { predictions, features } = this.forward(batch, true, false);
      for (const [task, feature] of features) stash.set(task, tf.keep(tf.clone(feature)));
      const parts: Record<string, tf.Scalar> = { fusion: tf.mean(tf.abs(tf.sub(predictions.get('m')!, batch.labels))) as tf.Scalar };
      for (const m of this.modalities) {
        const target = targets.get(m)!;
        const weights = unimodalWeights(target, batch.labels);
        parts[m] = tf.mean(tf.mul(weights, tf.abs(tf.sub(predictions.get(m)!, target)))) as tf.Scalar;
      }
      const total = tf.addN(Object.values(parts)) as tf.Scalar;
      return { total, parts };
    });
    tf.dispose([...targets.values()]);
    this.dropPending();
    this.pending = { indices: Int32Array.from(batch.indices), features: stash };
    return result;
  }

  /** Runs the label generator on the features of the step just taken (MMSA: same forward pass as the loss). */
  afterStep(batch: Batch, context: StepContext): void {
    const pending = this.pending;
    const matches = pending !== undefined && pending.indices.length === batch.indices.length && pending.indices.every((row, i) => row === batch.indices[i]);
    // Without a matching loss call (a hook driven by hand), take the features from a deterministic forward pass.
    const features = matches ? pending.features : this.evalFeatures(batch);
    try {
      this.memory.update(batch.indices, batch.labels, features, {
        epoch: context.epoch,
        excludeZero: this.config.excludeZero,
        centreLabels: this.config.centreLabels,
        bound: LABEL_BOUND,
      });
    } finally {
      if (!matches) tf.dispose([...features.values()]);
      this.dropPending();
    }
  }

  private evalFeatures(batch: UnlabeledBatch): Map<Task, tf.Tensor2D> {
    const tasks: Task[] = ['m', ...this.modalities];
    // tf.tidy keeps only tensors in arrays/objects it can walk, not in a Map.
    const values = tf.tidy(() => {
      const { features } = this.forward(batch, false, false);
      return tasks.map((task) => features.get(task)!);
    });
    return new Map(tasks.map((task, i) => [task, values[i]!]));
  }

  async onEpochEnd(): Promise<Record<string, number>> {
    return this.memory.summary();
  }

  predict(batch: UnlabeledBatch): tf.Tensor1D {
    return tf.tidy(() => this.forward(batch, false, true).predictions.get('m')!);
  }

  /** The variables of one head (the fusion head for 'm'): what the epoch-1 zero-gradient test inspects. */
  headVariables(task: Task): tf.Variable[] {
    const head = this.heads.get(task);
    if (!head) throw new Error(`self-mm: no ${task} head in this run`);
    return head.trainableVariables();
  }

  /** The stored labels of a task over the training split (y_m for 'm'). */
  async labels(task: Task): Promise<Float32Array> {
    return this.memory.labels(task);
  }

  private dropPending(): void {
    if (this.pending) tf.dispose([...this.pending.features.values()]);
    this.pending = undefined;
  }

  dispose(): void {
    this.dropPending();
    this.memory.dispose();
    disposeVariables(this.trainableVariables());
  }
}
