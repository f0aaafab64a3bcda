import * as tf from '@tensorflow/tfjs';
import type { Modality } from '@midg/features';
import { Dense, Dropout, deriveSeed, disposeVariables, partVariables, tidyOutput } from '@midg/nn';
import type { Batch, DataInfo, LossBreakdown, SentimentModel, UnlabeledBatch } from '@midg/trainer';
import { UtteranceEncoder, type SequenceEncoderKind } from './encoder';
import { meanPairwiseCmd, meanReconstructionLoss, summedDiffLoss } from './losses';
import { PostLnTransformerLayer } from './post-ln-layer';

export interface MisaOptions {
  hiddenSize: number;
  encoder: SequenceEncoderKind;
  /** Dropout in the fusion head (MMSA's `dropout`). */
  dropout: number;
  heads: number;
  ffnDim: number;
  transformerDropout: number;
  diffWeight: number;
  simWeight: number;
  reconWeight: number;
  cmdMoments: number;
}

/** Everything one forward pass produces: the prediction and the codes the auxiliary losses read. */
export interface MisaForward {
  prediction: tf.Tensor1D;
  /** u_m [B, h] per modality (in `modalities` order): the reconstruction targets. */
  utterances: tf.Tensor2D[];
  /** p_m = σ(W_m u_m). */
  privates: tf.Tensor2D[];
  /** s_m = σ(W_s u_m), one W_s for every modality. */
  shared: tf.Tensor2D[];
  /** r_m = W_r,m (p_m + s_m). */
  reconstructions: tf.Tensor2D[];
}

/**
 * MISA (Hazarika et al. 2020): each modality's utterance vector u_m is split into a private (modality-specific) and
 * a shared (modality-invariant) code; the 2M codes attend to each other in one post-LN transformer layer and are
 * concatenated into the regression head. Losses: MSE + diff·L_diff + sim·L_CMD + recon·L_recon.
 */
export class MisaModel implements SentimentModel {
  readonly name = 'misa';
  readonly modalities: Modality[];
  private readonly encoders: UtteranceEncoder[];
  private readonly privateMaps: Dense[];
  private readonly sharedMap: Dense;
  private readonly reconstructors: Dense[];
  private readonly fusionLayer: PostLnTransformerLayer;
  private readonly fusionHidden: Dense;
  private readonly fusionOut: Dense;
  private readonly fusionDropout: Dropout;

  constructor(
    private readonly options: MisaOptions,
    info: DataInfo,
    seed: number,
  ) {
    const { hiddenSize: h } = options;
    this.modalities = [...info.modalities];
    if (this.modalities.length < 2) {
      throw new Error(`misa needs at least two modalities (its similarity loss compares shared codes across modalities), got "${this.modalities.join('')}"`);
    }
    const perModality = <T>(make: (m: Modality) => T) => this.modalities.map(make);
    this.encoders = perModality(
      (m) => new UtteranceEncoder({ inputDim: info.dims[m]!, hiddenSize: h, kind: options.encoder, seed: deriveSeed(seed, 'encoder', m) }),
    );
    this.privateMaps = perModality((m) => new Dense({ inputDim: h, units: h, activation: 'sigmoid', seed: deriveSeed(seed, 'private', m) }));
    this.sharedMap = new Dense({ inputDim: h, units: h, activation: 'sigmoid', seed: deriveSeed(seed, 'shared') });
    this.reconstructors = perModality((m) => new Dense({ inputDim: h, units: h, seed: deriveSeed(seed, 'recon', m) }));
    this.fusionLayer = new PostLnTransformerLayer({
      dim: h,
      heads: options.heads,
      ffnDim: options.ffnDim,
      dropout: options.transformerDropout,
      seed: deriveSeed(seed, 'transformer'),
    });
    const tokens = 2 * this.modalities.length;
    this.fusionHidden = new Dense({ inputDim: tokens * h, units: 3 * h, seed: deriveSeed(seed, 'fusion', 'hidden') });
    this.fusionOut = new Dense({ inputDim: 3 * h, units: 1, seed: deriveSeed(seed, 'fusion', 'out') });
    this.fusionDropout = new Dropout(options.dropout, deriveSeed(seed, 'fusion', 'dropout'));
  }

  forward(batch: UnlabeledBatch, training: boolean): MisaForward {
    const mode = { training };
    return tidyOutput(() => {
      const utterances = this.modalities.map((m, i) => {
        const x = batch.features[m];
        const mask = batch.masks[m];
        if (!x || !mask) throw new Error(`misa: the batch has no ${x ? 'mask' : 'features'} for modality "${m}"`);
        return this.encoders[i]!.forward(x, mask, mode);
      });
      const privates = utterances.map((u, i) => this.privateMaps[i]!.forward(u));
      const shared = utterances.map((u) => this.sharedMap.forward(u));
      const reconstructions = privates.map((p, i) => this.reconstructors[i]!.forward(tf.add(p, shared[i]!) as tf.Tensor2D));
      // Tokens in MMSA's order: every private code, then every shared code.
      const tokens = tf.stack([...privates, ...shared], 1) as tf.Tensor3D;
      const fused = this.fusionLayer.forward(tokens, mode);
      const flat = tf.reshape(fused, [fused.shape[0], -1]) as tf.Tensor2D;
      const hidden = tf.relu(this.fusionDropout.apply(this.fusionHidden.forward(flat), mode));
      const prediction = tf.reshape(this.fusionOut.forward(hidden), [-1]) as tf.Tensor1D;
      return { prediction, utterances, privates, shared, reconstructions };
    });
  }

  trainableVariables(): tf.Variable[] {
    return partVariables([
      ...this.encoders,
      ...this.privateMaps,
      this.sharedMap,
      ...this.reconstructors,
      this.fusionLayer,
      this.fusionHidden,
      this.fusionOut,
    ]);
  }

  lossWeights(): Record<string, number> {
    const { diffWeight, simWeight, reconWeight } = this.options;
    return { mse: 1, diff: diffWeight, cmd: simWeight, recon: reconWeight };
  }

  losses(batch: Batch): LossBreakdown {
    return tidyOutput(() => {
      const out = this.forward(batch, true);
      const { privates, shared } = out;
      const pairs: [tf.Tensor2D, tf.Tensor2D][] = privates.map((p, i) => [p, shared[i]!]);
      for (let i = 0; i < privates.length; i++) {
        for (let j = i + 1; j < privates.length; j++) pairs.push([privates[i]!, privates[j]!]);
      }
      const parts = {
        mse: tf.losses.meanSquaredError(batch.labels, out.prediction) as tf.Scalar,
        diff: summedDiffLoss(pairs),
        cmd: meanPairwiseCmd(shared, this.options.cmdMoments),
        recon: meanReconstructionLoss(out.reconstructions, out.utterances),
      };
      const weights = this.lossWeights();
      const total = tf.addN(Object.entries(parts).map(([name, part]) => tf.mul(part, weights[name]!))) as tf.Scalar;
      return { total, parts };
    });
  }

  predict(batch: UnlabeledBatch): tf.Tensor1D {
    return tf.tidy(() => this.forward(batch, false).prediction);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
