/**
 * The information-entropy decoupling module (paper §3.2, eq. 1–3).
 *
 * Per modality m, two Gaussian encoders q(A_im | A_m) and q(A_om | A_m) produce the in-domain and the simulated
 * out-of-domain representations (reparameterised samples in training, means in eval), and a decoder
 * reconstructs A_m from [A_im, A_om]. L_DIS = (mutual-information term) + recon, averaged over modalities.
 *
 * Reconstruction (−E of eq. 3): the likelihood p(A_m | A_im, A_om) is a unit-variance Gaussian around the
 * decoder output, so −log p = ½‖A_m − Â_m‖² + const (summed over dims, averaged over the batch: the same scale
 * as the KL terms, as in an ELBO). The target A_m is detached: otherwise the upstream encoder can shrink A_m
 * itself to make it trivially reconstructable; it still learns through the decoder's input path.
 *
 * Mutual-information term, `estimator`:
 * - 'kl' — the literal eq. (2): KL(q(A_im|A_m) ‖ p(A_om)) + KL(q(A_om|A_m) ‖ p(A_im)). Because A_im and A_om are
 *   conditionally independent given A_m, I(A_im; A_om) ≤ I(A_m; A_im) ≤ E KL(q(A_im|A_m) ‖ r) for ANY density r
 *   (and likewise for A_om), so each KL is a valid upper bound whatever p is; the paper does not pin p down.
 *   `klPrior` chooses it:
 *   · 'other-branch' (default): p(A_om), p(A_im) are the marginals of the other branch, estimated as the
 *     moment-matched Gaussian of the batch's posterior mixture, with the gradient stopped (closest to the
 *     notation: p(A_om) is read as "the distribution of A_om"). It is 0 exactly when every posterior of one
 *     branch equals the other branch's aggregate.
 *   · 'standard-normal': p = N(0, I) for both, i.e. a two-group β-VAE bound; simpler, and its factorised prior
 *     also pushes the aggregate of A_im and A_om towards independence.
 *   Alternatives not implemented: each branch's own aggregate (the tightest r, but then the paper's crossing of
 *   im/om disappears) and a learned prior (a VampPrior-style mixture), which adds parameters the paper never
 *   mentions.
 * - 'club' — a CLUB estimate of I(A_im; A_om) itself (see club.ts) with one variational net per modality,
 *   fitted by the trainer through `clubLearningLoss` w.r.t. `clubVariables()` only.
 */
import * as tf from '@tensorflow/tfjs';
import { MODALITIES, type Modality } from '@midg/features';
import { Mlp, assertShape, deriveSeed, disposeVariables, partVariables, stopGradient, tidyOutput, type ForwardOptions, type ModalityTensors, type TrainablePart } from '@midg/nn';
import { ClubEstimator } from './club';
import { GaussianEncoder, batchAggregate, gaussianKl, standardNormal, type GaussianParams } from './gaussian';

export type DisEstimator = 'kl' | 'club';
export type KlPrior = 'other-branch' | 'standard-normal';

export interface EntropyDecouplerConfig {
  /** Modalities to decouple (any non-empty subset of t, a, v). */
  modalities: Modality[];
  /** Width d of each A_m. */
  inputDim: number;
  /** Width of A_im and A_om. Default inputDim. */
  latentDim?: number;
  /** Hidden width of the decoder. Default 2·inputDim. */
  decoderHidden?: number;
  /** Default 'kl'. */
  estimator?: DisEstimator;
  /** Prior of the 'kl' estimator. Default 'other-branch'. */
  klPrior?: KlPrior;
  /** Hidden width of the CLUB variational net. Default latentDim. */
  clubHidden?: number;
  /** Initial posterior log-variance; −2 (σ ≈ 0.37) keeps early samples usable downstream. Default −2. */
  initialLogVar?: number;
  seed: number;
}

export interface DecouplingParts {
  kl?: tf.Scalar;
  club?: tf.Scalar;
  recon: tf.Scalar;
}

export interface DecouplingOutput {
  /** A_im [B, latentDim] per modality: the in-domain stream (MoIE input). */
  inDomain: ModalityTensors<tf.Tensor2D>;
  /** A_om [B, latentDim] per modality: the simulated out-of-domain stream (Cross-Modal Adapter input). */
  outDomain: ModalityTensors<tf.Tensor2D>;
  /** L_DIS: the mutual-information term plus recon. */
  loss: tf.Scalar;
  parts: DecouplingParts;
}

/** The two posteriors of one modality. */
export interface BranchPosteriors {
  inDomain: GaussianParams;
  outDomain: GaussianParams;
}

interface ModalityBranches {
  inEncoder: GaussianEncoder;
  outEncoder: GaussianEncoder;
  decoder: Mlp;
  club?: ClubEstimator;
}

export class EntropyDecoupler implements TrainablePart {
  readonly modalities: Modality[];
  readonly inputDim: number;
  readonly latentDim: number;
  readonly estimator: DisEstimator;
  readonly klPrior: KlPrior;
  private readonly branches: Partial<Record<Modality, ModalityBranches>> = {};

  constructor(config: EntropyDecouplerConfig) {
    this.modalities = MODALITIES.filter((m) => config.modalities.includes(m));
    if (this.modalities.length === 0) throw new Error('EntropyDecoupler needs at least one modality');
    this.inputDim = config.inputDim;
    this.latentDim = config.latentDim ?? config.inputDim;
    this.estimator = config.estimator ?? 'kl';
    this.klPrior = config.klPrior ?? 'other-branch';
    const initialLogVar = config.initialLogVar ?? -2;
    for (const m of this.modalities) {
      const encoder = (branch: string) =>
        new GaussianEncoder({
          inputDim: this.inputDim,
          latentDim: this.latentDim,
          initialLogVar,
          seed: deriveSeed(config.seed, m, branch),
        });
      this.branches[m] = {
        inEncoder: encoder('in'),
        outEncoder: encoder('out'),
        decoder: new Mlp({
          inputDim: 2 * this.latentDim,
          hiddenDims: [config.decoderHidden ?? 2 * this.inputDim],
          outputDim: this.inputDim,
          seed: deriveSeed(config.seed, m, 'decoder'),
        }),
        club:
          this.estimator === 'club'
            ? new ClubEstimator({
                xDim: this.latentDim,
                yDim: this.latentDim,
                hiddenDim: config.clubHidden ?? this.latentDim,
                seed: deriveSeed(config.seed, m, 'club'),
              })
            : undefined,
      };
    }
  }

  /** q(A_im | A_m) and q(A_om | A_m) of one modality. */
  posteriors(modality: Modality, features: tf.Tensor2D): BranchPosteriors {
    const branch = this.branch(modality);
    assertShape(`EntropyDecoupler input "${modality}"`, features, 2, this.inputDim);
    return { inDomain: branch.inEncoder.posterior(features), outDomain: branch.outEncoder.posterior(features) };
  }

  /** features: A_m [B, inputDim] for every decoupled modality. */
  forward(features: ModalityTensors<tf.Tensor2D>, options: ForwardOptions): DecouplingOutput {
    return tidyOutput(() => {
      const inDomain: ModalityTensors<tf.Tensor2D> = {};
      const outDomain: ModalityTensors<tf.Tensor2D> = {};
      const dis: tf.Scalar[] = [];
      const recon: tf.Scalar[] = [];
      for (const m of this.modalities) {
        const x = features[m];
        if (!x) throw new Error(`EntropyDecoupler: missing features for modality "${m}"`);
        const branch = this.branch(m);
        const posteriors = this.posteriors(m, x);
        const zIn = options.training ? branch.inEncoder.sample(posteriors.inDomain) : posteriors.inDomain.mean;
        const zOut = options.training ? branch.outEncoder.sample(posteriors.outDomain) : posteriors.outDomain.mean;
        inDomain[m] = zIn;
        outDomain[m] = zOut;
        const reconstruction = branch.decoder.forward(tf.concat([zIn, zOut], 1), options);
        recon.push(tf.mean(tf.mul(tf.sum(tf.squaredDifference(reconstruction, stopGradient(x)), 1), 0.5)));
        dis.push(branch.club ? branch.club.estimate(zIn, zOut) : klBound(posteriors, this.klPrior));
      }
      const disTerm = tf.mean(tf.stack(dis)) as tf.Scalar;
      const reconTerm = tf.mean(tf.stack(recon)) as tf.Scalar;
      const parts: DecouplingParts =
        this.estimator === 'club' ? { club: disTerm, recon: reconTerm } : { kl: disTerm, recon: reconTerm };
      return { inDomain, outDomain, loss: tf.add(disTerm, reconTerm) as tf.Scalar, parts };
    });
  }

  /**
   * The CLUB nets' fitting loss (mean over modalities of −log q_θ(A_om | A_im)) on the given samples, typically a
   * forward pass's inDomain/outDomain. Minimise it w.r.t. `clubVariables()` only. Throws unless estimator is 'club'.
   */
  clubLearningLoss(inDomain: ModalityTensors<tf.Tensor2D>, outDomain: ModalityTensors<tf.Tensor2D>): tf.Scalar {
    if (this.estimator !== 'club') throw new Error(`clubLearningLoss needs estimator 'club' (this decoupler uses '${this.estimator}')`);
    return tf.tidy(() => {
      const losses = this.modalities.map((m) => {
        const x = inDomain[m];
        const y = outDomain[m];
        if (!x || !y) throw new Error(`clubLearningLoss: missing samples for modality "${m}"`);
        return this.branch(m).club!.learningLoss(x, y);
      });
      return tf.mean(tf.stack(losses)) as tf.Scalar;
    });
  }

  /** θ of the CLUB nets (empty for 'kl'); not part of trainableVariables(). */
  clubVariables(): tf.Variable[] {
    return partVariables(this.modalities.flatMap((m) => this.branch(m).club ?? []));
  }

  /** Encoders and decoders, in modality order (the CLUB nets are excluded: see clubVariables). */
  trainableVariables(): tf.Variable[] {
    return partVariables(
      this.modalities.flatMap((m) => {
        const { inEncoder, outEncoder, decoder } = this.branch(m);
        return [inEncoder, outEncoder, decoder];
      }),
    );
  }

  dispose(): void {
    disposeVariables([...this.trainableVariables(), ...this.clubVariables()]);
  }

  private branch(modality: Modality): ModalityBranches {
    const branch = this.branches[modality];
    if (!branch) throw new Error(`EntropyDecoupler was not built for modality "${modality}"`);
    return branch;
  }
}

/** Eq. (2)'s KL terms for one modality, averaged over the batch: KL(q_in ‖ p_out) + KL(q_out ‖ p_in). */
export function klBound(posteriors: BranchPosteriors, prior: KlPrior): tf.Scalar {
  return tf.tidy(() => {
    const latentDim = posteriors.inDomain.mean.shape[1];
    const [priorOfOut, priorOfIn] =
      prior === 'other-branch'
        ? [batchAggregate(posteriors.outDomain), batchAggregate(posteriors.inDomain)]
        : [standardNormal(latentDim), standardNormal(latentDim)];
    const total = tf.add(gaussianKl(posteriors.inDomain, priorOfOut), gaussianKl(posteriors.outDomain, priorOfIn));
    return tf.mean(total) as tf.Scalar;
  });
}
