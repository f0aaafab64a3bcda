import * as tf from '@tensorflow/tfjs';
import { Mlp, assertShape, deriveSeed, type ForwardOptions, type TrainablePart } from '@midg/nn';

export interface RouterConfig {
  inputDim: number;
  /** Number of experts K. */
  experts: number;
  /** Width of the hidden linear layer. Default 64. */
  hiddenDim?: number;
  seed: number;
}

/** The router G: two linear layers (ReLU between) and a softmax, giving g(x) ∈ Δ^K per sample. */
export class Router implements TrainablePart {
  private readonly mlp: Mlp;

  constructor(readonly config: RouterConfig) {
    this.mlp = new Mlp({
      inputDim: config.inputDim,
      hiddenDims: [config.hiddenDim ?? 64],
      outputDim: config.experts,
      seed: config.seed,
    });
  }

  /** I [B, inputDim] → gates [B, K], each row summing to 1. */
  forward(input: tf.Tensor2D, options: ForwardOptions): tf.Tensor2D {
    assertShape('Router input', input, 2, this.config.inputDim);
    return tf.tidy(() => tf.softmax(this.mlp.forward(input, options)));
  }

  trainableVariables(): tf.Variable[] {
    return this.mlp.trainableVariables();
  }

  dispose(): void {
    this.mlp.dispose();
  }
}

export interface ExpertConfig {
  inputDim: number;
  /** Hidden width. Default 128. */
  hiddenDim?: number;
  outputDim: number;
  /** Dropout after the hidden layer. Default 0.1. */
  dropout?: number;
  seed: number;
}

/** One expert E_k: a feed-forward network (dense → ReLU → dropout → dense). */
export class Expert implements TrainablePart {
  private readonly mlp: Mlp;

  constructor(readonly config: ExpertConfig) {
    this.mlp = new Mlp({
      inputDim: config.inputDim,
      hiddenDims: [config.hiddenDim ?? 128],
      outputDim: config.outputDim,
      dropout: config.dropout ?? 0.1,
      seed: deriveSeed(config.seed, 'expert'),
    });
  }

  forward(input: tf.Tensor2D, options: ForwardOptions): tf.Tensor2D {
    assertShape('Expert input', input, 2, this.config.inputDim);
    return this.mlp.forward(input, options);
  }

  trainableVariables(): tf.Variable[] {
    return this.mlp.trainableVariables();
  }

  dispose(): void {
    this.mlp.dispose();
  }
}
