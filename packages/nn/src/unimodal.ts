/**
 * The unimodal encoder of paper §3.2 ("encode primary features ... using encoders specific to each modality"):
 * x [B, L, D_m] + mask [B, L] → A_m [B, d].
 *
 * Temporal encoder: position-wise (dense D_m→d, layer norm, residual feed-forward block) followed by masked mean
 * and masked max pooling over the real steps, concatenated and projected to d, then layer-normalized. No step
 * interacts with another before pooling, so padded steps cannot leak into the result (masking is multiplicative,
 * the cheapest form on wasm, so padding must be finite: loaders zero it). L = 1 (utterance-level features) takes
 * a shortcut with the same result. It avoids conv weight gradients and RNN loops, which are slow or unsupported
 * on the wasm backend, and keeps the op count low (per-op overhead dominates at these sizes).
 */
import * as tf from '@tensorflow/tfjs';
import { DataError } from '@midg/features';
import { maxOverSteps } from './fused';
import {
  Dense,
  Dropout,
  LayerNorm,
  Mlp,
  assertPositiveInt,
  assertShape,
  deriveSeed,
  disposeVariables,
  partVariables,
  type ForwardOptions,
  type TrainablePart,
} from './layers';

export interface UnimodalEncoderConfig {
  /** Feature dim D_m of the modality. */
  inputDim: number;
  /** Output width d. Default 64. */
  hiddenDim?: number;
  /** Width of the position-wise feed-forward block. Default 2·hiddenDim. */
  ffnDim?: number;
  /** Dropout inside the feed-forward block and before pooling. Default 0.1. */
  dropout?: number;
  seed: number;
}

export const UNIMODAL_ENCODER_DEFAULTS = { hiddenDim: 64, dropout: 0.1 } as const;

// Masked-out steps are pushed down by this much before max pooling: far below any activation after layer norm.
const MASKED_MAX_PENALTY = 1e9;

export class UnimodalEncoder implements TrainablePart {
  readonly inputDim: number;
  readonly outputDim: number;
  private readonly projection: Dense;
  private readonly projectionNorm: LayerNorm;
  private readonly feedForward: Mlp;
  private readonly pooledProjection: Dense;
  private readonly outputNorm: LayerNorm;
  private readonly dropout: Dropout;

  constructor(config: UnimodalEncoderConfig) {
    const hiddenDim = config.hiddenDim ?? UNIMODAL_ENCODER_DEFAULTS.hiddenDim;
    const dropout = config.dropout ?? UNIMODAL_ENCODER_DEFAULTS.dropout;
    assertPositiveInt('UnimodalEncoder inputDim', config.inputDim);
    this.inputDim = config.inputDim;
    this.outputDim = hiddenDim;
    this.projection = new Dense({ inputDim: config.inputDim, units: hiddenDim, seed: deriveSeed(config.seed, 'projection') });
    this.projectionNorm = new LayerNorm(hiddenDim);
    this.feedForward = new Mlp({
      inputDim: hiddenDim,
      hiddenDims: [config.ffnDim ?? 2 * hiddenDim],
      outputDim: hiddenDim,
      dropout,
      seed: deriveSeed(config.seed, 'feedForward'),
    });
    this.pooledProjection = new Dense({ inputDim: 2 * hiddenDim, units: hiddenDim, seed: deriveSeed(config.seed, 'pooled') });
    this.outputNorm = new LayerNorm(hiddenDim);
    this.dropout = new Dropout(dropout, deriveSeed(config.seed, 'dropout'));
  }

  /**
   * x [B, L, inputDim], mask [B, L] with 1 for real steps (each row needs at least one) → [B, hiddenDim]. x is
   * data: no gradient flows back to it (which spares the backward pass its largest product).
   */
  forward(x: tf.Tensor3D, mask: tf.Tensor2D, options: ForwardOptions): tf.Tensor2D {
    assertShape('UnimodalEncoder input', x, 3, this.inputDim);
    if (mask.rank !== 2 || mask.shape[0] !== x.shape[0] || mask.shape[1] !== x.shape[1]) {
      throw new Error(`UnimodalEncoder mask: expected shape [${x.shape[0]}, ${x.shape[1]}], got [${mask.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      if (x.shape[1] === 1) {
        // Utterance-level input: every row has length >= 1, so its single step is real and is both mean and max.
        const step = this.encodeSteps(tf.reshape(x, [x.shape[0], this.inputDim]) as tf.Tensor2D, options);
        return this.project(tf.concat([step, step], 1));
      }
      const weights = tf.expandDims(mask, 2);
      const steps = this.encodeSteps(tf.mul(x, weights) as tf.Tensor3D, options);
      const masked = tf.add(steps, tf.mul(tf.sub(weights, 1), MASKED_MAX_PENALTY)) as tf.Tensor3D;
      return this.project(tf.concat([maskedMean(steps, mask), maxOverSteps(masked)], 1));
    });
  }

  /** The position-wise part on [B, D] or [B, L, D]. */
  private encodeSteps<T extends tf.Tensor>(x: T, options: ForwardOptions): T {
    const projected = this.projectionNorm.forward(this.projection.forward(x, { inputGradient: false }));
    return this.dropout.apply(tf.add(projected, this.feedForward.forward(projected, options)), options);
  }

  private project(pooled: tf.Tensor2D): tf.Tensor2D {
    return this.outputNorm.forward(this.pooledProjection.forward(pooled));
  }

  trainableVariables(): tf.Variable[] {
    return partVariables([this.projection, this.projectionNorm, this.feedForward, this.pooledProjection, this.outputNorm]);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}

/** Mean over the steps where mask is 1 (x finite): x [B, L, d], mask [B, L] → [B, d]. */
export function maskedMean(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const total = tf.sum(tf.mul(x, tf.expandDims(mask, 2)), 1);
    const count = tf.maximum(tf.sum(mask, 1, true), 1);
    return tf.div(total, count) as tf.Tensor2D;
  });
}

/** [N, seqLen] float mask with 1 for steps t < lengths[i]. */
export function maskFromLengths(lengths: Int32Array, seqLen: number): tf.Tensor2D {
  const values = new Float32Array(lengths.length * seqLen);
  lengths.forEach((length, i) => {
    if (!Number.isInteger(length) || length < 1 || length > seqLen) {
      throw new DataError(`sample ${i} has sequence length ${length}; lengths must be in 1..${seqLen}`);
    }
    values.fill(1, i * seqLen, i * seqLen + length);
  });
  return tf.tensor2d(values, [lengths.length, seqLen]);
}
