/** Diagonal Gaussians: the posterior encoders q(A_im | A_m), q(A_om | A_m) and the KL algebra of eq. (2). */
import * as tf from '@tensorflow/tfjs';
import { Dense, SeedStream, deriveSeed, disposeVariables, partVariables, stopGradient, tidyOutput, type TrainablePart } from '@midg/nn';

/** A batch of diagonal Gaussians: mean and log-variance, both [B, z]. */
export interface GaussianParams {
  mean: tf.Tensor2D;
  logVar: tf.Tensor2D;
}

// Soft bound on the log-variance (tanh-scaled, so the gradient never dies): variances stay in (e^-6, e^6).
const LOG_VAR_BOUND = 6;

export interface GaussianEncoderConfig {
  inputDim: number;
  latentDim: number;
  /** Initial log-variance (bias of the log-variance head). */
  initialLogVar: number;
  seed: number;
}

/** q(z | x) = N(mean(x), diag(exp(logVar(x)))) with one dense layer per parameter. */
export class GaussianEncoder implements TrainablePart {
  private readonly meanLayer: Dense;
  private readonly logVarLayer: Dense;
  private readonly noiseSeeds: SeedStream;

  constructor(config: GaussianEncoderConfig) {
    this.meanLayer = new Dense({ inputDim: config.inputDim, units: config.latentDim, seed: deriveSeed(config.seed, 'mean') });
    this.logVarLayer = new Dense({
      inputDim: config.inputDim,
      units: config.latentDim,
      seed: deriveSeed(config.seed, 'logVar'),
      biasInit: LOG_VAR_BOUND * Math.atanh(config.initialLogVar / LOG_VAR_BOUND),
    });
    this.noiseSeeds = new SeedStream(deriveSeed(config.seed, 'noise'));
  }

  posterior(x: tf.Tensor2D): GaussianParams {
    return tidyOutput(() => ({
      mean: this.meanLayer.forward(x),
      logVar: tf.mul(tf.tanh(tf.div(this.logVarLayer.forward(x), LOG_VAR_BOUND)), LOG_VAR_BOUND) as tf.Tensor2D,
    }));
  }

  /** Reparameterised sample mean + σ·ε (gradient flows to both parameters). */
  sample(params: GaussianParams): tf.Tensor2D {
    return tf.tidy(() => {
      const noise = tf.randomNormal(params.mean.shape, 0, 1, 'float32', this.noiseSeeds.next());
      return tf.add(params.mean, tf.mul(tf.exp(tf.mul(params.logVar, 0.5)), noise)) as tf.Tensor2D;
    });
  }

  trainableVariables(): tf.Variable[] {
    return partVariables([this.meanLayer, this.logVarLayer]);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}

/** KL(q || p) per sample, summed over latent dims: [B]. p may be a single Gaussian broadcast over the batch ([1, z]). */
export function gaussianKl(q: GaussianParams, p: GaussianParams): tf.Tensor1D {
  return tf.tidy(() => {
    // square(sub) rather than squaredDifference: the latter's gradient does not reduce over broadcast axes.
    const ratio = tf.div(tf.add(tf.exp(q.logVar), tf.square(tf.sub(q.mean, p.mean))), tf.exp(p.logVar));
    const perDim = tf.mul(tf.sub(tf.add(tf.sub(p.logVar, q.logVar), ratio), 1), 0.5);
    return tf.sum(perDim, 1) as tf.Tensor1D;
  });
}

/**
 * The moment-matched Gaussian of the batch's mixture Σ_b q_b / B ([1, z] each), with the gradient stopped:
 * mean = E_b[μ_b], var = E_b[σ_b² + μ_b²] − mean².
 */
export function batchAggregate(params: GaussianParams): GaussianParams {
  return tidyOutput(() => {
    const mean = tf.mean(params.mean, 0, true);
    const secondMoment = tf.mean(tf.add(tf.exp(params.logVar), tf.square(params.mean)), 0, true);
    const variance = tf.maximum(tf.sub(secondMoment, tf.square(mean)), 1e-6);
    return { mean: stopGradient(mean) as tf.Tensor2D, logVar: stopGradient(tf.log(variance)) as tf.Tensor2D };
  });
}

/** N(0, I) in the [1, z] form gaussianKl broadcasts. */
export function standardNormal(latentDim: number): GaussianParams {
  return { mean: tf.zeros([1, latentDim]), logVar: tf.zeros([1, latentDim]) };
}
