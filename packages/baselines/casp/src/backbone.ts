/**
 * CASP's late-fusion backbone (zrguo/CASP `models/model.py` Latefusion):
 *   1. per modality a dense projection to d (the reference's kernel-1 Conv1d);
 *   2. per modality a pre-LN transformer encoder: √d·x + sinusoidal positions, embedding dropout, `nlevels` layers
 *      (ReLU FFN of width 4d), a final LN; padded keys masked. The sequence's first real step is its summary;
 *   3. rep = [h_t; h_a; h_v] (what the contrastive stage compares), then ReLU(W0·rep) (width d), a residual block
 *      h + W2·Drop(ReLU(W1·h)), and a linear output.
 * In training passes the encoders of modalities with the same sequence length run as one computation
 * (encoder-group.ts), and a pass can carry several views of the batch (the contrastive stage's batch and its
 * augmented copy): the same numbers, dropout masks included, as one pass per view and encoder, with far fewer
 * kernels. Eval passes run nn's encoders one modality at a time (no dropout, no gradient: little to gain there).
 */
import * as tf from '@tensorflow/tfjs';
import type { Modality } from '@midg/features';
import { Dense, Dropout, TransformerEncoder, deriveSeed, disposeVariables, partVariables, sinusoidalPositions, tidyOutput } from '@midg/nn';
import { EncoderGroup, EncoderMember, disposeFrozen, interleave, sideBySide, type EncoderGroupConfig, type FrozenEncoderGroup } from './encoder-group';
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

export interface BackboneView {
  /** A modality whose features are replaced by zeros (CASP's augmented view); its mask is kept. */
  zeroed?: Modality;
}

export interface BackboneForwardOptions extends BackboneView {
  training: boolean;
}

export interface BackboneRunOptions {
  training: boolean;
  /** Encoder weights fixed for a stretch (CASP's adaptation, which trains only the layer norms); see freeze(). */
  frozen?: FrozenEncoders;
}

/** The encoders' dense weights built once (per group of modalities, as forward meets them); dispose when done. */
export class FrozenEncoders {
  readonly groups = new Map<string, FrozenEncoderGroup>();

  dispose(): void {
    for (const group of this.groups.values()) disposeFrozen(group);
    this.groups.clear();
  }
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

/** The per-modality encoder of the reference's backbone: pre-LN, FFN 4d, its three dropouts. */
export function encoderConfigOf(config: CaspBackboneConfig): EncoderGroupConfig {
  return {
    dim: config.projDim,
    heads: config.heads,
    layers: config.nlevels,
    ffnDim: 4 * config.projDim,
    dropout: config.resDropout,
    ffnDropout: config.reluDropout,
    attentionDropout: config.attnDropout,
  };
}

export class CaspBackbone {
  readonly modalities: Modality[];
  private readonly projections: Dense[];
  private readonly encoders: TransformerEncoder[];
  private readonly members: EncoderMember[];
  private readonly encoderConfig: EncoderGroupConfig;
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
    this.encoderConfig = encoderConfigOf(config);
    const encoderSeeds = modalities.map((m) => deriveSeed(seed, 'encoder', m));
    // nn's encoders create (and own) the variables and run eval passes; training passes run them as groups.
    this.encoders = encoderSeeds.map((encoderSeed) => new TransformerEncoder({ ...this.encoderConfig, activation: 'relu', seed: encoderSeed }));
    this.members = this.encoders.map((encoder, i) => new EncoderMember(this.encoderConfig, encoder, encoderSeeds[i]!));
    this.embedDropouts = modalities.map((m) => new Dropout(config.embedDropout, deriveSeed(seed, 'embed-dropout', m)));
    this.proj0 = new Dense({ inputDim: modalities.length * d, units: d, seed: deriveSeed(seed, 'proj0') });
    this.proj1 = new Dense({ inputDim: d, units: d, seed: deriveSeed(seed, 'proj1') });
    this.proj2 = new Dense({ inputDim: d, units: d, seed: deriveSeed(seed, 'proj2') });
    this.out = new Dense({ inputDim: d, units: 1, seed: deriveSeed(seed, 'out') });
    this.outDropout = new Dropout(config.outDropout, deriveSeed(seed, 'out-dropout'));
  }

  forward(batch: UnlabeledBatch, options: BackboneForwardOptions): BackboneOutput {
    return this.forwardViews(batch, [{ zeroed: options.zeroed }], { training: options.training });
  }

  /**
   * One pass over several views of the batch: rows v·B..(v+1)·B of the outputs are view v's, and equal (dropout
   * masks included) what `forward` would give for the views one after the other.
   */
  forwardViews(batch: UnlabeledBatch, views: readonly BackboneView[], options: BackboneRunOptions): BackboneOutput {
    if (views.length === 0) throw new Error('model casp: a pass needs at least one view');
    if (!options.training) return this.evaluate(batch, views);
    return tidyOutput(() => {
      const mode = { training: true };
      const summaries: { group: Modality[]; representation: tf.Tensor2D }[] = [];
      for (const indices of this.groupsOf(batch)) {
        const group = indices.map((i) => this.modalities[i]!);
        const key = group.join('');
        const encoders = new EncoderGroup(this.encoderConfig, indices.map((i) => this.members[i]!));
        let frozen = options.frozen?.groups.get(key);
        if (options.frozen && !frozen) options.frozen.groups.set(key, (frozen = encoders.freeze()));
        const encoded = this.encodeGroup(batch, indices, views, encoders, { ...mode, frozen });
        const masks = this.keyMasks(batch, group, views.length);
        const [rows, length] = encoded.shape;
        // Each member's first real step: [N, L, G·d] → [N·G, L, d] (sample-major) → [N, G·d] = [h_m1; h_m2; ...].
        const perMember = tf.reshape(tf.transpose(tf.reshape(encoded, [rows, length, group.length, this.dim]), [0, 2, 1, 3]), [rows * group.length, length, this.dim]);
        const first = firstRealStep(perMember as tf.Tensor3D, tf.reshape(sideBySide(masks), [rows * group.length, length]) as tf.Tensor2D);
        summaries.push({ group, representation: tf.reshape(first, [rows, group.length * this.dim]) as tf.Tensor2D });
      }
      const representation = this.inModalityOrder(summaries);
      const hidden = tf.relu(this.proj0.forward(representation));
      const size = representation.shape[0] / views.length;
      const outMasks = views.flatMap(() => this.outDropout.multiplier([size, this.dim], mode) ?? []);
      const activated = tf.relu(this.proj1.forward(hidden));
      const block = this.proj2.forward(outMasks.length > 0 ? tf.mul(activated, tf.concat(outMasks, 0)) : activated);
      const prediction = tf.reshape(this.out.forward(tf.add(block, hidden)), [-1]) as tf.Tensor1D;
      return { prediction, representation };
    });
  }

  /**
   * Eval mode, one modality and one view at a time through nn's encoders. Without dropout and gradients, grouping
   * saves little, and the block products would cost (G − 1)/G more arithmetic on the large eval batches; the
   * numbers are the grouped path's (encoder-group.test.ts).
   */
  private evaluate(batch: UnlabeledBatch, views: readonly BackboneView[]): BackboneOutput {
    return tidyOutput(() => {
      const passes = views.map((view) => {
        const summaries = this.modalities.map((m, i) => {
          const features = batch.features[m];
          const mask = batch.masks[m];
          if (!features || !mask) throw new Error(`model casp: the batch has no ${m} features`);
          const projected = this.projections[i]!.forward(view.zeroed === m ? tf.zerosLike(features) : features);
          const h = tf.add(tf.mul(projected, Math.sqrt(this.dim)), sinusoidalPositions(features.shape[1], this.dim)) as tf.Tensor3D;
          return firstRealStep(this.encoders[i]!.forward(h, { training: false, keyMask: mask }), mask);
        });
        const representation = (summaries.length > 1 ? tf.concat(summaries, 1) : summaries[0]!) as tf.Tensor2D;
        const hidden = tf.relu(this.proj0.forward(representation));
        const block = this.proj2.forward(tf.relu(this.proj1.forward(hidden)));
        return { representation, prediction: tf.reshape(this.out.forward(tf.add(block, hidden)), [-1]) as tf.Tensor1D };
      });
      if (passes.length === 1) return passes[0]!;
      return { representation: tf.concat(passes.map((p) => p.representation)) as tf.Tensor2D, prediction: tf.concat(passes.map((p) => p.prediction)) as tf.Tensor1D };
    });
  }

  /** [h_m1; h_m2; ...] in modality order from the groups' summaries (one group in modality order: as it is). */
  private inModalityOrder(summaries: readonly { group: Modality[]; representation: tf.Tensor2D }[]): tf.Tensor2D {
    if (summaries.length === 1) return summaries[0]!.representation;
    const parts = new Map<Modality, tf.Tensor2D>();
    for (const { group, representation } of summaries) {
      const split = group.length === 1 ? [representation] : tf.split(representation, group.length, 1);
      group.forEach((m, j) => parts.set(m, split[j] as tf.Tensor2D));
    }
    return tf.concat(this.modalities.map((m) => parts.get(m)!), 1) as tf.Tensor2D;
  }

  /** Fixes the encoders' dense weights for a stretch in which only the layer norms train (dispose when done). */
  freeze(): FrozenEncoders {
    return new FrozenEncoders();
  }

  /** Modality indices grouped by sequence length (a group's encoders run as one), in modality order. */
  private groupsOf(batch: UnlabeledBatch): number[][] {
    const byLength = new Map<number, number[]>();
    this.modalities.forEach((m, i) => {
      const features = batch.features[m];
      if (!features || !batch.masks[m]) throw new Error(`model casp: the batch has no ${m} features`);
      const length = features.shape[1];
      byLength.set(length, [...(byLength.get(length) ?? []), i]);
    });
    return [...byLength.values()];
  }

  /** The group's key masks, each with its rows once per view (view-major). */
  private keyMasks(batch: UnlabeledBatch, group: readonly Modality[], views: number): tf.Tensor2D[] {
    return group.map((m) => {
      const mask = batch.masks[m]!;
      return views === 1 ? mask : (tf.concat(Array.from({ length: views }, () => mask), 0) as tf.Tensor2D);
    });
  }

  /** Projection, √d scaling, positions, embedding dropout and the encoders of one group: [N, L, G·d]. */
  private encodeGroup(batch: UnlabeledBatch, indices: number[], views: readonly BackboneView[], encoders: EncoderGroup, options: { training: boolean; frozen?: FrozenEncoderGroup }): tf.Tensor3D {
    const group = indices.map((i) => this.modalities[i]!);
    const projected = indices.map((i, j) => {
      const m = group[j]!;
      const features = batch.features[m]!;
      const zeros = views.some((view) => view.zeroed === m) ? tf.zerosLike(features) : undefined;
      const input = views.length === 1 && !zeros ? features : tf.concat(views.map((view) => (view.zeroed === m ? zeros! : features)), 0);
      return this.projections[i]!.forward(input as tf.Tensor3D);
    });
    const [rows, length] = projected[0]!.shape;
    const members = indices.length;
    const joined = tf.reshape(sideBySide(projected.map((p) => tf.reshape(p, [rows * length, this.dim]))), [rows, length, members * this.dim]);
    const positions = sinusoidalPositions(length, this.dim);
    let h = tf.add(tf.mul(joined, Math.sqrt(this.dim)), members > 1 ? tf.tile(positions, [1, members]) : positions) as tf.Tensor3D;
    // One mask per modality and view, from each modality's stream in the order its own passes drew them.
    const size = rows / views.length;
    const pieces = indices.flatMap((i) => views.flatMap(() => this.embedDropouts[i]!.multiplier([size, length, this.dim], options) ?? []));
    if (pieces.length > 0) h = tf.mul(h, interleave(pieces, members, rows * length, h.shape)) as tf.Tensor3D;
    return encoders.forward(h, this.keyMasks(batch, group, views.length), { training: options.training, views: views.length, ...(options.frozen ? { frozen: options.frozen } : {}) });
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
