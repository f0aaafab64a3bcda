import type * as tf from '@tensorflow/tfjs';
import type { Modality } from '@midg/features';
import type { ConfigRecord } from './contract';
import type { ModelConfigFile } from './config';

/** One mini-batch on the tensor backend. Labels are on the normalized training scale. */
export interface Batch {
  /** [B, L_m, D_m] per present modality. */
  features: Partial<Record<Modality, tf.Tensor3D>>;
  /** [B, L_m], 1 for real steps, 0 for padding. */
  masks: Partial<Record<Modality, tf.Tensor2D>>;
  /** [B] regression targets (normalized scale). */
  labels: tf.Tensor1D;
  /** [B] integer id of the source dataset each sample came from (0 when there is one source). */
  sourceIds: tf.Tensor1D;
}

/** What a model needs to know about the data to build itself. */
export interface DataInfo {
  modalities: Modality[];
  dims: Partial<Record<Modality, number>>;
  seqLens: Partial<Record<Modality, number>>;
  /** Number of distinct source datasets (for source-id domain labels). */
  sourceCount: number;
}

export interface LossBreakdown {
  /** The objective the optimizer minimises. */
  total: tf.Scalar;
  /** Named parts for logging (each already a scalar; unweighted). */
  parts: Record<string, tf.Scalar>;
}

/** The interface every model (MIDG and each baseline) implements. */
export interface SentimentModel {
  readonly name: string;
  trainableVariables(): tf.Variable[];
  /** Training-mode losses for one batch (call inside optimizer.minimize / tf.variableGrads). */
  losses(batch: Batch, step: number): LossBreakdown;
  /** Evaluation-mode predictions [B] on the normalized scale (MIDG: out-of-domain pipeline only, §4.3). */
  predict(batch: Batch): tf.Tensor1D;
  /** Optional auxiliary update after each main step (e.g. fitting the CLUB variational net). */
  auxiliaryStep?(batch: Batch): void;
  /** Optional per-expert mean router weight on a batch (MoIE models). */
  expertUsage?(batch: Batch): number[];
  dispose(): void;
}

/** A model registered by name; baselines register one of these from their own package. */
export interface ModelDefinition {
  name: string;
  description: string;
  config: ModelConfigFile;
  create(config: ConfigRecord, info: DataInfo, seed: number): SentimentModel;
}
