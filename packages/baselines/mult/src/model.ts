/**
 * MulT (Tsai et al., ACL 2019), following MMSA's `models/singleTask/MULT.py`:
 *   1. per modality m, a temporal conv of kernel k_m projects the features to width d;
 *   2. per ordered pair target ← source, a crossmodal transformer (queries: target; keys/values: source; attention
 *      dropout chosen by the source modality);
 *   3. per target, a self-attention memory transformer (max(nlevels, 3) layers) over the concat of its crossmodal
 *      outputs; its last real step is the target's summary;
 *   4. head: residual 2-layer block over the concat of the summaries, then a linear output. L1 loss.
 * With two modalities each target has one crossmodal transformer and its memory is d wide; one modality is refused.
 */
import * as tf from '@tensorflow/tfjs';
import type { Modality } from '@midg/features';
import { Dense, Dropout, deriveSeed, disposeVariables, lastRealStep, partVariables } from '@midg/nn';
import type { Batch, DataInfo, LossBreakdown, SentimentModel, UnlabeledBatch } from '@midg/trainer';
import { MultTransformer } from './mult-transformer';
import { TemporalConv } from './temporal-conv';

export interface MultConfig {
  hiddenDim: number;
  heads: number;
  nlevels: number;
  kernelT: number;
  kernelA: number;
  kernelV: number;
  attnDropout: number;
  attnDropoutA: number;
  attnDropoutV: number;
  reluDropout: number;
  resDropout: number;
  embedDropout: number;
  textDropout: number;
  outputDropout: number;
  attnMask: boolean;
  positionalEmbedding: boolean;
}

interface Crossmodal {
  target: Modality;
  source: Modality;
  transformer: MultTransformer;
}

/** The memory transformers have at least this many layers (MMSA: get_network(..., layers=3) → max(nlevels, 3)). */
const MIN_MEMORY_LAYERS = 3;

export class MultModel implements SentimentModel {
  readonly name = 'mult';
  private readonly modalities: Modality[];
  private readonly projections: TemporalConv[];
  private readonly crossmodal: Crossmodal[];
  private readonly memories: MultTransformer[];
  private readonly proj1: Dense;
  private readonly proj2: Dense;
  private readonly out: Dense;
  private readonly textDropout: Dropout;
  private readonly outputDropout: Dropout;

  constructor(config: MultConfig, info: DataInfo, seed: number) {
    this.modalities = info.modalities;
    if (this.modalities.length < 2) {
      throw new Error(`model mult needs at least two modalities (its crossmodal attention pairs them), got "${this.modalities.join('')}"`);
    }
    const d = config.hiddenDim;
    const kernels: Record<Modality, number> = { t: config.kernelT, a: config.kernelA, v: config.kernelV };
    const attentionDropout: Record<Modality, number> = { t: config.attnDropout, a: config.attnDropoutA, v: config.attnDropoutV };
    const common = {
      heads: config.heads,
      reluDropout: config.reluDropout,
      resDropout: config.resDropout,
      embedDropout: config.embedDropout,
      positions: config.positionalEmbedding,
      causal: config.attnMask,
    };
    this.projections = this.modalities.map((m) => {
      const inputDim = info.dims[m];
      if (inputDim === undefined) throw new Error(`model mult: no feature width for modality ${m}`);
      return new TemporalConv({ inputDim, units: d, kernel: kernels[m], seed: deriveSeed(seed, 'projection', m) });
    });
    this.crossmodal = this.modalities.flatMap((target) =>
      this.modalities
        .filter((source) => source !== target)
        .map((source) => ({
          target,
          source,
          transformer: new MultTransformer({
            ...common,
            dim: d,
            layers: config.nlevels,
            attentionDropout: attentionDropout[source],
            seed: deriveSeed(seed, 'crossmodal', target, source),
          }),
        })),
    );
    const memoryDim = (this.modalities.length - 1) * d;
    this.memories = this.modalities.map(
      (m) =>
        new MultTransformer({
          ...common,
          dim: memoryDim,
          layers: Math.max(config.nlevels, MIN_MEMORY_LAYERS),
          attentionDropout: config.attnDropout,
          seed: deriveSeed(seed, 'memory', m),
        }),
    );
    const combined = this.modalities.length * memoryDim;
    this.proj1 = new Dense({ inputDim: combined, units: combined, seed: deriveSeed(seed, 'proj1') });
    this.proj2 = new Dense({ inputDim: combined, units: combined, seed: deriveSeed(seed, 'proj2') });
    this.out = new Dense({ inputDim: combined, units: 1, seed: deriveSeed(seed, 'out') });
    this.textDropout = new Dropout(config.textDropout, deriveSeed(seed, 'text-dropout'));
    this.outputDropout = new Dropout(config.outputDropout, deriveSeed(seed, 'output-dropout'));
  }

  /** Predictions [B] on the normalized scale. */
  private forward(batch: UnlabeledBatch, training: boolean): tf.Tensor1D {
    return tf.tidy(() => {
      const options = { training };
      const masks = {} as Record<Modality, tf.Tensor2D>;
      const projected = {} as Record<Modality, tf.Tensor3D>;
      this.modalities.forEach((m, i) => {
        const features = batch.features[m];
        const mask = batch.masks[m];
        if (!features || !mask) throw new Error(`model mult: the batch has no ${m} features`);
        masks[m] = mask;
        const input = m === 't' ? this.textDropout.apply(features, options) : features;
        projected[m] = this.projections[i]!.forward(input, mask);
      });
      const summaries = this.modalities.map((target, i) => {
        const crossed = this.crossmodal
          .filter((pair) => pair.target === target)
          .map((pair) => pair.transformer.forward({ x: projected[target], source: projected[pair.source], keyMask: masks[pair.source], training }));
        const joined = (crossed.length > 1 ? tf.concat(crossed, 2) : crossed[0]!) as tf.Tensor3D;
        const memory = this.memories[i]!.forward({ x: joined, keyMask: masks[target], training });
        return lastRealStep(memory, masks[target]);
      });
      const last = tf.concat(summaries, 1) as tf.Tensor2D;
      const hidden = this.outputDropout.apply(tf.relu(this.proj1.forward(last)), options);
      const fused = tf.add(this.proj2.forward(hidden), last) as tf.Tensor2D;
      return tf.reshape(this.out.forward(fused), [-1]) as tf.Tensor1D;
    });
  }

  trainableVariables(): tf.Variable[] {
    return partVariables([...this.projections, ...this.crossmodal.map((pair) => pair.transformer), ...this.memories, this.proj1, this.proj2, this.out]);
  }

  /** For tests: the Q/K projections of every attention layer (irrelevant when every sequence has one step). */
  queryKeyVariables(): tf.Variable[] {
    return [...this.crossmodal.map((pair) => pair.transformer), ...this.memories].flatMap((t) => t.queryKeyVariables());
  }

  lossWeights(): Record<string, number> {
    return { l1: 1 };
  }

  losses(batch: Batch): LossBreakdown {
    const l1 = tf.tidy(() => tf.mean(tf.abs(tf.sub(this.forward(batch, true), batch.labels))) as tf.Scalar);
    return { total: l1, parts: { l1 } };
  }

  predict(batch: UnlabeledBatch): tf.Tensor1D {
    return this.forward(batch, false);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
