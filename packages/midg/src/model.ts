/**
 * MIDG assembled from its parts (paper §3, Fig. 1):
 *
 *   x_m ─encoders─▶ A_m ─decoupler─▶ A_im ─concat─▶ I ─MoIE─▶ ŷ1      (in-domain pipeline, §3.3)
 *                                 └▶ A_om = O_m ─CM-Adapter─▶ ŷ2     (out-of-domain pipeline, §3.4)
 *
 * Objective: alpha·L_in (eq. 4) + beta·L_out (eq. 6) + gamma·L_DIS (eq. 1–3) + delta·MSE(ŷ1, y).
 * Training prediction (logged as `mixMse`): mixWeight·ŷ1 + (1 − mixWeight)·ŷ2. Test: ŷ2 only (§4.3).
 * The reasons behind each choice are in docs/method.md.
 */
import * as tf from '@tensorflow/tfjs';
import { EntropyDecoupler } from '@midg/decoupling';
import { CrossModalAdapter, mseLoss } from '@midg/adapter';
import { type Modality } from '@midg/features';
import { Dense, Mlp, MlpHead, MultimodalEncoder, deriveSeed, disposeVariables, partVariables, stopGradient, tidyOutput, type ForwardOptions, type ModalityTensors, type TrainablePart } from '@midg/nn';
import { MixtureOfInvariantExperts, expertUsage } from '@midg/moie';
import type { Batch, DataInfo, LossBreakdown, SentimentModel, StepContext, UnlabeledBatch } from '@midg/trainer';
import type { MidgConfig } from './schema';

interface InDomainOutput {
  representation: tf.Tensor2D;
  prediction: tf.Tensor1D;
  gates?: tf.Tensor2D;
}

/**
 * "MoIE off" (Table 2): the conventional fusion network the paper says MoIE replaces — one feed-forward block of
 * the same width as an expert, then the same kind of head; no router, no discriminator, so no L_in.
 */
class PlainFusion implements TrainablePart {
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
class PlainOutOfDomainHead implements TrainablePart {
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

interface Streams {
  inDomain: ModalityTensors<tf.Tensor2D>;
  outDomain: ModalityTensors<tf.Tensor2D>;
  decouplingLoss: tf.Scalar;
}

export class MidgModel implements SentimentModel {
  readonly name = 'midg';
  readonly config: MidgConfig;
  private readonly modalities: Modality[];
  private readonly encoder: MultimodalEncoder;
  private readonly decoupler: EntropyDecoupler;
  private readonly inDomain: MixtureOfInvariantExperts | PlainFusion;
  private readonly outDomain: CrossModalAdapter | PlainOutOfDomainHead;
  private readonly clubOptimizer?: tf.Optimizer;
  /** Detached A_im / A_om samples of the last training batch, for fitting the CLUB nets afterwards. */
  private lastSamples?: { inDomain: ModalityTensors<tf.Tensor2D>; outDomain: ModalityTensors<tf.Tensor2D> };

  constructor(config: MidgConfig, info: DataInfo, seed: number) {
    if (config.domainLabels === 'source' && info.sourceCount !== 2) {
      throw new Error(
        `domainLabels=source needs exactly two source datasets (eq. 4 is a binary cross-entropy), e.g. --source synth:mosi+synth:sims; this run has ${info.sourceCount}`,
      );
    }
    this.config = config;
    this.modalities = info.modalities;
    const dims: Partial<Record<Modality, number>> = {};
    for (const m of this.modalities) dims[m] = info.dims[m];
    this.encoder = new MultimodalEncoder({ dims, hiddenDim: config.hiddenDim, dropout: config.dropout, seed: deriveSeed(seed, 'encoder') });
    this.decoupler = new EntropyDecoupler({
      modalities: this.modalities,
      inputDim: config.hiddenDim,
      estimator: config.estimator,
      klPrior: config.klPrior,
      seed: deriveSeed(seed, 'decoupler'),
    });
    const fusedDim = this.modalities.length * config.hiddenDim;
    const moieOff = config.ablation === 'no-moie' || config.ablation === 'no-moie-no-adapter';
    const adapterOff = config.ablation === 'no-adapter' || config.ablation === 'no-moie-no-adapter';
    this.inDomain = moieOff
      ? new PlainFusion(fusedDim, config, deriveSeed(seed, 'in-domain'))
      : new MixtureOfInvariantExperts({
          inputDim: fusedDim,
          hiddenDim: config.hiddenDim,
          experts: config.experts,
          routerHidden: config.routerHidden,
          expertHidden: config.expertHidden,
          dropout: config.dropout,
          seed: deriveSeed(seed, 'moie'),
        });
    this.outDomain = adapterOff
      ? new PlainOutOfDomainHead(this.modalities, config, deriveSeed(seed, 'out-domain'))
      : new CrossModalAdapter({
          modalities: this.modalities,
          dim: config.hiddenDim,
          heads: config.heads,
          dropout: config.dropout,
          seed: deriveSeed(seed, 'adapter'),
        });
    if (config.estimator === 'club') this.clubOptimizer = tf.train.adam(config.clubLearningRate);
  }

  trainableVariables(): tf.Variable[] {
    return partVariables([this.encoder, this.decoupler, this.inDomain, this.outDomain]);
  }

  lossWeights(): Record<string, number> {
    const { alpha, beta, gamma, delta } = this.config;
    return this.inDomain instanceof MixtureOfInvariantExperts ? { in: alpha, out: beta, dis: gamma, inMse: delta } : { out: beta, dis: gamma, inMse: delta };
  }

  losses(batch: Batch, _context: StepContext): LossBreakdown {
    const training = { training: true };
    const { alpha, beta, gamma, delta, mixWeight } = this.config;
    const streams = this.streams(batch, training);
    const fused = this.fuse(streams.inDomain);
    const inDomain = this.inDomain.forward(fused, training);
    const y2 = this.predictOutOfDomain(streams.outDomain, training);
    const inMse = mseLoss(batch.labels, inDomain.prediction);
    const outMse = mseLoss(batch.labels, y2);
    const mixed = tf.add(tf.mul(inDomain.prediction, mixWeight), tf.mul(y2, 1 - mixWeight)) as tf.Tensor1D;
    const parts: Record<string, tf.Scalar> = {
      dis: streams.decouplingLoss,
      out: outMse,
      inMse,
      mixMse: mseLoss(batch.labels, mixed),
    };
    let total = tf.addN([tf.mul(beta, outMse), tf.mul(gamma, streams.decouplingLoss), tf.mul(delta, inMse)]) as tf.Scalar;
    if (this.inDomain instanceof MixtureOfInvariantExperts) {
      const adversarial = this.adversarialLoss(this.inDomain, inDomain.representation, streams, batch, training);
      parts.in = adversarial;
      total = tf.add(total, tf.mul(alpha, adversarial));
    }
    if (this.clubOptimizer) this.rememberSamples(streams);
    return { total, parts };
  }

  predict(batch: UnlabeledBatch): tf.Tensor1D {
    return tf.tidy(() => this.predictOutOfDomain(this.streams(batch, { training: false }).outDomain, { training: false }));
  }

  /** Fits the CLUB variational nets q(A_om | A_im) on the last training batch's samples (their own optimizer). */
  afterStep(): void {
    if (!this.clubOptimizer || !this.lastSamples) return;
    const { inDomain, outDomain } = this.lastSamples;
    const cost = this.clubOptimizer.minimize(() => this.decoupler.clubLearningLoss(inDomain, outDomain), false, this.decoupler.clubVariables());
    cost?.dispose();
  }

  async expertUsage(batch: UnlabeledBatch): Promise<number[]> {
    if (!(this.inDomain instanceof MixtureOfInvariantExperts)) return [];
    const gates = tf.tidy(() => {
      const streams = this.streams(batch, { training: false });
      return (this.inDomain as MixtureOfInvariantExperts).router.forward(this.fuse(streams.inDomain), { training: false });
    });
    const usage = await expertUsage(gates);
    gates.dispose();
    return usage;
  }

  dispose(): void {
    this.forgetSamples();
    disposeVariables([...this.trainableVariables(), ...this.decoupler.clubVariables()]);
    this.clubOptimizer?.dispose();
  }

  private streams(batch: UnlabeledBatch, options: ForwardOptions): Streams {
    const encoded = this.encoder.forward(batch.features, batch.masks, options);
    const decoupled = this.decoupler.forward(encoded, options);
    return { inDomain: decoupled.inDomain, outDomain: decoupled.outDomain, decouplingLoss: decoupled.loss };
  }

  private fuse(stream: ModalityTensors<tf.Tensor2D>): tf.Tensor2D {
    return tf.concat(this.modalities.map((m) => stream[m]!), 1);
  }

  private predictOutOfDomain(outDomain: ModalityTensors<tf.Tensor2D>, options: ForwardOptions): tf.Tensor1D {
    return this.outDomain instanceof CrossModalAdapter
      ? this.outDomain.forward(outDomain, options).prediction
      : this.outDomain.forward(outDomain, options);
  }

  /**
   * L_in (eq. 4). 'stream': the experts' outputs on the in-domain stream (label 0) and on the simulated
   * out-of-domain stream (label 1) must be indistinguishable. 'source': the in-domain representation against the
   * real source-dataset id (eq. 4 is a binary BCE, so exactly two sources: id 0/1).
   */
  private adversarialLoss(
    moie: MixtureOfInvariantExperts,
    inRepresentation: tf.Tensor2D,
    streams: Streams,
    batch: Batch,
    options: ForwardOptions,
  ): tf.Scalar {
    if (this.config.domainLabels === 'source') {
      return moie.domainLoss(inRepresentation, batch.sourceIds, this.config.grlLambda);
    }
    // The simulated out-of-domain stream is the reference the experts must map onto the same distribution; its
    // gradient is stopped so the adversarial game cannot pull A_om towards A_im (§3.2 keeps them distinct).
    const outRepresentation = moie.forward(stopGradient(this.fuse(streams.outDomain)), options).representation;
    const size = inRepresentation.shape[0];
    const labels = tf.concat([tf.zeros([size]), tf.ones([size])]) as tf.Tensor1D;
    return moie.domainLoss(tf.concat([inRepresentation, outRepresentation], 0), labels, this.config.grlLambda);
  }

  private rememberSamples(streams: Streams): void {
    this.forgetSamples();
    const detach = (stream: ModalityTensors<tf.Tensor2D>) => {
      const copy: ModalityTensors<tf.Tensor2D> = {};
      for (const m of this.modalities) copy[m] = tf.keep(tf.clone(stream[m]!));
      return copy;
    };
    this.lastSamples = { inDomain: detach(streams.inDomain), outDomain: detach(streams.outDomain) };
  }

  private forgetSamples(): void {
    if (!this.lastSamples) return;
    tf.dispose([...Object.values(this.lastSamples.inDomain), ...Object.values(this.lastSamples.outDomain)]);
    this.lastSamples = undefined;
  }
}

