/**
 * CASP's late-fusion backbone (zrguo/CASP `models/model.py` Latefusion):
 *   1. per modality a dense projection to d (the reference's kernel-1 Conv1d);
 *   2. per modality a pre-LN transformer encoder: √d·x + sinusoidal positions, embedding dropout, `nlevels` layers
 *      (ReLU FFN of width 4d), a final LN; padded keys masked. The sequence's first real step is its summary;
 *   3. rep = [h_t; h_a; h_v] (what the contrastive stage compares), then ReLU(W0·rep) (width d), a residual block
 *      h + W2·Drop(ReLU(W1·h)), and a linear output.
 */
import * as tf from '@tensorflow/tfjs';
import type { Modality } from '@midg/features';
import { Dense, Dropout, TransformerEncoder, deriveSeed, disposeVariables, partVariables, sinusoidalPositions, tidyOutput } from '@midg/nn';
import type { UnlabeledBatch } from '@midg/trainer';

export interface CaspBackboneConfig {
  projDim: number;
  heads: number;
  nlevels: number;
  attnDropout: number;
  reluDropout: number;
  resDropout: number;
  embedDropout: number;
  outDropout: number;
}

export interface BackboneOutput {
  /** [B] predictions on the normalized scale. */
  prediction: tf.Tensor1D;
  /** [B, |M|·d] the concatenated modality summaries (the reference's `last_hs_out`). */
  representation: tf.Tensor2D;
}

export interface BackboneForwardOptions {
  training: boolean;
  /** A modality whose features are replaced by zeros (CASP's augmented view); its mask is kept. */
  zeroed?: Modality;
}

/**
 * The first real step of each sequence: x [B, L, D], mask [B, L] → [B, D] as oneHot(first) · x (wasm has no gather
 * gradient). A sequence with no real step gets zeros.
 */
export function firstRealStep(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  const [batch, length, dim] = x.shape;
  return tf.tidy(() => {
    const real = tf.cast(mask, 'float32');
    // tf.oneHot needs depth ≥ 2; with one step the selector is the mask itself.
    if (length === 1) return tf.mul(tf.reshape(x, [batch, dim]), real) as tf.Tensor2D;
    // L − max_j (L − j)·mask[j]: the first real index; L (an all-zero one-hot) when there is none.
    const fromEnd = tf.range(length, 0, -1, 'float32');
    const first = tf.sub(length, tf.max(tf.mul(real, fromEnd), 1));
    const selector = tf.reshape(tf.oneHot(tf.cast(first, 'int32'), length), [batch, 1, length]);
    return tf.reshape(tf.matMul(tf.cast(selector, 'float32'), x), [batch, dim]) as tf.Tensor2D;
  });
}

export class CaspBackbone {
  readonly modalities: Modality[];
  private readonly projections: Dense[];
  private readonly encoders: TransformerEncoder[];
  private readonly embedDropouts: Dropout[];
  private readonly proj0: Dense;
  private readonly proj1: Dense;
  private readonly proj2: Dense;
  private readonly out: Dense;
  private readonly outDropout: Dropout;
  private readonly dim: number;

  constructor(config: CaspBackboneConfig, modalities: Modality[], dims: Partial<Record<Modality, number>>, seed: number) {
    this.modalities = modalities;
    const d = (this.dim = config.projDim);
    this.projections = modalities.map((m) => {
      const inputDim = dims[m];
      if (inputDim === undefined) throw new Error(`model casp: no feature width for modality ${m}`);
      return new Dense({ inputDim, units: d, seed: deriveSeed(seed, 'projection', m) });
    });
    this.encoders = modalities.map(
      (m) =>
        new TransformerEncoder({
          dim: d,
          heads: config.heads,
          layers: config.nlevels,
          ffnDim: 4 * d,
          dropout: config.resDropout,
          ffnDropout: config.reluDropout,
          attentionDropout: config.attnDropout,
          activation: 'relu',
          seed: deriveSeed(seed, 'encoder', m),
        }),
    );
    this.embedDropouts = modalities.map((m) => new Dropout(config.embedDropout, deriveSeed(seed, 'embed-dropout', m)));
    this.proj0 = new Dense({ inputDim: modalities.length * d, units: d, seed: deriveSeed(seed, 'proj0') });
    this.proj1 = new Dense({ inputDim: d, units: d, seed: deriveSeed(seed, 'proj1') });
    this.proj2 = new Dense({ inputDim: d, units: d, seed: deriveSeed(seed, 'proj2') });
    this.out = new Dense({ inputDim: d, units: 1, seed: deriveSeed(seed, 'out') });
    this.outDropout = new Dropout(config.outDropout, deriveSeed(seed, 'out-dropout'));
  }

  forward(batch: UnlabeledBatch, options: BackboneForwardOptions): BackboneOutput {
    return tidyOutput(() => {
      const summaries = this.modalities.map((m, i) => {
        const features = batch.features[m];
        const mask = batch.masks[m];
        if (!features || !mask) throw new Error(`model casp: the batch has no ${m} features`);
        const input = options.zeroed === m ? tf.zerosLike(features) : features;
        const projected = this.projections[i]!.forward(input);
        let h = tf.mul(projected, Math.sqrt(this.dim)) as tf.Tensor3D;
        h = tf.add(h, sinusoidalPositions(h.shape[1], this.dim)) as tf.Tensor3D;
        h = this.embedDropouts[i]!.apply(h, options);
        const encoded = this.encoders[i]!.forward(h, { training: options.training, keyMask: mask });
        return firstRealStep(encoded, mask);
      });
      const representation = (summaries.length > 1 ? tf.concat(summaries, 1) : summaries[0]!) as tf.Tensor2D;
      const hidden = tf.relu(this.proj0.forward(representation));
      const block = this.proj2.forward(this.outDropout.apply(tf.relu(this.proj1.forward(hidden)), options));
      const prediction = tf.reshape(this.out.forward(tf.add(block, hidden)), [-1]) as tf.Tensor1D;
      return { prediction, representation };
    });
  }

  trainableVariables(): tf.Variable[] {
    return partVariables([...this.projections, ...this.encoders, this.proj0, this.proj1, this.proj2, this.out]);
  }

  /** The LN gains and biases inside the encoder layers: all that CASP adapts (the reference's `layer_norms`). */
  layerNormVariables(): tf.Variable[] {
    return this.encoders.flatMap((encoder) => encoder.layerNormVariables());
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
