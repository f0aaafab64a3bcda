/**
 * CLUB: a Contrastive Log-ratio Upper Bound of mutual information (Cheng et al., ICML 2020), with a Gaussian
 * variational net q_θ(y | x) = N(μ_θ(x), diag(exp(logVar_θ(x)))).
 *
 *   I_CLUB(x; y) = E_i[log q_θ(y_i | x_i)] − E_i E_j[log q_θ(y_j | x_i)]
 *
 * The log-variance terms cancel between the two expectations, and the all-pairs mean has a closed form per
 * dimension (E_j (y_j − μ_i)² = E_j[y_j²] − 2 μ_i E_j[y_j] + μ_i²), so the estimate costs O(B·z), not O(B²·z).
 * θ is fitted separately by maximising the log-likelihood (`learningLoss`, minimised w.r.t. θ only); the
 * estimate's gradient reaches x and y (the encoders) but the trainer must not apply it to θ.
 */
import * as tf from '@tensorflow/tfjs';
import { Mlp, assertShape, deriveSeed, disposeVariables, partVariables, stopGradient, type TrainablePart } from '@midg/nn';

export interface ClubEstimatorConfig {
  xDim: number;
  yDim: number;
  /** Hidden width of the two heads of q_θ. Default xDim. */
  hiddenDim?: number;
  seed: number;
}

export class ClubEstimator implements TrainablePart {
  private readonly meanNet: Mlp;
  private readonly logVarNet: Mlp;

  constructor(readonly config: ClubEstimatorConfig) {
    const hiddenDims = [config.hiddenDim ?? config.xDim];
    this.meanNet = new Mlp({ inputDim: config.xDim, hiddenDims, outputDim: config.yDim, seed: deriveSeed(config.seed, 'mean') });
    // tanh-bounded log-variance, as in the reference implementation.
    this.logVarNet = new Mlp({
      inputDim: config.xDim,
      hiddenDims,
      outputDim: config.yDim,
      outputActivation: 'tanh',
      seed: deriveSeed(config.seed, 'logVar'),
    });
  }

  /** The CLUB estimate of I(x; y) for paired rows x [B, xDim], y [B, yDim]. */
  estimate(x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
    this.checkPair(x, y);
    return tf.tidy(() => {
      const mean = this.meanNet.forward(x, { training: false });
      const precision = tf.exp(tf.neg(this.logVarNet.forward(x, { training: false })));
      const positive = tf.squaredDifference(y, mean);
      const yMean = tf.mean(y, 0, true);
      const ySecondMoment = tf.mean(tf.square(y), 0, true);
      const negative = tf.add(tf.sub(ySecondMoment, tf.mul(tf.mul(mean, yMean), 2)), tf.square(mean));
      return tf.mean(tf.sum(tf.mul(tf.mul(tf.sub(negative, positive), precision), 0.5), 1)) as tf.Scalar;
    });
  }

  /** Mean Gaussian log-likelihood log q_θ(y | x) per sample (without the constant −z/2·log 2π). */
  logLikelihood(x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
    this.checkPair(x, y);
    return tf.tidy(() => {
      const mean = this.meanNet.forward(x, { training: false });
      const logVar = this.logVarNet.forward(x, { training: false });
      const perDim = tf.mul(tf.add(tf.div(tf.squaredDifference(y, mean), tf.exp(logVar)), logVar), -0.5);
      return tf.mean(tf.sum(perDim, 1)) as tf.Scalar;
    });
  }

  /** −log-likelihood on detached inputs: minimise it w.r.t. `trainableVariables()` (θ) only. */
  learningLoss(x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => tf.neg(this.logLikelihood(stopGradient(x), stopGradient(y))));
  }

  trainableVariables(): tf.Variable[] {
    return partVariables([this.meanNet, this.logVarNet]);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }

  private checkPair(x: tf.Tensor2D, y: tf.Tensor2D): void {
    assertShape('CLUB x', x, 2, this.config.xDim);
    assertShape('CLUB y', y, 2, this.config.yDim);
    if (x.shape[0] !== y.shape[0]) throw new Error(`CLUB: x has ${x.shape[0]} rows but y has ${y.shape[0]}`);
  }
}
