import * as tf from '@tensorflow/tfjs';
import { type Modality } from '@midg/features';
import { MlpHead, MultimodalEncoder, deriveSeed, disposeVariables, partVariables } from '@midg/nn';
import { configNumber, type Batch, type ConfigRecord, type DataInfo, type LossBreakdown, type SentimentModel } from '@midg/trainer';

/** Per-modality encoder → head → ŷ_m; ŷ = Σ_m softmax(w)_m · ŷ_m. */
export class LateFusionModel implements SentimentModel {
  readonly name = 'late-fusion';
  private readonly modalities: Modality[];
  private readonly encoder: MultimodalEncoder;
  private readonly heads: MlpHead[];
  private readonly fusionLogits: tf.Variable;

  constructor(config: ConfigRecord, info: DataInfo, seed: number) {
    const hiddenDim = configNumber(config, 'hiddenDim', { min: 1, integer: true });
    const dropout = configNumber(config, 'dropout', { min: 0, max: 0.95 });
    this.modalities = info.modalities;
    const dims: Partial<Record<Modality, number>> = {};
    for (const m of this.modalities) dims[m] = info.dims[m];
    this.encoder = new MultimodalEncoder({ dims, hiddenDim, dropout, seed: deriveSeed(seed, 'encoder') });
    this.heads = this.modalities.map((m) => new MlpHead({ inputDim: hiddenDim, hiddenDim, dropout, seed: deriveSeed(seed, 'head', m) }));
    this.fusionLogits = tf.tidy(() => tf.variable(tf.zeros([this.modalities.length])));
  }

  /** The fused prediction [B]. */
  private forward(batch: Batch, training: boolean): tf.Tensor1D {
    return tf.tidy(() => {
      const encoded = this.encoder.forward(batch.features, batch.masks, { training });
      const perModality = tf.stack(this.modalities.map((m, i) => this.heads[i]!.forward(encoded[m]!, { training })), 1);
      return tf.sum(tf.mul(perModality, tf.softmax(this.fusionLogits)), 1) as tf.Tensor1D;
    });
  }

  trainableVariables(): tf.Variable[] {
    return [...partVariables([this.encoder, ...this.heads]), this.fusionLogits];
  }

  losses(batch: Batch): LossBreakdown {
    const mse = tf.losses.meanSquaredError(batch.labels, this.forward(batch, true)) as tf.Scalar;
    return { total: mse, parts: { mse } };
  }

  predict(batch: Batch): tf.Tensor1D {
    return this.forward(batch, false);
  }

  /** The learned fusion weight of each modality, in t, a, v order. */
  fusionWeights(): number[] {
    return tf.tidy(() => Array.from(tf.softmax(this.fusionLogits).dataSync()));
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
