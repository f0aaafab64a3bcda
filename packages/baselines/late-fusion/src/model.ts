import * as tf from '@tensorflow/tfjs';
import { type Modality } from '@midg/features';
import { MlpHead, MultimodalEncoder, deriveSeed, disposeVariables, partVariables } from '@midg/nn';
import type { Batch, DataInfo, LossBreakdown, SentimentModel, UnlabeledBatch } from '@midg/trainer';

/** Per-modality encoder → head → ŷ_m; ŷ = Σ_m softmax(w)_m · ŷ_m. */
export class LateFusionModel implements SentimentModel {
  readonly name = 'late-fusion';
  private readonly modalities: Modality[];
  private readonly encoder: MultimodalEncoder;
  private readonly heads: MlpHead[];
  private readonly fusionLogits: tf.Variable;

  constructor({ hiddenDim, dropout }: { hiddenDim: number; dropout: number }, info: DataInfo, seed: number) {
    this.modalities = info.modalities;
    const dims: Partial<Record<Modality, number>> = {};
    for (const m of this.modalities) dims[m] = info.dims[m];
    this.encoder = new MultimodalEncoder({ dims, hiddenDim, dropout, seed: deriveSeed(seed, 'encoder') });
    this.heads = this.modalities.map((m) => new MlpHead({ inputDim: hiddenDim, hiddenDim, dropout, seed: deriveSeed(seed, 'head', m) }));
    this.fusionLogits = tf.tidy(() => tf.variable(tf.zeros([this.modalities.length])));
  }

  /** The fused prediction [B]. */
  private forward(batch: UnlabeledBatch, training: boolean): tf.Tensor1D {
    return tf.tidy(() => {
      const encoded = this.encoder.forward(batch.features, batch.masks, { training });
      const perModality = tf.stack(this.modalities.map((m, i) => this.heads[i]!.forward(encoded[m]!, { training })), 1);
      return tf.sum(tf.mul(perModality, tf.softmax(this.fusionLogits)), 1) as tf.Tensor1D;
    });
  }

  trainableVariables(): tf.Variable[] {
    return [...partVariables([this.encoder, ...this.heads]), this.fusionLogits];
  }

  lossWeights(): Record<string, number> {
    return { mse: 1 };
  }

  losses(batch: Batch): LossBreakdown {
    const mse = tf.losses.meanSquaredError(batch.labels, this.forward(batch, true)) as tf.Scalar;
    return { total: mse, parts: { mse } };
  }

  predict(batch: UnlabeledBatch): tf.Tensor1D {
    return this.forward(batch, false);
  }

  /** The learned fusion weight of each modality, in t, a, v order. */
  async fusionWeights(): Promise<number[]> {
    const weights = tf.softmax(this.fusionLogits);
    const values = Array.from(await weights.data());
    weights.dispose();
    return values;
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
