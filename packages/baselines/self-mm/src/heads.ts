import * as tf from '@tensorflow/tfjs';
import { Dense, Dropout, deriveSeed, partVariables, disposeVariables, type ForwardOptions, type TrainablePart } from '@midg/nn';

export interface PostHeadOutput {
  /** The first hidden layer [B, hiddenDim]: the representation Self-MM stores per sample and clusters. */
  feature: tf.Tensor2D;
  /** The regression output [B]. */
  prediction: tf.Tensor1D;
}

/**
 * One of Self-MM's four "post" heads: dropout → dense+ReLU (the stored feature) → dense+ReLU → dense → ŷ.
 * Written out (rather than nn's MlpHead) because the label generator needs the first hidden layer.
 */
export class PostHead implements TrainablePart {
  private readonly first: Dense;
  private readonly second: Dense;
  private readonly output: Dense;
  private readonly dropout: Dropout;

  constructor(config: { inputDim: number; hiddenDim: number; dropout: number; seed: number }) {
    const { inputDim, hiddenDim, dropout, seed } = config;
    this.dropout = new Dropout(dropout, deriveSeed(seed, 'dropout'));
    this.first = new Dense({ inputDim, units: hiddenDim, activation: 'relu', seed: deriveSeed(seed, 'layer1') });
    this.second = new Dense({ inputDim: hiddenDim, units: hiddenDim, activation: 'relu', seed: deriveSeed(seed, 'layer2') });
    this.output = new Dense({ inputDim: hiddenDim, units: 1, seed: deriveSeed(seed, 'layer3') });
  }

  forward(x: tf.Tensor2D, options: ForwardOptions): PostHeadOutput {
    const feature = this.first.forward(this.dropout.apply(x, options));
    const prediction = tf.reshape(this.output.forward(this.second.forward(feature)), [-1]) as tf.Tensor1D;
    return { feature, prediction };
  }

  trainableVariables(): tf.Variable[] {
    return partVariables([this.first, this.second, this.output]);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
