import * as tf from '@tensorflow/tfjs';
import { Mlp, assertShape, type TrainablePart } from '@midg/nn';

export interface DomainDiscriminatorConfig {
  inputDim: number;
  /** Width of the hidden layer. Default 64. */
  hiddenDim?: number;
  seed: number;
}

/** D: a two-layer perceptron from a representation to the logit of "domain 1". */
export class DomainDiscriminator implements TrainablePart {
  private readonly mlp: Mlp;

  constructor(readonly config: DomainDiscriminatorConfig) {
    this.mlp = new Mlp({ inputDim: config.inputDim, hiddenDims: [config.hiddenDim ?? 64], outputDim: 1, seed: config.seed });
  }

  /** [B, inputDim] → logits [B]. */
  logits(representation: tf.Tensor2D): tf.Tensor1D {
    assertShape('DomainDiscriminator input', representation, 2, this.config.inputDim);
    return tf.tidy(() => tf.reshape(this.mlp.forward(representation, { training: false }), [-1]) as tf.Tensor1D);
  }

  /** Eq. (4): the mean binary cross-entropy of D(representation) against 0/1 domain labels [B], from logits (stable). */
  loss(representation: tf.Tensor2D, domainLabels: tf.Tensor1D): tf.Scalar {
    if (domainLabels.rank !== 1 || domainLabels.shape[0] !== representation.shape[0]) {
      throw new Error(`domain labels: expected shape [${representation.shape[0]}], got [${domainLabels.shape.join(', ')}]`);
    }
    return tf.tidy(() => tf.losses.sigmoidCrossEntropy(tf.cast(domainLabels, 'float32'), this.logits(representation)) as tf.Scalar);
  }

  trainableVariables(): tf.Variable[] {
    return this.mlp.trainableVariables();
  }

  dispose(): void {
    this.mlp.dispose();
  }
}
