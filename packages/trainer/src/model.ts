import type * as tf from '@tensorflow/tfjs';
import type { Modality } from '@midg/features';
import type { ConfigRecord } from './contract';
import { loadConfigFile, type ModelConfigFile } from './config';
import { parseConfig, type ConfigOf, type ConfigSchema } from './schema';
import { TRAINING_SCHEMA, type TrainingConfig } from './training-config';

/** One mini-batch on the tensor backend, without labels: what a test-time hook sees of the target. */
export interface UnlabeledBatch {
  /** [B, L_m, D_m] per present modality. */
  features: Partial<Record<Modality, tf.Tensor3D>>;
  /** [B, L_m], 1 for real steps, 0 for padding. */
  masks: Partial<Record<Modality, tf.Tensor2D>>;
  /** [B] integer id of the source dataset each sample came from (0 when there is one source). */
  sourceIds: tf.Tensor1D;
  /** Each sample's row in its split (stable across epochs: per-sample memories such as Self-MM's key on it). */
  indices: Int32Array;
  /** Each sample's group in its split (see Batch.groupIds); `makeBatch` always sets it, hand-built inputs may not. */
  groupIds?: Int32Array;
}

/** A labelled mini-batch. Labels are on the normalized training scale ([-1, 1] for every dataset). */
export interface Batch extends UnlabeledBatch {
  /** [B] regression targets (normalized scale). */
  labels: tf.Tensor1D;
  /**
   * Each sample's group in its split (`groupIdsOf`: the video of an MMSA id `<video>$_$<segment>`, else the whole
   * id), numbered from 0 in order of first appearance in the split. For the training split they run over
   * [0, DataInfo.groupCount): the domain labels of `domainLabels=video`.
   */
  groupIds: Int32Array;
}

/** What a model needs to know about the data to build itself. */
export interface DataInfo {
  modalities: Modality[];
  dims: Partial<Record<Modality, number>>;
  seqLens: Partial<Record<Modality, number>>;
  /** Number of distinct source datasets (for source-id domain labels). */
  sourceCount: number;
  /** Rows in the training split (per-sample memories are sized by it). */
  trainSize: number;
  /**
   * Distinct groups (videos, see `groupIdsOf`) in the training split: the range of a training batch's groupIds.
   * The trainer always sets it; optional so hand-built infos in tests need not (a model that needs it checks).
   */
  groupCount?: number;
}

export interface LossBreakdown {
  /** The objective the optimizer minimises. */
  total: tf.Scalar;
  /** Named parts for logging, each a scalar; averaged per epoch into the epoch record. */
  parts: Record<string, tf.Scalar>;
}

/** Where training is: passed to every loss and hook. */
export interface StepContext {
  /** Global optimisation step, from 0. */
  step: number;
  /** Epoch, from 1. */
  epoch: number;
  /** Fraction of the planned training done, in [0, 1] (for ramps such as DANN's GRL schedule). */
  progress: number;
}

/** Variables that share a learning rate and weight decay; unset fields take the training config's values. */
export interface ParameterGroup {
  name: string;
  variables: tf.Variable[];
  learningRate?: number;
  weightDecay?: number;
}

/** The target's unlabeled inputs, for test-time adaptation. Batches are disposed after each callback. */
export interface UnlabeledData {
  readonly size: number;
  /** Calls `visit` on consecutive batches (shuffled by `shuffleSeed` when given) and awaits each. */
  forEachBatch(batchSize: number, visit: (batch: UnlabeledBatch) => void | Promise<void>, shuffleSeed?: number): Promise<void>;
}

/** The target's splits, inputs only. */
export interface TargetInputs {
  test: UnlabeledData;
  train: UnlabeledData;
}

/** Which target split a test-time method adapted on, and what it reports (recorded with the run). */
export interface AdaptationOutcome {
  split: keyof TargetInputs;
  report: Record<string, number>;
}

/**
 * The interface every model (MIDG and each baseline) implements. Only `losses`, `predict`, `trainableVariables`
 * and `dispose` are required; the trainer calls each optional hook at a fixed point:
 *
 *   per epoch:  for each batch { losses → clip → step every parameter group → afterStep }  → onEpochEnd → validate
 *   at the end: restore the best source-valid checkpoint → adaptToTarget (unlabeled target) → score the target
 */
export interface SentimentModel {
  readonly name: string;
  /** Every variable the main optimizer trains (also what checkpoints save). */
  trainableVariables(): tf.Variable[];
  /** Training-mode losses for one batch (called inside the gradient tape). */
  losses(batch: Batch, context: StepContext): LossBreakdown;
  /**
   * How `total` is made of the logged parts: total = Σ weight·part over this record (the configured loss weights;
   * parts not listed are logged only). The contract test checks it on every registered model.
   */
  lossWeights(): Record<string, number>;
  /** Evaluation-mode predictions [B] on the normalized scale (MIDG: out-of-domain pipeline only, §4.3). */
  predict(batch: UnlabeledBatch): tf.Tensor1D;
  /** Splits trainableVariables into groups with their own learning rate / weight decay; default: one group. */
  parameterGroups?(): ParameterGroup[];
  /** After each main step, outside the tape (e.g. fitting the CLUB variational net with its own optimizer). */
  afterStep?(batch: Batch, context: StepContext): void;
  /** After each epoch's last step, before validation; numbers returned are recorded with the epoch. */
  onEpochEnd?(context: StepContext): Promise<Record<string, number> | void>;
  /**
   * Test-time adaptation on the target's unlabeled inputs, after the best source checkpoint is restored and
   * before the target is scored. It never sees target labels. Returns facts to record (e.g. samples kept).
   */
  adaptToTarget?(target: TargetInputs, context: { seed: number }): Promise<AdaptationOutcome>;
  /** Optional per-expert mean router weight on a batch (MoIE models). */
  expertUsage?(batch: UnlabeledBatch): Promise<number[]>;
  dispose(): void;
}

/** A model known by name: its schema, its config file (MMSA layout) and a factory. */
export interface ModelDefinition {
  name: string;
  description: string;
  /** The model's own keys (the trainer's keys come on top). */
  schema: ConfigSchema;
  /** Defaults and per-dataset sections, already checked against the schema. */
  config: ModelConfigFile;
  /** True for test-time adaptation methods, which see unlabeled target inputs (tables group them apart). */
  usesTargetInputs?: boolean;
  /** Overrides that make the model small enough for the contract tests on every backend (the pure-JS one too). */
  testOverrides: ConfigRecord;
  /** Rules across keys (e.g. width divisible by heads); throws one line naming the keys. Run by resolveRun. */
  validate(config: ConfigRecord): void;
  /** Builds the model from a resolved config (checked against the schema by resolveRunConfig). */
  create(config: ConfigRecord, info: DataInfo, seed: number): SentimentModel;
}

/** The typed config a model built with `defineModel` receives: its own keys and the trainer's. */
export type ModelConfig<S extends ConfigSchema> = ConfigOf<S> & TrainingConfig;

/**
 * Declares a model: its schema, config file (`defaults:` + `datasets:`) and a factory that receives the config
 * typed by the schema. The record is checked once more on the way in, so `create` never sees an unchecked value.
 */
export function defineModel<S extends ConfigSchema>(options: {
  name: string;
  description: string;
  schema: S;
  configFile: string | URL;
  usesTargetInputs?: boolean;
  /** Overrides that keep the model small for the contract tests (default none). */
  testOverrides?: ConfigRecord;
  /** Rules across keys: return a complaint naming the keys, or undefined. */
  check?(config: ModelConfig<S>): string | undefined;
  create(config: ModelConfig<S>, info: DataInfo, seed: number): SentimentModel;
}): ModelDefinition {
  const full = { ...TRAINING_SCHEMA, ...options.schema };
  const typed = (config: ConfigRecord): ModelConfig<S> => {
    const parsed = parseConfig(full, config, `model ${options.name}`) as ModelConfig<S>;
    const complaint = options.check?.(parsed);
    if (complaint) throw new Error(`config for model ${options.name}: ${complaint}`);
    return parsed;
  };
  return {
    name: options.name,
    description: options.description,
    schema: options.schema,
    config: loadConfigFile(options.configFile, options.schema),
    ...(options.usesTargetInputs ? { usesTargetInputs: true } : {}),
    testOverrides: options.testOverrides ?? {},
    validate: (config) => void typed(config),
    create: (config, info, seed) => options.create(typed(config), info, seed),
  };
}
