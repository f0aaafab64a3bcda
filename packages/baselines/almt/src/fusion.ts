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
  private readonly dropout: number;

  constructor(config: CrossModalFusionConfig) {
    const { dim, tokens, seed } = config;
    this.dim = dim;
    this.dropout = config.dropout;
    this.token = tf.tidy(() => tf.variable(tf.zeros([1, dim])));
    this.sourcePositions = learnedPositions(tokens + 1, dim, deriveSeed(seed, 'source-positions'));
    this.targetPositions = learnedPositions(tokens + 1, dim, deriveSeed(seed, 'target-positions'));
    this.encoder = almtEncoder({ ...config, dim }, deriveSeed(seed, 'encoder'));
  }

  /**
   * target (language) and source (H), both [B, tokens, dim] → the fused token [B, dim].
   * Every layer is cross-attention to the same source (queries never see each other), so the prepended token's
   * output depends on the target's token row alone: the stack runs on that one row (the same numbers as on all
   * rows, for a fraction of the work). So the language state reaches the prediction only through H: a property of
   * a cross-attention-only stack, not of this shortcut. With dropout while training it runs on every row, so the
   * dropout masks keep their shapes and values.
   */
  forward(target: tf.Tensor3D, source: tf.Tensor3D, options: { training: boolean }): tf.Tensor2D {
    return tf.tidy(() => {
      const batch = target.shape[0];
      const token = repeatOverBatch(this.token, batch);
      const withToken = (x: tf.Tensor3D, positions: tf.Variable) =>
        tf.add(tf.concat([token, x], 1), tf.slice(positions, [0, 0], [x.shape[1] + 1, this.dim])) as tf.Tensor3D;
      const everyRow = options.training && this.dropout > 0;
      const queries = everyRow ? withToken(target, this.targetPositions) : (tf.add(token, tf.slice(this.targetPositions, [0, 0], [1, this.dim])) as tf.Tensor3D);
      const fused = this.encoder.forward(queries, { training: options.training, source: withToken(source, this.sourcePositions) });
      return tf.reshape(everyRow ? tf.slice(fused, [0, 0, 0], [batch, 1, this.dim]) : fused, [batch, this.dim]) as tf.Tensor2D;
    });
  }

  trainableVariables(): tf.Variable[] {
    return [this.token, this.sourcePositions, this.targetPositions, ...partVariables([this.encoder])];
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
