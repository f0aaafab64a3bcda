/**
 * MISA's per-modality "utterance" stage: a sequence encoder to one vector per sample, then MISA's project_m
 * (Linear → ReLU → LayerNorm to width h), giving u_m. MMSA encodes text with BERT (masked mean over tokens) and
 * audio/vision with two stacked bidirectional LSTMs; here features are given, so the sequence encoder is either
 * nn's UnimodalEncoder ('unimodal', the default) or a plain masked mean of the raw features ('mean', MMSA's text
 * path without BERT).
 */
import * as tf from '@tensorflow/tfjs';
import { Dense, LayerNorm, UnimodalEncoder, deriveSeed, disposeVariables, partVariables, type ForwardOptions, type TrainablePart } from '@midg/nn';

export type SequenceEncoderKind = 'unimodal' | 'mean';

export interface UtteranceEncoderConfig {
  inputDim: number;
  hiddenSize: number;
  kind: SequenceEncoderKind;
  seed: number;
}

/** Mean over the steps where mask is 1: x [B, L, D], mask [B, L] → [B, D] (padding must be finite; loaders zero it). */
export function maskedMean(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const total = tf.sum(tf.mul(x, tf.expandDims(mask, 2)), 1);
    return tf.div(total, tf.maximum(tf.sum(mask, 1, true), 1)) as tf.Tensor2D;
  });
}

export class UtteranceEncoder implements TrainablePart {
  private readonly sequence: UnimodalEncoder | undefined;
  private readonly projection: Dense;
  private readonly norm: LayerNorm;

  constructor({ inputDim, hiddenSize, kind, seed }: UtteranceEncoderConfig) {
    // MMSA's LSTMs have no dropout, so neither has the stand-in.
    this.sequence = kind === 'unimodal' ? new UnimodalEncoder({ inputDim, hiddenDim: hiddenSize, dropout: 0, seed: deriveSeed(seed, 'sequence') }) : undefined;
    const projectedFrom = this.sequence ? hiddenSize : inputDim;
    this.projection = new Dense({ inputDim: projectedFrom, units: hiddenSize, activation: 'relu', seed: deriveSeed(seed, 'project') });
    this.norm = new LayerNorm(hiddenSize);
  }

  /** x [B, L, D], mask [B, L] → u [B, h]. */
  forward(x: tf.Tensor3D, mask: tf.Tensor2D, options: ForwardOptions): tf.Tensor2D {
    return tf.tidy(() => {
      const pooled = this.sequence ? this.sequence.forward(x, mask, options) : maskedMean(x, mask);
      return this.norm.forward(this.projection.forward(pooled));
    });
  }

  trainableVariables(): tf.Variable[] {
    return partVariables(this.sequence ? [this.sequence, this.projection, this.norm] : [this.projection, this.norm]);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
