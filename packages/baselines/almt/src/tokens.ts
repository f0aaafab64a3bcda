/**
 * ALMT's front end: per-modality token extraction and the language encoder.
 *
 * ModalityTokenizer: linear map to the model width, `tokens` learned tokens (zeros at start) prepended, learned
 * positions (N(0, 1) at start) added, a pre-LN transformer over [tokens; frames], and only the tokens are kept, so
 * every modality becomes a fixed [B, tokens, dim] summary whatever its length. Padded frames are masked as keys;
 * as queries their outputs are dropped with the rest of the frames, so they cannot reach the tokens.
 *
 * LanguageEncoder: positions added to the language tokens, then `layers` pre-LN layers; every intermediate state
 * is kept (states[0] is the input plus positions), because hyper-modality layer i is guided by states[i].
 */
import * as tf from '@tensorflow/tfjs';
import {
  Dense,
  TransformerEncoder,
  TransformerLayer,
  assertPositiveInt,
  assertShape,
  deriveSeed,
  disposeVariables,
  partVariables,
  tidyOutput,
  type TrainablePart,
} from '@midg/nn';

/** Learned positions start N(0, 1), as the reference's torch.randn; seeded. */
export function learnedPositions(length: number, dim: number, seed: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.randomNormal([length, dim], 0, 1, 'float32', seed)));
}

/** [n, dim] → [B, n, dim] (broadcast multiply, so the gradient sums over the batch). */
export function repeatOverBatch(x: tf.Tensor, batch: number): tf.Tensor3D {
  const [n, dim] = x.shape as [number, number];
  return tf.mul(tf.ones([batch, 1, 1]), tf.reshape(x, [1, n, dim])) as tf.Tensor3D;
}

export interface AlmtStackConfig {
  dim: number;
  depth: number;
  heads: number;
  ffnDim: number;
  dropout: number;
}

/** ALMT's transformer stack: GELU FFNs and no final LayerNorm (the reference leaves the raw residual stream). */
export function almtEncoder(config: AlmtStackConfig, seed: number): TransformerEncoder {
  return new TransformerEncoder({ ...layerConfig(config), layers: config.depth, finalNorm: false, seed });
}

function layerConfig(config: AlmtStackConfig) {
  return { dim: config.dim, heads: config.heads, ffnDim: config.ffnDim, dropout: config.dropout, activation: 'gelu' as const };
}

/**
 * The same stack as its layers (the tokenizer runs its last layer on the tokens alone): seeded as nn's
 * TransformerEncoder seeds its layers, so weights and variable order are almtEncoder's (a test checks both).
 */
export function almtLayers(config: AlmtStackConfig, seed: number): TransformerLayer[] {
  assertPositiveInt('ALMT stack depth', config.depth);
  return Array.from({ length: config.depth }, (_, i) => new TransformerLayer({ ...layerConfig(config), seed: deriveSeed(seed, 'layer', i) }));
}

export interface ModalityTokenizerConfig {
  inputDim: number;
  /** Longest input length the positions cover (the dataset's padded length). */
  maxLength: number;
  dim: number;
  tokens: number;
  depth: number;
  heads: number;
  ffnDim: number;
  dropout: number;
  seed: number;
}

export class ModalityTokenizer implements TrainablePart {
  readonly dim: number;
  readonly tokens: number;
  readonly maxLength: number;
  private readonly projection: Dense;
  private readonly tokenInit: tf.Variable;
  private readonly positions: tf.Variable;
  /** almtEncoder's layers, run one by one (see forward). */
  private readonly layers: TransformerLayer[];
  private readonly dropout: number;

  constructor(config: ModalityTokenizerConfig) {
    const { dim, tokens, seed } = config;
    this.dim = dim;
    this.tokens = tokens;
    this.maxLength = config.maxLength;
    this.dropout = config.dropout;
    this.projection = new Dense({ inputDim: config.inputDim, units: dim, seed: deriveSeed(seed, 'projection') });
    this.tokenInit = tf.tidy(() => tf.variable(tf.zeros([tokens, dim])));
    this.positions = learnedPositions(tokens + config.maxLength, dim, deriveSeed(seed, 'positions'));
    this.layers = almtLayers({ ...config, dim }, deriveSeed(seed, 'encoder'));
  }

  /**
   * x [B, L, inputDim], mask [B, L] (1 real, 0 padding), L ≤ maxLength → tokens [B, tokens, dim].
   * Only the tokens' outputs are kept, and a layer's output at a position depends on the other positions only
   * through its keys and values, so the last layer runs its queries, residuals and FFN on the tokens alone (the
   * frames stay keys and values): the same numbers for a fraction of the work. With dropout while training it runs
   * on every position, so the dropout masks are drawn at the shapes (and so with the values) they always had.
   */
  forward(x: tf.Tensor3D, mask: tf.Tensor2D, options: { training: boolean }): tf.Tensor3D {
    const [batch, length] = x.shape;
    if (length > this.maxLength) throw new Error(`ALMT tokenizer: input length ${length} exceeds the ${this.maxLength} positions built for it`);
    return tidyOutput(() => {
      const sequence = tf.concat([repeatOverBatch(this.tokenInit, batch), this.projection.forward(x)], 1);
      let h = tf.add(sequence, tf.slice(this.positions, [0, 0], [this.tokens + length, this.dim])) as tf.Tensor3D;
      // The learned tokens are always visible; the frames are as real as their mask says.
      const keyMask = tf.concat([tf.ones([batch, this.tokens]), tf.cast(mask, 'float32')], 1) as tf.Tensor2D;
      const tokensOf = (t: tf.Tensor3D) => tf.slice(t, [0, 0, 0], [batch, this.tokens, this.dim]);
      const last = this.layers.length - 1;
      this.layers.slice(0, last).forEach((layer) => (h = layer.forward(h, { training: options.training, keyMask })));
      if (options.training && this.dropout > 0) return tokensOf(this.layers[last]!.forward(h, { training: true, keyMask }));
      return this.layers[last]!.forward(tokensOf(h), { training: options.training, keyMask, source: h });
    });
  }

  trainableVariables(): tf.Variable[] {
    return [...partVariables([this.projection]), this.tokenInit, this.positions, ...partVariables(this.layers)];
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}

export interface LanguageEncoderConfig {
  dim: number;
  tokens: number;
  /** Number of layers; the encoder returns layers + 1 states. */
  layers: number;
  heads: number;
  ffnDim: number;
  dropout: number;
  seed: number;
}

export class LanguageEncoder implements TrainablePart {
  readonly dim: number;
  private readonly positions: tf.Variable;
  private readonly layers: TransformerLayer[];

  constructor(config: LanguageEncoderConfig) {
    const { dim, seed } = config;
    this.dim = dim;
    this.positions = learnedPositions(config.tokens, dim, deriveSeed(seed, 'positions'));
    this.layers = Array.from(
      { length: config.layers },
      (_, i) =>
        new TransformerLayer({ dim, heads: config.heads, ffnDim: config.ffnDim, dropout: config.dropout, activation: 'gelu', seed: deriveSeed(seed, 'layer', i) }),
    );
  }

  /** Language tokens [B, tokens, dim] → [state_0, ..., state_layers], each [B, tokens, dim]. */
  forward(tokens: tf.Tensor3D, options: { training: boolean }): tf.Tensor3D[] {
    assertShape('ALMT language tokens', tokens, 3, this.dim);
    return tidyOutput(() => {
      const states: tf.Tensor3D[] = [tf.add(tokens, this.positions) as tf.Tensor3D];
      for (const layer of this.layers) states.push(layer.forward(states[states.length - 1]!, { training: options.training }));
      return states;
    });
  }

  trainableVariables(): tf.Variable[] {
    return [this.positions, ...partVariables(this.layers)];
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
