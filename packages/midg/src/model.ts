/**
 * MIDG assembled from its parts (paper §3, Fig. 1):
 *
 *   x_m ─encoders─▶ A_m ─decoupler─▶ A_im ─concat─▶ I ─MoIE─▶ ŷ1      (in-domain pipeline, §3.3)
 *                                 └▶ A_om = O_m ─CM-Adapter─▶ ŷ2     (out-of-domain pipeline, §3.4)
 *
 * Objective: alpha·L_in (eq. 4) + beta·L_out (eq. 6) + gamma·L_DIS (eq. 1–3) + delta·MSE(ŷ1, y)
 *            [+ envPenaltyWeight·(environment penalty across the domain labels), an option of issue 8].
 * Training prediction (logged as `mixMse`): mixWeight·ŷ1 + (1 − mixWeight)·ŷ2. Test: ŷ2 only (§4.3).
 * The domain-generalization options (invariantOn, grlSchedule, discriminatorOptimizer, domainLabels=video|cluster,
 * envPenalty) default to the paper's method. The reasons behind each choice are in docs/method.md.
 */
import * as tf from '@tensorflow/tfjs';
import { EntropyDecoupler } from '@midg/decoupling';
import { CrossModalAdapter, mseLoss } from '@midg/adapter';
import { type Modality } from '@midg/features';
import { MultimodalEncoder, deriveSeed, disposeVariables, partVariables, stopGradient, type ForwardOptions, type ModalityTensors } from '@midg/nn';
import { DomainDiscriminator, MOIE_DEFAULTS, MixtureOfInvariantExperts, dannLambda, expertUsage, gradientReversal, type DomainLossOutput } from '@midg/moie';
import type { Batch, DataInfo, LossBreakdown, ParameterGroup, SentimentModel, StepContext, UnlabeledBatch } from '@midg/trainer';
import { FlatAdam } from '@midg/trainer';
import type { MidgConfig } from './schema';
import { PlainFusion, PlainOutOfDomainHead } from './ablation-parts';
import { LatentDomains } from './latent-domains';

interface Streams {
  /** A_m, the encoders' output before decoupling (what domainLabels=cluster clusters). */
  shared: ModalityTensors<tf.Tensor2D>;
  inDomain: ModalityTensors<tf.Tensor2D>;
  outDomain: ModalityTensors<tf.Tensor2D>;
  decouplingLoss: tf.Scalar;
}

export class MidgModel implements SentimentModel {
  readonly config: MidgConfig;
  private readonly modalities: Modality[];
  private readonly encoder: MultimodalEncoder;
  private readonly decoupler: EntropyDecoupler;
  private readonly inDomain: MixtureOfInvariantExperts | PlainFusion;
  private readonly outDomain: CrossModalAdapter | PlainOutOfDomainHead;
  private readonly clubOptimizer?: FlatAdam;
  /** Detached A_im / A_om samples of the last training batch, for fitting the CLUB nets afterwards. */
  private lastSamples?: { inDomain: ModalityTensors<tf.Tensor2D>; outDomain: ModalityTensors<tf.Tensor2D> };
  /** invariantOn=shared: the discriminator on the fused out-of-domain stream [A_ot, A_oa, A_ov] (the test path). */
  private readonly sharedDiscriminator?: DomainDiscriminator;
  /** Number of domains the adversary tells apart (2 for stream/source; the training split's videos; K clusters). */
  private readonly domains: number;
  /** domainLabels=cluster: the k-means latent domains on A_m, refreshed at every epoch's end. */
  private readonly latentDomains?: LatentDomains;
  /** envPenalty=groupdro: the group weights q ∈ Δ^G (state, not trained by the optimizer) and the last step's risks. */
  private groupWeights?: tf.Tensor1D;
  private lastGroupRisks?: { means: tf.Tensor1D; present: tf.Tensor1D };

  /** `name`: the registered model this instance belongs to (midg, or midg-dg with other defaults). */
  constructor(
    config: MidgConfig,
    info: DataInfo,
    seed: number,
    readonly name = 'midg',
  ) {
    if (config.domainLabels === 'source' && info.sourceCount !== 2) {
      throw new Error(
        `domainLabels=source needs exactly two source datasets (eq. 4 is a binary cross-entropy), e.g. --source synth:mosi+synth:sims; this run has ${info.sourceCount}`,
      );
    }
    if (config.domainLabels === 'video' && !((info.groupCount ?? 0) >= 2)) {
      throw new Error(`domainLabels=video needs at least two videos in the training split; this run has ${info.groupCount ?? 'no group count'}`);
    }
    this.domains = config.domainLabels === 'video' ? info.groupCount! : config.domainLabels === 'cluster' ? config.clusterCount : 2;
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
          ...(config.invariantOn === 'moie' && this.domains !== 2 ? { domains: this.domains } : {}),
          seed: deriveSeed(seed, 'moie'),
        });
    if (config.invariantOn === 'shared' && !moieOff) {
      this.sharedDiscriminator = new DomainDiscriminator({
        inputDim: fusedDim,
        hiddenDim: MOIE_DEFAULTS.discriminatorHidden,
        domains: this.domains,
        seed: deriveSeed(seed, 'shared-discriminator'),
      });
    }
    this.outDomain = adapterOff
      ? new PlainOutOfDomainHead(this.modalities, config, deriveSeed(seed, 'out-domain'))
      : new CrossModalAdapter({
          modalities: this.modalities,
          dim: config.hiddenDim,
          heads: config.heads,
          dropout: config.dropout,
          seed: deriveSeed(seed, 'adapter'),
        });
    // tf.train.adam's step as one flat update (trainer's FlatAdam: same numbers, a few kernels instead of ~14 per variable).
    if (config.estimator === 'club') this.clubOptimizer = new FlatAdam(this.decoupler.clubVariables(), { learningRate: config.clubLearningRate });
    if (config.domainLabels === 'cluster' && (this.hasAdversary() || config.envPenalty !== 'none')) {
      this.latentDomains = new LatentDomains({ trainSize: info.trainSize, clusters: config.clusterCount, seed });
    }
    if (config.envPenalty === 'groupdro') this.groupWeights = tf.keep(tf.fill([this.domains], 1 / this.domains) as tf.Tensor1D);
  }

  trainableVariables(): tf.Variable[] {
    return partVariables([this.encoder, this.decoupler, this.inDomain, this.outDomain, ...(this.sharedDiscriminator ? [this.sharedDiscriminator] : [])]);
  }

  /** The variables of the discriminator that plays the adversarial game (none without MoIE). */
  discriminatorVariables(): tf.Variable[] {
    if (this.sharedDiscriminator) return this.sharedDiscriminator.trainableVariables();
    return this.inDomain instanceof MixtureOfInvariantExperts ? this.inDomain.discriminator.trainableVariables() : [];
  }

  /** One group (the paper: one Adam), or with discriminatorOptimizer=separate the discriminator in its own group. */
  parameterGroups(): ParameterGroup[] {
    const all = this.trainableVariables();
    const discriminator = this.config.discriminatorOptimizer === 'separate' ? this.discriminatorVariables() : [];
    if (discriminator.length === 0) return [{ name: 'all', variables: all }];
    return [
      { name: 'main', variables: all.filter((v) => !discriminator.includes(v)) },
      { name: 'discriminator', variables: discriminator, learningRate: this.config.discriminatorLearningRate },
    ];
  }

  lossWeights(): Record<string, number> {
    const { alpha, beta, gamma, delta } = this.config;
    const weights: Record<string, number> = { out: beta, dis: gamma, inMse: delta };
    // Latent domains enter the total through `inApplied` (L_in, weighted 0 until the first clustering).
    if (this.hasAdversary()) weights[this.latentDomains ? 'inApplied' : 'in'] = alpha;
    if (this.config.envPenalty !== 'none') weights.envApplied = this.config.envPenaltyWeight;
    return weights;
  }

  /** The GRL strength at this point of training: constant, or the DANN ramp over `progress`. */
  grlLambdaAt(context: StepContext): number {
    return this.config.grlSchedule === 'dann' ? dannLambda(this.config.grlLambda, context.progress) : this.config.grlLambda;
  }

  losses(batch: Batch, context: StepContext): LossBreakdown {
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
      const adversarial = this.adversarialLoss(this.inDomain, inDomain.representation, streams, batch, training, this.grlLambdaAt(context));
      parts.in = adversarial.loss;
      parts.discAcc = adversarial.accuracy;
      let applied = adversarial.loss;
      if (this.latentDomains) applied = parts.inApplied = tf.mul(adversarial.loss, this.domainsReady() ? 1 : 0);
      total = tf.add(total, tf.mul(alpha, applied));
    }
    if (this.config.envPenalty !== 'none') {
      // Logged always; weighted 0 during the warm-up and before the first clustering (envApplied enters the total).
      const penalty = this.environmentPenalty(batch, y2);
      parts.env = penalty;
      parts.envApplied = tf.mul(penalty, context.epoch > this.config.envWarmupEpochs && this.domainsReady() ? 1 : 0);
      total = tf.add(total, tf.mul(this.config.envPenaltyWeight, parts.envApplied));
    }
    if (this.clubOptimizer) this.rememberSamples(streams);
    this.latentDomains?.remember(batch.indices, stopGradient(this.fuse(streams.shared)));
    return { total, parts };
  }

  predict(batch: UnlabeledBatch): tf.Tensor1D {
    return tf.tidy(() => this.predictOutOfDomain(this.streams(batch, { training: false }).outDomain, { training: false }));
  }

  /**
   * Fits the CLUB variational nets q(A_om | A_im) on the last training batch's samples (their own optimizer), and
   * with envPenalty=groupdro takes GroupDRO's exponentiated-gradient step on the group weights:
   * q_g ← q_g·exp(η·R_g) for the groups in the batch, then q ← q / Σq (Sagawa et al., 2020, Alg. 1).
   */
  afterStep(): void {
    this.latentDomains?.collect();
    if (this.groupWeights && this.lastGroupRisks) {
      const { means, present } = this.lastGroupRisks;
      const previous = this.groupWeights;
      this.groupWeights = tf.keep(
        tf.tidy(() => {
          const grown = tf.mul(previous, tf.exp(tf.mul(tf.mul(means, present), this.config.groupDroStep)));
          return tf.div(grown, tf.sum(grown)) as tf.Tensor1D;
        }),
      );
      previous.dispose();
      this.forgetGroupRisks();
    }
    if (!this.clubOptimizer || !this.lastSamples) return;
    const { inDomain, outDomain } = this.lastSamples;
    this.clubOptimizer.minimize(() => this.decoupler.clubLearningLoss(inDomain, outDomain));
  }

  /** domainLabels=cluster: re-clusters the A_m rows gathered during the epoch; the report is recorded with the epoch. */
  async onEpochEnd(context: StepContext): Promise<Record<string, number> | void> {
    return this.latentDomains?.refresh(context.epoch);
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
    this.forgetGroupRisks();
    this.groupWeights?.dispose();
    this.latentDomains?.dispose();
    disposeVariables([...this.trainableVariables(), ...this.decoupler.clubVariables()]);
    this.clubOptimizer?.dispose();
  }

  private streams(batch: UnlabeledBatch, options: ForwardOptions): Streams {
    const encoded = this.encoder.forward(batch.features, batch.masks, options);
    const decoupled = this.decoupler.forward(encoded, options);
    return { shared: encoded, inDomain: decoupled.inDomain, outDomain: decoupled.outDomain, decouplingLoss: decoupled.loss };
  }

  private fuse(stream: ModalityTensors<tf.Tensor2D>): tf.Tensor2D {
    return tf.concat(this.modalities.map((m) => stream[m]!), 1);
  }

  private predictOutOfDomain(outDomain: ModalityTensors<tf.Tensor2D>, options: ForwardOptions): tf.Tensor1D {
    return this.outDomain instanceof CrossModalAdapter
      ? this.outDomain.forward(outDomain, options).prediction
      : this.outDomain.forward(outDomain, options);
  }

  private hasAdversary(): boolean {
    return this.inDomain instanceof MixtureOfInvariantExperts;
  }

  /**
   * Per-sample domain labels [B] of `source` (source-dataset id), `video` (group id of the split's ids) and `cluster`
   * (the sample's latent domain; all 0 before the first clustering).
   */
  private sampleDomains(batch: Batch): tf.Tensor1D {
    if (this.latentDomains) return tf.tensor1d(this.latentDomains.labelsOf(batch.indices), 'int32');
    return this.config.domainLabels === 'video' ? tf.tensor1d(batch.groupIds, 'int32') : batch.sourceIds;
  }

  /** False only for latent domains before their first clustering (the fallback: one domain, weight 0). */
  private domainsReady(): boolean {
    return this.latentDomains?.ready ?? true;
  }

  /**
   * The environment penalty on the per-sample loss of the test-path prediction ŷ2, across the domain labels.
   * Group means use oneHot·matMul (no gather gradient on wasm, no tf.where on the gradient path); groups absent
   * from the batch are masked out.
   *   vrex:     Var_g(R_g), the (population) variance of the per-group mean squared errors (V-REx).
   *   irm:      mean_g (∂R_g(w)/∂w |_{w=1})², R_g(w) = mean_{i∈g} (w·ŷ_i − y_i)², whose derivative is
   *             mean_{i∈g} 2(ŷ_i − y_i)·ŷ_i (IRMv1 in closed form for the squared error).
   *   groupdro: Σ_g q_g·R_g with the group weights q of afterStep (the robust risk; its value is logged too).
   */
  private environmentPenalty(batch: Batch, prediction: tf.Tensor1D): tf.Scalar {
    // The environments are the per-sample domain labels (stream is refused by checkMidgConfig).
    const oneHot = tf.cast(tf.oneHot(tf.cast(this.sampleDomains(batch), 'int32'), this.domains), 'float32') as tf.Tensor2D;
    const counts = tf.sum(oneHot, 0) as tf.Tensor1D;
    const present = tf.minimum(counts, 1) as tf.Tensor1D;
    const presentCount = tf.maximum(tf.sum(present), 1);
    const groupMean = (values: tf.Tensor1D): tf.Tensor1D =>
      tf.div(tf.reshape(tf.matMul(tf.reshape(values, [1, -1]), oneHot), [-1]), tf.maximum(counts, 1)) as tf.Tensor1D;
    const residual = tf.sub(prediction, batch.labels) as tf.Tensor1D;
    if (this.config.envPenalty === 'irm') {
      const slope = groupMean(tf.mul(tf.mul(residual, 2), prediction) as tf.Tensor1D);
      return tf.div(tf.sum(tf.mul(tf.square(slope), present)), presentCount) as tf.Scalar;
    }
    const risks = groupMean(tf.square(residual) as tf.Tensor1D);
    if (this.config.envPenalty === 'groupdro') {
      this.forgetGroupRisks();
      this.lastGroupRisks = { means: tf.keep(tf.clone(risks)), present: tf.keep(tf.clone(present)) };
      return tf.sum(tf.mul(this.groupWeights!, risks)) as tf.Scalar;
    }
    return varianceOverPresent(risks, present);
  }

  /**
   * L_in (eq. 4) and the discriminator's batch accuracy. invariantOn=moie (the paper): 'stream': the experts'
   * outputs on the in-domain stream (label 0) and on the simulated out-of-domain stream (label 1) must be
   * indistinguishable; 'source': the in-domain representation against the real source-dataset id (exactly two
   * sources, id 0/1); 'video': against the sample's video id (softmax over the training split's videos).
   * invariantOn=shared: the fused out-of-domain stream [A_ot, A_oa, A_ov] (what ŷ2 is computed from) against the
   * source or video id, through its own discriminator.
   */
  private adversarialLoss(
    moie: MixtureOfInvariantExperts,
    inRepresentation: tf.Tensor2D,
    streams: Streams,
    batch: Batch,
    options: ForwardOptions,
    lambda: number,
  ): DomainLossOutput {
    if (this.sharedDiscriminator) {
      return this.sharedDiscriminator.lossAndAccuracy(gradientReversal(this.fuse(streams.outDomain), lambda), this.sampleDomains(batch));
    }
    if (this.config.domainLabels !== 'stream') {
      return moie.domainLossAndAccuracy(inRepresentation, this.sampleDomains(batch), lambda);
    }
    // The simulated out-of-domain stream is the reference the experts must map onto the same distribution; its
    // gradient is stopped so the adversarial game cannot pull A_om towards A_im (§3.2 keeps them distinct).
    const outRepresentation = moie.forward(stopGradient(this.fuse(streams.outDomain)), options).representation;
    const size = inRepresentation.shape[0];
    const labels = tf.concat([tf.zeros([size]), tf.ones([size])]) as tf.Tensor1D;
    return moie.domainLossAndAccuracy(tf.concat([inRepresentation, outRepresentation], 0), labels, lambda);
  }

  private forgetGroupRisks(): void {
    if (!this.lastGroupRisks) return;
    tf.dispose([this.lastGroupRisks.means, this.lastGroupRisks.present]);
    this.lastGroupRisks = undefined;
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


/**
 * V-REx's penalty (Krueger et al., 2021): the variance of the per-group risks `risks` [G] over the groups marked
 * present (`present` [G], 1 or 0); 0 with fewer than two groups. Population variance (divided by the group count).
 */
export function varianceOverPresent(risks: tf.Tensor1D, present: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const count = tf.maximum(tf.sum(present), 1);
    const mean = tf.div(tf.sum(tf.mul(risks, present)), count);
    return tf.div(tf.sum(tf.mul(tf.square(tf.sub(risks, mean)), present)), count) as tf.Scalar;
  });
}
