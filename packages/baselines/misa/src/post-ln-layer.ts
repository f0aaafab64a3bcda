/**
 * The one fusion layer of MISA: PyTorch's nn.TransformerEncoderLayer with its defaults (post-LN, ReLU feed-forward,
 * dropout 0.1), composed here from nn's MultiHeadAttention and LayerNorm. nn's TransformerLayer is pre-LN; MISA's
 * six tokens are sigmoid outputs in (0, 1) and its fusion head reads the layer's output directly (no final norm),
 * so the post-LN ordering changes what the head sees: we keep the reference's ordering.
 *
 *   x ← LN₁(x + Drop(MHA(x, x, x)))      (MHA also drops attention weights)
 *   x ← LN₂(x + Drop(W₂ Drop(ReLU(W₁ x))))
 */
import * as tf from '@tensorflow/tfjs';
import {
  Dense,
  Dropout,
  LayerNorm,
  MultiHeadAttention,
  assertShape,
  deriveSeed,
  disposeVariables,
  partVariables,
  type ForwardOptions,
  type TrainablePart,
} from '@midg/nn';

export interface PostLnLayerConfig {
  dim: number;
  heads: number;
  ffnDim: number;
  dropout: number;
  seed: number;
}

export class PostLnTransformerLayer implements TrainablePart {
  readonly dim: number;
  private readonly attention: MultiHeadAttention;
  private readonly attentionNorm: LayerNorm;
  private readonly ffnIn: Dense;
  private readonly ffnOut: Dense;
  private readonly ffnNorm: LayerNorm;
  private readonly attentionDropout: Dropout;
  private readonly ffnHiddenDropout: Dropout;
  private readonly ffnDropout: Dropout;

  constructor({ dim, heads, ffnDim, dropout, seed }: PostLnLayerConfig) {
    this.dim = dim;
    this.attention = new MultiHeadAttention({ queryDim: dim, dim, heads, dropout, seed: deriveSeed(seed, 'attention') });
    this.attentionNorm = new LayerNorm(dim);
    this.ffnIn = new Dense({ inputDim: dim, units: ffnDim, activation: 'relu', seed: deriveSeed(seed, 'ffn-in') });
    this.ffnOut = new Dense({ inputDim: ffnDim, units: dim, seed: deriveSeed(seed, 'ffn-out') });
    this.ffnNorm = new LayerNorm(dim);
    this.attentionDropout = new Dropout(dropout, deriveSeed(seed, 'attention-dropout'));
    this.ffnHiddenDropout = new Dropout(dropout, deriveSeed(seed, 'ffn-hidden-dropout'));
    this.ffnDropout = new Dropout(dropout, deriveSeed(seed, 'ffn-dropout'));
  }

  /** x [B, L, dim] → [B, L, dim]; every token is real (MISA's six tokens), so there is no key mask. */
  forward(x: tf.Tensor3D, options: ForwardOptions): tf.Tensor3D {
    assertShape('PostLnTransformerLayer input', x, 3, this.dim);
    return tf.tidy(() => {
      const { output } = this.attention.forward(x, x, x, options);
      const attended = this.attentionNorm.forward(tf.add(x, this.attentionDropout.apply(output, options)) as tf.Tensor3D);
      const hidden = this.ffnHiddenDropout.apply(this.ffnIn.forward(attended), options);
      const ffn = this.ffnDropout.apply(this.ffnOut.forward(hidden), options);
      return this.ffnNorm.forward(tf.add(attended, ffn) as tf.Tensor3D);
    });
  }

  trainableVariables(): tf.Variable[] {
    return partVariables([this.attention, this.attentionNorm, this.ffnIn, this.ffnOut, this.ffnNorm]);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
