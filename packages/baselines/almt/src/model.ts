/**
 * ALMT (Zhang et al., EMNLP 2023): every modality is summarised into a few learned tokens; the language tokens go
 * through a small encoder whose intermediate states guide, layer by layer, the adaptive hyper-modality learning
 * (AHL) that gathers from audio and vision what language points at; a cross-modal transformer then fuses the last
 * language state (queries) with the hyper-modality H (keys/values), and its prepended token is regressed.
 */
import * as tf from '@tensorflow/tfjs';
import type { Modality } from '@midg/features';
import { deriveSeed, disposeVariables, partVariables } from '@midg/nn';
import type { Batch, DataInfo, LossBreakdown, SentimentModel, UnlabeledBatch } from '@midg/trainer';
import { HyperModalityEncoder, type GuidedModality } from './ahl';
import { CrossModalFusion } from './fusion';
import { LanguageEncoder, ModalityTokenizer, repeatOverBatch } from './tokens';

export interface AlmtConfig {
  hiddenDim: number;
  tokenCount: number;
  projDepth: number;
  projHeads: number;
  projFfnDim: number;
  languageHeads: number;
  languageFfnDim: number;
  ahlDepth: number;
  ahlHeads: number;
  ahlHeadDim: number;
  fusionDepth: number;
  fusionHeads: number;
  fusionFfnDim: number;
  dropout: number;
}

/** The modality sets ALMT can run on: language is required (it guides AHL and is the fusion target). */
export function almtSources(modalities: readonly Modality[]): GuidedModality[] {
  const sources = modalities.filter((m): m is GuidedModality => m !== 't');
  if (!modalities.includes('t') || sources.length === 0) {
    throw new Error(
      `ALMT needs language (t) to guide the hyper-modality and at least one of audio (a) / vision (v) to attend to; got modalities=${modalities.join('') || '(none)'}`,
    );
  }
  return sources;
}

/** Intermediate tensors of one forward pass (for tests and inspection). */
export interface AlmtForward {
  prediction: tf.Tensor1D;
  tokens: Partial<Record<Modality, tf.Tensor3D>>;
  languageStates: tf.Tensor3D[];
  hyper: tf.Tensor3D;
}

export class AlmtModel implements SentimentModel {
  readonly name = 'almt';
  private readonly modalities: Modality[];
  private readonly sources: GuidedModality[];
  private readonly tokenizers: Partial<Record<Modality, ModalityTokenizer>> = {};
  private readonly language: LanguageEncoder;
  private readonly hyperInit: tf.Variable;
  private readonly ahl: HyperModalityEncoder;
  private readonly fusion: CrossModalFusion;
  private readonly headKernel: tf.Variable;
  private readonly headBias: tf.Variable;

  constructor(config: AlmtConfig, info: DataInfo, seed: number) {
    this.sources = almtSources(info.modalities);
    this.modalities = ['t', ...this.sources];
    const dim = config.hiddenDim;
    const tokens = config.tokenCount;
    for (const m of this.modalities) {
      const inputDim = info.dims[m];
      const maxLength = info.seqLens[m];
      if (!inputDim || !maxLength) throw new Error(`ALMT: no dims / sequence length for modality ${m}`);
      this.tokenizers[m] = new ModalityTokenizer({
        inputDim,
        maxLength,
        dim,
        tokens,
        depth: config.projDepth,
        heads: config.projHeads,
        ffnDim: config.projFfnDim,
        dropout: config.dropout,
        seed: deriveSeed(seed, 'tokenizer', m),
      });
    }
    this.language = new LanguageEncoder({
      dim,
      tokens,
      layers: config.ahlDepth - 1,
      heads: config.languageHeads,
      ffnDim: config.languageFfnDim,
      dropout: config.dropout,
      seed: deriveSeed(seed, 'language'),
    });
    // H starts as a learned tensor of ones, shared by every sample.
    this.hyperInit = tf.tidy(() => tf.variable(tf.ones([tokens, dim])));
    this.ahl = new HyperModalityEncoder({
      dim,
      depth: config.ahlDepth,
      heads: config.ahlHeads,
      headDim: config.ahlHeadDim,
      sources: this.sources,
      dropout: config.dropout,
      seed: deriveSeed(seed, 'ahl'),
    });
    this.fusion = new CrossModalFusion({
      dim,
      tokens,
      depth: config.fusionDepth,
      heads: config.fusionHeads,
      ffnDim: config.fusionFfnDim,
      dropout: config.dropout,
      seed: deriveSeed(seed, 'fusion'),
    });
    // torch's nn.Linear default, U(±1/√dim) (nn's Dense is glorot, 2.5× wider at 128 → 1): ALMT's head reads the
    // un-normalized residual stream (sum of N(0, 1) positions and residual branches), so a wider start gives
    // initial predictions far outside the [-1, 1] label range.
    const bound = 1 / Math.sqrt(dim);
    this.headKernel = tf.tidy(() => tf.variable(tf.randomUniform([dim, 1], -bound, bound, 'float32', deriveSeed(seed, 'head', 'kernel'))));
    this.headBias = tf.tidy(() => tf.variable(tf.randomUniform([1], -bound, bound, 'float32', deriveSeed(seed, 'head', 'bias'))));
  }

  /** Frames past the positions built from the source's length are dropped (a longer target cannot be placed). */
  private tokensOf(m: Modality, batch: UnlabeledBatch, training: boolean): tf.Tensor3D {
    const features = batch.features[m];
    const mask = batch.masks[m];
    if (!features || !mask) throw new Error(`ALMT: the batch has no ${m} features/mask`);
    const tokenizer = this.tokenizers[m]!;
    const [size, length, inputDim] = features.shape;
    const kept = Math.min(length, tokenizer.maxLength);
    return tf.tidy(() =>
      tokenizer.forward(
        kept === length ? features : tf.slice(features, [0, 0, 0], [size, kept, inputDim]),
        kept === length ? mask : tf.slice(mask, [0, 0], [size, kept]),
        { training },
      ),
    );
  }

  /** The whole forward pass, keeping the intermediate tensors (call inside tf.tidy or dispose them). */
  run(batch: UnlabeledBatch, training: boolean): AlmtForward {
    const tokens: Partial<Record<Modality, tf.Tensor3D>> = {};
    for (const m of this.modalities) tokens[m] = this.tokensOf(m, batch, training);
    const languageStates = this.language.forward(tokens.t!, { training });
    const hyperStart = repeatOverBatch(this.hyperInit, tokens.t!.shape[0]);
    const sources: Partial<Record<GuidedModality, tf.Tensor3D>> = {};
    for (const m of this.sources) sources[m] = tokens[m];
    const hyper = this.ahl.forward(languageStates, sources, hyperStart, { training });
    const fused = this.fusion.forward(languageStates[languageStates.length - 1]!, hyper, { training });
    const prediction = tf.reshape(tf.add(tf.matMul(fused, this.headKernel), this.headBias), [-1]) as tf.Tensor1D;
    return { prediction, tokens, languageStates, hyper };
  }

  trainableVariables(): tf.Variable[] {
    const tokenizers = this.modalities.map((m) => this.tokenizers[m]!);
    return [...partVariables([...tokenizers, this.language]), this.hyperInit, ...partVariables([this.ahl, this.fusion]), this.headKernel, this.headBias];
  }

  lossWeights(): Record<string, number> {
    return { mse: 1 };
  }

  losses(batch: Batch): LossBreakdown {
    const mse = tf.tidy(() => tf.losses.meanSquaredError(batch.labels, this.run(batch, true).prediction) as tf.Scalar);
    return { total: mse, parts: { mse } };
  }

  predict(batch: UnlabeledBatch): tf.Tensor1D {
    return tf.tidy(() => this.run(batch, false).prediction);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
