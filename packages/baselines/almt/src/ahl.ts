/**
 * Adaptive hyper-modality learning (ALMT §3.3; the reference's HhyperLearningLayer / HhyperLearningEncoder).
 *
 * One layer: the queries come from the (normalized) language state only; audio and vision each have their own
 * key and value maps (no biases, as the reference); the two attention outputs are summed before one output map:
 *
 *   H ← LN_h(H) + W_o(Attn(Q(LN_t(h_t)), K_a(LN_a(h_a)), V_a(LN_a(h_a))) + Attn(Q(·), K_v(LN_v(h_v)), V_v(LN_v(h_v))))
 *
 * H never enters the attention: what the layer adds to LN_h(H) is decided by language and the other modalities
 * alone (the tests check both facts). Inputs are the tokenizers' learned tokens, so there is nothing to mask.
 */
import * as tf from '@tensorflow/tfjs';
import type { Modality } from '@midg/features';
import {
  Dense,
  Dropout,
  LayerNorm,
  assertPositiveInt,
  deriveSeed,
  disposeVariables,
  multiHeadAttention,
  partVariables,
  tidyOutput,
  type TrainablePart,
} from '@midg/nn';

/** The modalities the hyper-modality attends to (language guides, it is never a key). */
export type GuidedModality = Exclude<Modality, 't'>;

export interface HyperModalityLayerConfig {
  dim: number;
  heads: number;
  headDim: number;
  /** Which of audio / vision are present (each gets its own keys and values). */
  sources: readonly GuidedModality[];
  dropout: number;
  seed: number;
}

export interface HyperModalityResult {
  /** The updated hyper-modality H [B, tokens, dim]. */
  output: tf.Tensor3D;
  /** Per source: attention weights [B, heads, tokens, tokens] of the language queries over its tokens. */
  weights: Partial<Record<GuidedModality, tf.Tensor4D>>;
}

export class HyperModalityLayer implements TrainablePart {
  readonly dim: number;
  readonly heads: number;
  private readonly sources: readonly GuidedModality[];
  private readonly languageNorm: LayerNorm;
  private readonly hyperNorm: LayerNorm;
  private readonly sourceNorms: LayerNorm[];
  private readonly query: Dense;
  private readonly keys: Dense[];
  private readonly values: Dense[];
  private readonly output: Dense;
  private readonly dropout: Dropout;

  constructor(config: HyperModalityLayerConfig) {
    const { dim, heads, headDim, sources, seed } = config;
    assertPositiveInt('ALMT hyper-modality heads', heads);
    assertPositiveInt('ALMT hyper-modality head width', headDim);
    if (sources.length === 0) throw new Error('ALMT hyper-modality layer: needs audio or vision to attend to');
    this.dim = dim;
    this.heads = heads;
    this.sources = sources;
    const inner = heads * headDim;
    const map = (name: string, inputDim: number, units: number, useBias: boolean) => new Dense({ inputDim, units, useBias, seed: deriveSeed(seed, name) });
    this.languageNorm = new LayerNorm(dim);
    this.hyperNorm = new LayerNorm(dim);
    this.sourceNorms = sources.map(() => new LayerNorm(dim));
    this.query = map('query', dim, inner, false);
    this.keys = sources.map((m) => map(`key-${m}`, dim, inner, false));
    this.values = sources.map((m) => map(`value-${m}`, dim, inner, false));
    this.output = map('output', inner, dim, true);
    this.dropout = new Dropout(config.dropout, deriveSeed(seed, 'dropout'));
  }

  /** language, hyper [B, n, dim]; sources[m] [B, S, dim] → H' [B, n, dim] and the attention weights. */
  forward(
    language: tf.Tensor3D,
    sources: Partial<Record<GuidedModality, tf.Tensor3D>>,
    hyper: tf.Tensor3D,
    options: { training: boolean },
  ): HyperModalityResult {
    return tidyOutput(() => {
      const query = this.query.forward(this.languageNorm.forward(language));
      const weights: Partial<Record<GuidedModality, tf.Tensor4D>> = {};
      let attended: tf.Tensor3D | undefined;
      this.sources.forEach((m, i) => {
        const source = sources[m];
        if (!source) throw new Error(`ALMT hyper-modality layer: missing modality ${m}`);
        const normalized = this.sourceNorms[i]!.forward(source);
        const result = multiHeadAttention(query, this.keys[i]!.forward(normalized), this.values[i]!.forward(normalized), this.heads);
        weights[m] = result.weights;
        attended = attended ? (tf.add(attended, result.output) as tf.Tensor3D) : result.output;
      });
      const shift = this.dropout.apply(this.output.forward(attended!), options);
      return { output: tf.add(this.hyperNorm.forward(hyper), shift) as tf.Tensor3D, weights };
    });
  }

  trainableVariables(): tf.Variable[] {
    return partVariables([this.languageNorm, this.hyperNorm, ...this.sourceNorms, this.query, ...this.keys, ...this.values, this.output]);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}

export interface HyperModalityEncoderConfig extends Omit<HyperModalityLayerConfig, 'seed'> {
  depth: number;
  seed: number;
}

/** `depth` layers; layer i is guided by language state i. */
export class HyperModalityEncoder implements TrainablePart {
  readonly layers: HyperModalityLayer[];

  constructor(config: HyperModalityEncoderConfig) {
    assertPositiveInt('ALMT hyper-modality depth', config.depth);
    this.layers = Array.from({ length: config.depth }, (_, i) => new HyperModalityLayer({ ...config, seed: deriveSeed(config.seed, 'layer', i) }));
  }

  /** languageStates: at least `depth` states [B, n, dim] → the final H. */
  forward(
    languageStates: readonly tf.Tensor3D[],
    sources: Partial<Record<GuidedModality, tf.Tensor3D>>,
    hyper: tf.Tensor3D,
    options: { training: boolean },
  ): tf.Tensor3D {
    if (languageStates.length < this.layers.length) {
      throw new Error(`ALMT hyper-modality encoder: ${this.layers.length} layers need as many language states, got ${languageStates.length}`);
    }
    return tf.tidy(() => {
      let h = hyper;
      this.layers.forEach((layer, i) => {
        h = layer.forward(languageStates[i]!, sources, h, options).output;
      });
      return h;
    });
  }

  trainableVariables(): tf.Variable[] {
    return partVariables(this.layers);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
