/**
 * The parts that stand in for MIDG's modules in the Table 2 ablations: the conventional fusion network MoIE
 * replaces, and the plain head the Cross-Modal Adapter replaces.
 */
import * as tf from '@tensorflow/tfjs';
import type { Modality } from '@midg/features';
import { Dense, Mlp, MlpHead, deriveSeed, disposeVariables, partVariables, tidyOutput, type ForwardOptions, type ModalityTensors, type TrainablePart } from '@midg/nn';
import type { MidgConfig } from './schema';

export interface InDomainOutput {
  representation: tf.Tensor2D;
  prediction: tf.Tensor1D;
  gates?: tf.Tensor2D;
}

/**
 * "MoIE off" (Table 2): the conventional fusion network the paper says MoIE replaces — one feed-forward block of
 * the same width as an expert, then the same kind of head; no router, no discriminator, so no L_in.
 */
export class PlainFusion implements TrainablePart {
  private readonly block: Mlp;
  private readonly head: MlpHead;

  constructor(inputDim: number, config: MidgConfig, seed: number) {
    this.block = new Mlp({
      inputDim,
      hiddenDims: [config.expertHidden],
      outputDim: config.hiddenDim,
      dropout: config.dropout,
      seed: deriveSeed(seed, 'fusion'),
    });
    this.head = new MlpHead({ inputDim: config.hiddenDim, hiddenDim: config.hiddenDim, dropout: config.dropout, seed: deriveSeed(seed, 'head') });
  }

  forward(input: tf.Tensor2D, options: ForwardOptions): InDomainOutput {
    return tidyOutput(() => {
      const representation = this.block.forward(input, options);
      return { representation, prediction: this.head.forward(representation, options) };
    });
  }

  trainableVariables(): tf.Variable[] {
    return partVariables([this.block, this.head]);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}

/** "CM-Adapter off" (Table 2): concatenate O_m, the same fully connected layer and head, no knowledge injection. */
export class PlainOutOfDomainHead implements TrainablePart {
  private readonly fusion: Dense;
  private readonly head: MlpHead;

  constructor(
    private readonly modalities: Modality[],
    config: MidgConfig,
    seed: number,
  ) {
    this.fusion = new Dense({ inputDim: modalities.length * config.hiddenDim, units: config.hiddenDim, seed: deriveSeed(seed, 'fusion') });
    this.head = new MlpHead({ inputDim: config.hiddenDim, hiddenDim: config.hiddenDim, dropout: config.dropout, seed: deriveSeed(seed, 'head') });
  }

  forward(outDomain: ModalityTensors<tf.Tensor2D>, options: ForwardOptions): tf.Tensor1D {
    return tf.tidy(() => {
      const fused = this.fusion.forward(tf.concat(this.modalities.map((m) => outDomain[m]!), 1));
      return this.head.forward(fused, options);
    });
  }

  trainableVariables(): tf.Variable[] {
    return partVariables([this.fusion, this.head]);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
