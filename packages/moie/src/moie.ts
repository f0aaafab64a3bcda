/**
 * The Mixture of Invariant Experts (paper §3.3): a router weights K feed-forward experts applied to the fused
 * in-domain vector I = [I_t, I_a, I_v]; the weighted sum Σ_k g_k(I)·E_k(I) is the sentiment representation, an
 * MLP head maps it to ŷ1, and a discriminator behind a gradient reversal layer makes it domain-invariant (eq. 4).
 */
import * as tf from '@tensorflow/tfjs';
import { MlpHead, assertPositiveInt, deriveSeed, disposeVariables, partVariables, tidyOutput, type ForwardOptions, type TrainablePart } from '@midg/nn';
import { DomainDiscriminator, type DomainLossOutput } from './discriminator';
import { Expert, Router } from './experts';
import { gradientReversal } from './grl';

export interface MixtureOfInvariantExpertsConfig {
  /** Width of I (the concatenated in-domain representations). */
  inputDim: number;
  /** Width d of each expert's output, i.e. of the representation. Default 64. */
  hiddenDim?: number;
  /** Number of experts K. Default 4. */
  experts?: number;
  /** Router hidden width. Default 64. */
  routerHidden?: number;
  /** Expert hidden width. Default 128. */
  expertHidden?: number;
  /** Discriminator hidden width. Default 64. */
  discriminatorHidden?: number;
  /** Number of domains the discriminator tells apart. Default 2 (eq. 4's binary BCE); more: softmax. */
  domains?: number;
  /** Hidden width of the ŷ1 head. Default hiddenDim. */
  headHidden?: number;
  /** Dropout inside experts and the head. Default 0.1. */
  dropout?: number;
  seed: number;
}

export const MOIE_DEFAULTS = {
  hiddenDim: 64,
  experts: 4,
  routerHidden: 64,
  expertHidden: 128,
  discriminatorHidden: 64,
  dropout: 0.1,
} as const;

export interface MoieOutput {
  /** Σ_k g_k·E_k(I): [B, hiddenDim]. */
  representation: tf.Tensor2D;
  /** Router weights [B, K]. */
  gates: tf.Tensor2D;
  /** ŷ1 [B]. */
  prediction: tf.Tensor1D;
}

export class MixtureOfInvariantExperts implements TrainablePart {
  readonly router: Router;
  readonly experts: readonly Expert[];
  readonly head: MlpHead;
  readonly discriminator: DomainDiscriminator;

  constructor(config: MixtureOfInvariantExpertsConfig) {
    const hiddenDim = config.hiddenDim ?? MOIE_DEFAULTS.hiddenDim;
    const expertCount = config.experts ?? MOIE_DEFAULTS.experts;
    const dropout = config.dropout ?? MOIE_DEFAULTS.dropout;
    assertPositiveInt('MoIE experts', expertCount);
    this.router = new Router({
      inputDim: config.inputDim,
      experts: expertCount,
      hiddenDim: config.routerHidden ?? MOIE_DEFAULTS.routerHidden,
      seed: deriveSeed(config.seed, 'router'),
    });
    this.experts = Array.from(
      { length: expertCount },
      (_, k) =>
        new Expert({
          inputDim: config.inputDim,
          hiddenDim: config.expertHidden ?? MOIE_DEFAULTS.expertHidden,
          outputDim: hiddenDim,
          dropout,
          seed: deriveSeed(config.seed, 'expert', k),
        }),
    );
    this.head = new MlpHead({
      inputDim: hiddenDim,
      hiddenDim: config.headHidden ?? hiddenDim,
      dropout,
      seed: deriveSeed(config.seed, 'head'),
    });
    this.discriminator = new DomainDiscriminator({
      inputDim: hiddenDim,
      hiddenDim: config.discriminatorHidden ?? MOIE_DEFAULTS.discriminatorHidden,
      domains: config.domains ?? 2,
      seed: deriveSeed(config.seed, 'discriminator'),
    });
  }

  /** I [B, inputDim] → representation, gates and ŷ1. */
  forward(input: tf.Tensor2D, options: ForwardOptions): MoieOutput {
    return tidyOutput(() => {
      const gates = this.router.forward(input, options);
      const outputs = tf.stack(this.experts.map((expert) => expert.forward(input, options)), 1);
      const representation = tf.sum(tf.mul(tf.expandDims(gates, 2), outputs), 1) as tf.Tensor2D;
      return { representation, gates, prediction: this.head.forward(representation, options) };
    });
  }

  /**
   * L_in (eq. 4) through the GRL: BCE of D(GRL_λ(representation)) against 0/1 domain labels [B]. Minimising it trains
   * the discriminator to tell the domains apart while the representation (and everything before it) receives −λ
   * times that gradient, i.e. learns to confuse it.
   */
  domainLoss(representation: tf.Tensor2D, domainLabels: tf.Tensor1D, lambda: number): tf.Scalar {
    return tf.tidy(() => this.discriminator.loss(gradientReversal(representation, lambda), domainLabels));
  }

  /** domainLoss and, from the same logits, the discriminator's accuracy on the batch (for the epoch record). */
  domainLossAndAccuracy(representation: tf.Tensor2D, domainLabels: tf.Tensor1D, lambda: number): DomainLossOutput {
    return tidyOutput(() => this.discriminator.lossAndAccuracy(gradientReversal(representation, lambda), domainLabels));
  }

  /** Router, experts, head and discriminator (one optimizer suffices: the GRL handles the adversarial sign). */
  trainableVariables(): tf.Variable[] {
    return partVariables([this.router, ...this.experts, this.head, this.discriminator]);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}

/** Mean router weight per expert over a batch of gates [B, K] (for logging). */
export async function expertUsage(gates: tf.Tensor2D): Promise<number[]> {
  const mean = tf.mean(gates, 0);
  const usage = Array.from(await mean.data());
  mean.dispose();
  return usage;
}
