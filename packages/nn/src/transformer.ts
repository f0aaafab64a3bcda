/**
 * Pre-LN Transformer layers and encoders on top of nn's MultiHeadAttention (self- and cross-attention), plus the
 * two sequence helpers the transformer baselines share: fixed sinusoidal positions and "take the last real step".
 *
 * GELU: tf.js has no gelu op, so it is the tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (Hendrycks &
 * Gimpel; what BERT and GPT-2 use), built from basic ops that all have wasm gradients.
 */
import * as tf from '@tensorflow/tfjs';
import { MultiHeadAttention } from './attention';
import {
  Dense,
  Dropout,
  LayerNorm,
  assertPositiveInt,
  assertShape,
  deriveSeed,
  disposeVariables,
  partVariables,
  type TrainablePart,
} from './layers';

export interface TransformerLayerConfig {
  dim: number;
  heads: number;
  /** Hidden width of the feed-forward block. Default 4·dim. */
  ffnDim?: number;
  /** Dropout on the residual branches and after the FFN activation. Default 0. */
  dropout?: number;
  /** Dropout after the FFN activation only, when it differs from `dropout` (MulT's relu_dropout). Default: dropout. */
  ffnDropout?: number;
  /** Dropout on the attention weights. Default 0. */
  attentionDropout?: number;
  /** FFN activation. Default 'relu'. */
  activation?: 'relu' | 'gelu';
  /** The attention core as one tape node (MultiHeadAttention's `fusedCore`; equal to float rounding). Default false. */
  fusedAttention?: boolean;
  seed: number;
}

export interface TransformerForwardOptions {
  training: boolean;
  /** [B, S]: 1 for real keys (self-attention: of x; cross-attention: of source), 0 for padding. */
  keyMask?: tf.Tensor2D;
  /** Query i sees key j only if j ≤ i + (S − L) (see attention.ts). Default false. */
  causal?: boolean;
  /** Cross-attention keys/values [B, S, dim]. Default: x (self-attention). */
  source?: tf.Tensor3D;
}

const GELU_SCALE = Math.sqrt(2 / Math.PI);

/** tanh-approximated GELU (see the module comment). */
export function gelu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), GELU_SCALE);
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner))) as T;
  });
}

/**
 * Pre-LN block: x + Drop(Attn(LN(x), LN(source ?? x))), then x + Drop(FFN(LN(x))) with
 * FFN = Linear(ffnDim → dim) ∘ Drop ∘ act ∘ Linear(dim → ffnDim). One LN (with its gain and bias) normalizes both the
 * queries and the source, as in MulT's TransformerEncoderLayer.
 */
export class TransformerLayer implements TrainablePart {
  readonly dim: number;
  private readonly attentionNorm: LayerNorm;
  private readonly attention: MultiHeadAttention;
  private readonly ffnNorm: LayerNorm;
  private readonly ffnIn: Dense;
  private readonly ffnOut: Dense;
  private readonly activation: 'relu' | 'gelu';
  private readonly residualDropout: Dropout;
  private readonly ffnDropout: Dropout;

  constructor(config: TransformerLayerConfig) {
    assertPositiveInt('TransformerLayer dim', config.dim);
    const { dim, seed } = config;
    const ffnDim = config.ffnDim ?? 4 * dim;
    assertPositiveInt('TransformerLayer ffnDim', ffnDim);
    this.dim = dim;
    this.activation = config.activation ?? 'relu';
    this.attentionNorm = new LayerNorm(dim);
    this.attention = new MultiHeadAttention({
      queryDim: dim,
      dim,
      heads: config.heads,
      dropout: config.attentionDropout ?? 0,
      fusedCore: config.fusedAttention ?? false,
      seed: deriveSeed(seed, 'attention'),
    });
    this.ffnNorm = new LayerNorm(dim);
    this.ffnIn = new Dense({ inputDim: dim, units: ffnDim, seed: deriveSeed(seed, 'ffn-in') });
    this.ffnOut = new Dense({ inputDim: ffnDim, units: dim, seed: deriveSeed(seed, 'ffn-out') });
    this.residualDropout = new Dropout(config.dropout ?? 0, deriveSeed(seed, 'residual-dropout'));
    this.ffnDropout = new Dropout(config.ffnDropout ?? config.dropout ?? 0, deriveSeed(seed, 'ffn-dropout'));
  }

  /** x [B, L, dim] (queries) → [B, L, dim]. */
  forward(x: tf.Tensor3D, options: TransformerForwardOptions): tf.Tensor3D {
    assertShape('TransformerLayer input', x, 3, this.dim);
    if (options.source) assertShape('TransformerLayer source', options.source, 3, this.dim);
    return tf.tidy(() => {
      const query = this.attentionNorm.forward(x);
      const keys = options.source ? this.attentionNorm.forward(options.source) : query;
      const output = this.attention.attend(query, keys, keys, {
        training: options.training,
        keyMask: options.keyMask,
        causal: options.causal,
      });
      const attended = tf.add(x, this.residualDropout.apply(output, options)) as tf.Tensor3D;
      const hidden = this.ffnIn.forward(this.ffnNorm.forward(attended));
      const activated = this.activation === 'gelu' ? gelu(hidden) : tf.relu(hidden);
      const ffn = this.ffnOut.forward(this.ffnDropout.apply(activated, options));
      return tf.add(attended, this.residualDropout.apply(ffn, options)) as tf.Tensor3D;
    });
  }

  trainableVariables(): tf.Variable[] {
    return partVariables([this.attentionNorm, this.attention, this.ffnNorm, this.ffnIn, this.ffnOut]);
  }

  /** The gains and biases of the layer's two LayerNorms (what test-time methods such as CASP adapt). */
  layerNormVariables(): tf.Variable[] {
    return partVariables([this.attentionNorm, this.ffnNorm]);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}

export interface TransformerEncoderConfig extends TransformerLayerConfig {
  layers: number;
  /** A LayerNorm after the last layer (pre-LN stacks need it to normalize the residual stream). Default true. */
  finalNorm?: boolean;
}

/** `layers` TransformerLayers, then a final LayerNorm (as MulT's and PyTorch's pre-LN encoders). */
export class TransformerEncoder implements TrainablePart {
  readonly dim: number;
  private readonly layers: TransformerLayer[];
  private readonly norm: LayerNorm | undefined;

  constructor(config: TransformerEncoderConfig) {
    assertPositiveInt('TransformerEncoder layers', config.layers);
    this.dim = config.dim;
    this.layers = Array.from({ length: config.layers }, (_, i) => new TransformerLayer({ ...config, seed: deriveSeed(config.seed, 'layer', i) }));
    this.norm = config.finalNorm ?? true ? new LayerNorm(config.dim) : undefined;
  }

  /** x [B, L, dim] → [B, L, dim]; with options.source every layer cross-attends to the same (raw) source. */
  forward(x: tf.Tensor3D, options: TransformerForwardOptions): tf.Tensor3D {
    return tf.tidy(() => {
      let h = x;
      for (const layer of this.layers) h = layer.forward(h, options);
      return this.norm ? this.norm.forward(h) : h;
    });
  }

  trainableVariables(): tf.Variable[] {
    return partVariables(this.norm ? [...this.layers, this.norm] : this.layers);
  }

  /**
   * The LayerNorm gains and biases inside the layers (two per layer, in layer order); with `includeFinal`, also
   * the encoder's final LayerNorm. CASP adapts the in-layer ones only (its reference's `layer_norms`).
   */
  layerNormVariables(options: { includeFinal?: boolean } = {}): tf.Variable[] {
    const inLayers = this.layers.flatMap((layer) => layer.layerNormVariables());
    return options.includeFinal && this.norm ? [...inLayers, ...this.norm.trainableVariables()] : inLayers;
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}

/**
 * Fixed sinusoidal positions [length, dim] (Vaswani et al. 2017), interleaved: column 2i is sin(pos / 10000^(2i/dim)),
 * column 2i + 1 is cos of the same angle, so position 0 is [0, 1, 0, 1, ...].
 */
export function sinusoidalPositions(length: number, dim: number): tf.Tensor2D {
  assertPositiveInt('sinusoidalPositions length', length);
  assertPositiveInt('sinusoidalPositions dim', dim);
  const values = new Float32Array(length * dim);
  for (let pos = 0; pos < length; pos++) {
    for (let c = 0; c < dim; c++) {
      const angle = pos / Math.pow(10000, (2 * Math.floor(c / 2)) / dim);
      values[pos * dim + c] = c % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return tf.tensor2d(values, [length, dim]);
}

/**
 * The last real step of each sequence: x [B, L, D], mask [B, L] → [B, D], as oneHot(last) · x (batched matMul; wasm
 * has no gather gradient). `last` is the index of the last 1 in the mask (length − 1 for right-padded masks, and
 * also right for left-padded ones); a sequence with no real step gets zeros.
 */
export function lastRealStep(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  const [batch, length, dim] = x.shape;
  if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== length) {
    throw new Error(`lastRealStep: mask must be [${batch}, ${length}], got [${mask.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    // tf.oneHot needs depth ≥ 2; with one step the selector is the mask itself.
    if (length === 1) return tf.mul(tf.reshape(x, [batch, dim]), tf.cast(mask, 'float32')) as tf.Tensor2D;
    // max over j of (j + 1)·mask[j] − 1: the last real index, −1 (→ all-zero one-hot) when there is none.
    const steps = tf.range(1, length + 1, 1, 'float32');
    const last = tf.sub(tf.max(tf.mul(tf.cast(mask, 'float32'), steps), 1), 1);
    const selector = tf.reshape(tf.oneHot(tf.cast(last, 'int32'), length), [batch, 1, length]);
    return tf.reshape(tf.matMul(tf.cast(selector, 'float32'), x), [batch, dim]) as tf.Tensor2D;
  });
}
