import * as tf from '@tensorflow/tfjs';
import { Mlp, assertShape, tidyOutput, type TrainablePart } from '@midg/nn';

export interface DomainDiscriminatorConfig {
  inputDim: number;
  /** Width of the hidden layer. Default 64. */
  hiddenDim?: number;
  /**
   * Number of domains. 2 (the default) is eq. 4: one logit, sigmoid BCE against 0/1 labels. More than 2: one logit
   * per domain, softmax cross-entropy against integer labels in [0, domains) (eq. 4's multi-class form).
   */
  domains?: number;
  seed: number;
}

/** The discriminator's loss on a batch and the fraction of the batch whose domain it got right (no gradient). */
export interface DomainLossOutput {
  loss: tf.Scalar;
  accuracy: tf.Scalar;
}

/** D: a two-layer perceptron from a representation to the logit of "domain 1" (or one logit per domain). */
export class DomainDiscriminator implements TrainablePart {
  private readonly mlp: Mlp;
  readonly domains: number;

  constructor(readonly config: DomainDiscriminatorConfig) {
    this.domains = config.domains ?? 2;
    if (!Number.isInteger(this.domains) || this.domains < 2) throw new Error(`DomainDiscriminator needs at least 2 domains, got ${config.domains}`);
    const outputDim = this.domains === 2 ? 1 : this.domains;
    this.mlp = new Mlp({ inputDim: config.inputDim, hiddenDims: [config.hiddenDim ?? 64], outputDim, seed: config.seed });
  }

  /** [B, inputDim] → logits [B] (2 domains) or [B, domains]. */
  logits(representation: tf.Tensor2D): tf.Tensor1D | tf.Tensor2D {
    assertShape('DomainDiscriminator input', representation, 2, this.config.inputDim);
    return tf.tidy(() => {
      const out = this.mlp.forward(representation, { training: false });
      return this.domains === 2 ? (tf.reshape(out, [-1]) as tf.Tensor1D) : out;
    });
  }

  /** Eq. (4): the mean binary cross-entropy of D(representation) against 0/1 domain labels [B], from logits (stable). */
  loss(representation: tf.Tensor2D, domainLabels: tf.Tensor1D): tf.Scalar {
    return tf.tidy(() => this.lossAndAccuracy(representation, domainLabels).loss);
  }

  /**
   * Eq. (4) and the discriminator's accuracy from the same logits: 2 domains, sigmoid BCE and (logit > 0) = label;
   * more, softmax cross-entropy over integer labels and argmax = label.
   */
  lossAndAccuracy(representation: tf.Tensor2D, domainLabels: tf.Tensor1D): DomainLossOutput {
    if (domainLabels.rank !== 1 || domainLabels.shape[0] !== representation.shape[0]) {
      throw new Error(`domain labels: expected shape [${representation.shape[0]}], got [${domainLabels.shape.join(', ')}]`);
    }
    return tidyOutput(() => {
      const logits = this.logits(representation);
      const labels = tf.cast(domainLabels, 'float32');
      if (this.domains === 2) {
        const loss = tf.losses.sigmoidCrossEntropy(labels, logits) as tf.Scalar;
        const guess = tf.cast(tf.greater(logits, 0), 'float32');
        return { loss, accuracy: tf.mean(tf.cast(tf.equal(guess, labels), 'float32')) as tf.Scalar };
      }
      const oneHot = tf.oneHot(tf.cast(domainLabels, 'int32'), this.domains);
      const loss = tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
      const guess = tf.argMax(logits, 1);
      return { loss, accuracy: tf.mean(tf.cast(tf.equal(guess, tf.cast(domainLabels, 'int32')), 'float32')) as tf.Scalar };
    });
  }

  trainableVariables(): tf.Variable[] {
    return this.mlp.trainableVariables();
  }

  dispose(): void {
    this.mlp.dispose();
  }
}
