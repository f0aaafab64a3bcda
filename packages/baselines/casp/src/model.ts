/**
 * CASP (Guo et al., AAAI 2025): the late-fusion backbone (backbone.ts) trained on the source with L1, then, when
 * `adapt` is on, test-time adaptation on the target's unlabeled inputs (adaptation.ts): the target's test split
 * (`adaptOn: test`, transductive, the default) or its train split (`adaptOn: train`).
 */
import * as tf from '@tensorflow/tfjs';
import type { AdaptationOutcome, Batch, DataInfo, LossBreakdown, SentimentModel, TargetInputs, UnlabeledBatch } from '@midg/trainer';
import { CaspBackbone, type CaspBackboneConfig } from './backbone';
import { adaptCasp, type AdaptationConfig } from './adaptation';

export interface CaspConfig extends CaspBackboneConfig, AdaptationConfig {
  adapt: boolean;
  adaptOn: 'test' | 'train';
}

export class CaspModel implements SentimentModel {
  readonly name = 'casp';
  readonly backbone: CaspBackbone;
  /** The adaptation keys of the run's config (what adaptToTarget runs with). */
  readonly adaptationConfig: AdaptationConfig;
  /** Present only with `adapt: true`: without it the trainer scores the source model as it is. */
  readonly adaptToTarget?: (target: TargetInputs, context: { seed: number }) => Promise<AdaptationOutcome>;

  constructor(config: CaspConfig, info: DataInfo, seed: number) {
    if (config.adapt && info.modalities.length < 2) {
      throw new Error(`model casp: adaptation zeroes one modality for its augmented view, so it needs at least two (got "${info.modalities.join('')}"; set adapt=false to train the backbone alone)`);
    }
    this.backbone = new CaspBackbone(config, info.modalities, info.dims, seed);
    const { contrastiveEpochs, storeEvery, temperature, pseudoEpochs, keepFraction, selection, adaptLearningRate, adaptBatchSize, adaptClipNorm } = config;
    this.adaptationConfig = { contrastiveEpochs, storeEvery, temperature, pseudoEpochs, keepFraction, selection, adaptLearningRate, adaptBatchSize, adaptClipNorm };
    if (config.adapt) {
      this.adaptToTarget = async (target, context) => {
        const split = config.adaptOn;
        const report = await adaptCasp(this.backbone, target[split], this.adaptationConfig, context.seed);
        return { split, report };
      };
    }
  }

  trainableVariables(): tf.Variable[] {
    return this.backbone.trainableVariables();
  }

  /** What the adaptation may change: the LN gains and biases inside the encoder layers. */
  layerNormVariables(): tf.Variable[] {
    return this.backbone.layerNormVariables();
  }

  lossWeights(): Record<string, number> {
    return { l1: 1 };
  }

  losses(batch: Batch): LossBreakdown {
    const l1 = tf.tidy(() => {
      const { prediction } = this.backbone.forward(batch, { training: true });
      return tf.mean(tf.abs(tf.sub(prediction, batch.labels))) as tf.Scalar;
    });
    return { total: l1, parts: { l1 } };
  }

  predict(batch: UnlabeledBatch): tf.Tensor1D {
    return tf.tidy(() => this.backbone.forward(batch, { training: false }).prediction);
  }

  dispose(): void {
    this.backbone.dispose();
  }
}
