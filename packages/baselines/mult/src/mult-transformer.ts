/**
 * MulT's transformer (MMSA `subNets/transformers_encoder/transformer.py` TransformerEncoder): the inputs are scaled
 * by √d, given sinusoidal positions, embedding dropout, then pre-LN layers (nn's TransformerEncoder: one LN for
 * queries and source, ReLU FFN of width 4d, residual and ReLU dropouts) and a final LN.
 * Crossmodal (`source` given): queries from the target, keys/values from the source, which gets the same scaling,
 * positions and dropout. Self-attention (the memory transformers): source = x.
 */
import * as tf from '@tensorflow/tfjs';
import { Dropout, TransformerEncoder, deriveSeed, sinusoidalPositions, type TrainablePart } from '@midg/nn';

export interface MultTransformerConfig {
  dim: number;
  heads: number;
  layers: number;
  attentionDropout: number;
  reluDropout: number;
  resDropout: number;
  embedDropout: number;
  positions: boolean;
  /** MMSA's attn_mask: query i sees key j only if j ≤ i + (S − L). */
  causal: boolean;
  seed: number;
}

export interface MultTransformerInput {
  /** [B, L, dim] queries. */
  x: tf.Tensor3D;
  /** [B, S, dim] keys/values (crossmodal); default x. */
  source?: tf.Tensor3D;
  /** [B, S] real steps of the keys (of the source, or of x without one). */
  keyMask: tf.Tensor2D;
  training: boolean;
}

export class MultTransformer implements TrainablePart {
  private readonly encoder: TransformerEncoder;
  private readonly embedDropout: Dropout;
  private readonly scale: number;

  constructor(private readonly config: MultTransformerConfig) {
    this.scale = Math.sqrt(config.dim);
    this.encoder = new TransformerEncoder({
      dim: config.dim,
      heads: config.heads,
      layers: config.layers,
      ffnDim: 4 * config.dim,
      dropout: config.resDropout,
      ffnDropout: config.reluDropout,
      attentionDropout: config.attentionDropout,
      activation: 'relu',
      fusedAttention: true,
      seed: deriveSeed(config.seed, 'encoder'),
    });
    this.embedDropout = new Dropout(config.embedDropout, deriveSeed(config.seed, 'embed-dropout'));
  }

  /** √d·x (+ positions), then embedding dropout. */
  private embed(x: tf.Tensor3D, training: boolean): tf.Tensor3D {
    return tf.tidy(() => {
      let h = tf.mul(x, this.scale) as tf.Tensor3D;
      if (this.config.positions) h = tf.add(h, sinusoidalPositions(x.shape[1], this.config.dim)) as tf.Tensor3D;
      return this.embedDropout.apply(h, { training });
    });
  }

  /** → [B, L, dim]. */
  forward(input: MultTransformerInput): tf.Tensor3D {
    return tf.tidy(() => {
      const x = this.embed(input.x, input.training);
      const source = input.source ? this.embed(input.source, input.training) : undefined;
      return this.encoder.forward(x, { training: input.training, keyMask: input.keyMask, causal: this.config.causal, source });
    });
  }

  trainableVariables(): tf.Variable[] {
    return this.encoder.trainableVariables();
  }

  /** The Q and K projections (W_q, b_q, W_k, b_k) of every layer: at L = S = 1 they cannot change the output. */
  queryKeyVariables(): tf.Variable[] {
    // nn's layer variables: [LN γ, β, W_q, b_q, W_k, b_k, W_v, b_v, W_o, b_o, LN γ, β, W_in, b_in, W_out, b_out].
    const all = this.encoder.trainableVariables();
    const perLayer = (all.length - 2) / this.config.layers;
    if (perLayer !== 16) throw new Error(`MultTransformer: unexpected layer layout (${perLayer} variables per layer)`);
    return Array.from({ length: this.config.layers }, (_, i) => all.slice(i * perLayer + 2, i * perLayer + 6)).flat();
  }

  dispose(): void {
    this.encoder.dispose();
  }
}
