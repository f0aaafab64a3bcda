/**
 * ALMT's fusion (the reference's CrossTransformer): one learned token (zeros at start) is prepended to both the
 * language state (target, the queries) and the hyper-modality H (source, the keys and values), each sequence gets
 * its own learned positions, and a stack of pre-LN cross-attention layers updates the target. The prepended
 * token's output is the fused representation. All inputs are learned tokens, so nothing is masked.
 */
import * as tf from '@tensorflow/tfjs';
import { TransformerEncoder, deriveSeed, disposeVariables, partVariables, type TrainablePart } from '@midg/nn';
import { almtEncoder, learnedPositions, repeatOverBatch } from './tokens';

export interface CrossModalFusionConfig {
  dim: number;
  /** Length of both the target and the source (the token count). */
  tokens: number;
  depth: number;
  heads: number;
  ffnDim: number;
  dropout: number;
  seed: number;
}

export class CrossModalFusion implements TrainablePart {
  readonly dim: number;
  private readonly token: tf.Variable;
  private readonly sourcePositions: tf.Variable;
  private readonly targetPositions: tf.Variable;
  private readonly encoder: TransformerEncoder;

  constructor(config: CrossModalFusionConfig) {
    const { dim, tokens, seed } = config;
    this.dim = dim;
    this.token = tf.tidy(() => tf.variable(tf.zeros([1, dim])));
    this.sourcePositions = learnedPositions(tokens + 1, dim, deriveSeed(seed, 'source-positions'));
    this.targetPositions = learnedPositions(tokens + 1, dim, deriveSeed(seed, 'target-positions'));
    this.encoder = almtEncoder({ ...config, dim }, deriveSeed(seed, 'encoder'));
  }

  /** target (language) and source (H), both [B, tokens, dim] → the fused token [B, dim]. */
  forward(target: tf.Tensor3D, source: tf.Tensor3D, options: { training: boolean }): tf.Tensor2D {
    return tf.tidy(() => {
      const batch = target.shape[0];
      const token = repeatOverBatch(this.token, batch);
      const withToken = (x: tf.Tensor3D, positions: tf.Variable) =>
        tf.add(tf.concat([token, x], 1), tf.slice(positions, [0, 0], [x.shape[1] + 1, this.dim])) as tf.Tensor3D;
      const fused = this.encoder.forward(withToken(target, this.targetPositions), {
        training: options.training,
        source: withToken(source, this.sourcePositions),
      });
      return tf.reshape(tf.slice(fused, [0, 0, 0], [batch, 1, this.dim]), [batch, this.dim]) as tf.Tensor2D;
    });
  }

  trainableVariables(): tf.Variable[] {
    return [this.token, this.sourcePositions, this.targetPositions, ...partVariables([this.encoder])];
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
