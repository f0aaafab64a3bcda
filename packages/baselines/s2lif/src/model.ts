/**
 * S2LIF (Zhao et al., ACM MM 2024, "Learning in Order!"), reconstructed from the paper (no public code):
 *   text:  h_t = E_t(x_t); m_t = ST(σ(θ_t)) (one learnable mask over the features); x_tᶜ = m_t ⊙ h_t;
 *          ŷ_t = head_t(x_tᶜ); L_t = MSE(ŷ_t, y).
 *   video: h_v = E_v(x_v); m_v = ST(σ(g_v([h_v; sg(x_tᶜ)]))) per sample; x_vᶜ = m_v ⊙ h_v;
 *          ŷ = head([sg(x_tᶜ); x_vᶜ]) (or sg(ŷ_t) + head(…) with residualHead); L_v = MSE(ŷ, y) + λ_s·mean(m_v).
 * ST is the straight-through threshold (masks.ts). Audio, when asked for, is a second "video-like" branch.
 * schedule sequential: epochs 1..textEpochs minimise L_t only; later epochs minimise L_v with the text branch
 * frozen (computed off the tape, so its variables get no gradient at all). joint: L_t + L_v from the start.
 */
import * as tf from '@tensorflow/tfjs';
import type { Modality } from '@midg/features';
import { Dense, Dropout, MlpHead, UnimodalEncoder, deriveSeed, disposeVariables, partVariables, stopGradient, type TrainablePart } from '@midg/nn';
import type { Batch, DataInfo, LossBreakdown, ParameterGroup, SentimentModel, StepContext, UnlabeledBatch } from '@midg/trainer';
import { detached, straightThrough } from './masks';

export type S2lifSchedule = 'sequential' | 'joint';
/** What the current step trains: the text branch, the video branch(es), or both. */
export type S2lifPhase = 'text' | 'video' | 'joint';

export interface S2lifConfig {
  hiddenDim: number;
  dropout: number;
  maskInit: number;
  sparsityWeight: number;
  schedule: S2lifSchedule;
  textEpochs: number;
  residualHead: boolean;
}

/** One non-text branch: encoder and the mask generator conditioned on the masked text. */
interface Branch extends TrainablePart {
  modality: Modality;
  encoder: UnimodalEncoder;
  maskHidden: Dense;
  maskOut: Dense;
}

/** Everything one forward pass produces (training or eval). */
export interface S2lifForward {
  /** [d] hard text mask (exactly 0/1 forward). */
  textMask: tf.Tensor1D;
  /** [B, d] masked text features x_tᶜ. */
  maskedText: tf.Tensor2D;
  /** [B] text-only prediction ŷ_t. */
  textPrediction: tf.Tensor1D;
  /** [B, d] per non-text modality: the hard mask m_v. */
  masks: Tensor2DByModality;
  /** [B] the fused prediction ŷ. */
  prediction: tf.Tensor1D;
}
type Tensor2DByModality = Partial<Record<Modality, tf.Tensor2D>>;

export class S2lifModel implements SentimentModel {
  readonly name = 's2lif';
  private readonly config: S2lifConfig;
  private readonly others: Modality[];
  private readonly textEncoder: UnimodalEncoder;
  private readonly textLogits: tf.Variable;
  private readonly textHead: MlpHead;
  private readonly branches: Branch[];
  private readonly fusedHidden: Dense;
  private readonly fusedOut: tf.Variable;
  private readonly fusedBias: tf.Variable;
  private readonly fusedDropout: Dropout;
  /** Set by each losses() call, so lossWeights() describes the step that just ran. */
  private phase: S2lifPhase;

  constructor(config: S2lifConfig, info: DataInfo, seed: number) {
    this.config = config;
    const modalities = info.modalities;
    this.others = modalities.filter((m) => m !== 't');
    if (!modalities.includes('t') || this.others.length === 0) {
      throw new Error(`model s2lif needs text (t) and at least one of v, a (text is learned first and conditions the others), got "${modalities.join('')}"`);
    }
    const d = config.hiddenDim;
    const encoder = (m: Modality) => {
      const inputDim = info.dims[m];
      if (inputDim === undefined) throw new Error(`model s2lif: no feature width for modality ${m}`);
      return new UnimodalEncoder({ inputDim, hiddenDim: d, dropout: config.dropout, seed: deriveSeed(seed, 'encoder', m) });
    };
    this.textEncoder = encoder('t');
    // θ_t starts at maskInit for every feature: σ(θ_t) > 0.5 when maskInit > 0, so every text feature starts kept.
    this.textLogits = tf.variable(tf.fill([d], config.maskInit), true);
    this.textHead = new MlpHead({ inputDim: d, hiddenDim: d, dropout: config.dropout, seed: deriveSeed(seed, 'text-head') });
    this.branches = this.others.map((m) => {
      const maskHidden = new Dense({ inputDim: 2 * d, units: d, activation: 'relu', seed: deriveSeed(seed, 'mask-hidden', m) });
      const maskOut = new Dense({ inputDim: d, units: d, biasInit: config.maskInit, seed: deriveSeed(seed, 'mask-out', m) });
      const branchEncoder = encoder(m);
      const parts = [branchEncoder, maskHidden, maskOut];
      return {
        modality: m,
        encoder: branchEncoder,
        maskHidden,
        maskOut,
        trainableVariables: () => partVariables(parts),
        dispose: () => disposeVariables(partVariables(parts)),
      };
    });
    const fusedWidth = (1 + this.others.length) * d;
    this.fusedHidden = new Dense({ inputDim: fusedWidth, units: d, activation: 'relu', seed: deriveSeed(seed, 'fused-hidden') });
    // Residual head: the output layer starts at zero, so ŷ = ŷ_t until the video phase has learned something.
    const outInit = config.residualHead
      ? tf.zeros([d, 1])
      : tf.randomUniform([d, 1], -Math.sqrt(6 / (d + 1)), Math.sqrt(6 / (d + 1)), 'float32', deriveSeed(seed, 'fused-out'));
    this.fusedOut = tf.variable(outInit, true);
    outInit.dispose();
    this.fusedBias = tf.variable(tf.zeros([1]), true);
    this.fusedDropout = new Dropout(config.dropout, deriveSeed(seed, 'fused-dropout'));
    this.phase = config.schedule === 'joint' ? 'joint' : 'text';
  }

  /** The phase a step at `context` belongs to. */
  phaseAt(context: Pick<StepContext, 'epoch'>): S2lifPhase {
    if (this.config.schedule === 'joint') return 'joint';
    return context.epoch <= this.config.textEpochs ? 'text' : 'video';
  }

  /** Text branch: hard mask [d], x_tᶜ [B, d] and ŷ_t [B]. */
  private text(batch: UnlabeledBatch, training: boolean): { textMask: tf.Tensor1D; maskedText: tf.Tensor2D; textPrediction: tf.Tensor1D } {
    const [x, mask] = inputsOf(batch, 't');
    const encoded = this.textEncoder.forward(x, mask, { training });
    const textMask = straightThrough(tf.sigmoid(this.textLogits)) as tf.Tensor1D;
    const maskedText = tf.mul(encoded, textMask) as tf.Tensor2D;
    return { textMask, maskedText, textPrediction: this.textHead.forward(maskedText, { training }) };
  }

  /** The hard mask [B, d] of a non-text branch from its encoding [B, d] and the masked text [B, d] (gradient-stopped). */
  otherMask(modality: Modality, encoded: tf.Tensor2D, maskedText: tf.Tensor2D): tf.Tensor2D {
    const branch = this.branch(modality);
    return tf.tidy(() => {
      const logits = branch.maskOut.forward(branch.maskHidden.forward(tf.concat([encoded, stopGradient(maskedText)], 1) as tf.Tensor2D));
      return straightThrough(tf.sigmoid(logits));
    });
  }

  /** The whole model. `frozenText`: the text branch runs off the tape and in eval mode (the video phase). */
  forward(batch: UnlabeledBatch, training: boolean, frozenText = false): S2lifForward {
    return tf.tidy(() => {
      const d = this.config.hiddenDim;
      let textPart: ReturnType<S2lifModel['text']>;
      if (frozenText) {
        // One detached op returns [x_tᶜ | ŷ_t | m_t broadcast], split below.
        const packed = detached(batch.masks.t ?? tf.zeros([1]), () => {
          const out = this.text(batch, false);
          const rows = out.maskedText.shape[0];
          return tf.concat([out.maskedText, tf.reshape(out.textPrediction, [rows, 1]), tf.tile(tf.reshape(out.textMask, [1, d]), [rows, 1])], 1);
        });
        textPart = {
          maskedText: tf.slice(packed, [0, 0], [-1, d]) as tf.Tensor2D,
          textPrediction: tf.reshape(tf.slice(packed, [0, d], [-1, 1]), [-1]),
          textMask: tf.reshape(tf.slice(packed, [0, d + 1], [1, d]), [d]),
        };
      } else {
        textPart = this.text(batch, training);
      }
      const fixedText = stopGradient(textPart.maskedText);
      const masks: Tensor2DByModality = {};
      const selected = this.branches.map((branch) => {
        const [x, mask] = inputsOf(batch, branch.modality);
        const encoded = branch.encoder.forward(x, mask, { training });
        const hard = this.otherMask(branch.modality, encoded, fixedText);
        masks[branch.modality] = hard;
        return tf.mul(encoded, hard);
      });
      const hidden = this.fusedDropout.apply(this.fusedHidden.forward(tf.concat([fixedText, ...selected], 1) as tf.Tensor2D), { training });
      let prediction = tf.reshape(tf.add(tf.matMul(hidden, this.fusedOut as tf.Tensor2D), this.fusedBias), [-1]) as tf.Tensor1D;
      if (this.config.residualHead) prediction = tf.add(prediction, stopGradient(textPart.textPrediction));
      return { ...textPart, masks, prediction };
    });
  }

  lossWeights(): Record<string, number> {
    const video = { fusedMse: 1, density: this.config.sparsityWeight };
    if (this.phase === 'text') return { textMse: 1 };
    if (this.phase === 'video') return video;
    return { textMse: 1, ...video };
  }

  losses(batch: Batch, context: StepContext): LossBreakdown {
    this.phase = this.phaseAt(context);
    const weights = this.lossWeights();
    return tf.tidy(() => {
      const out = this.forward(batch, true, this.phase === 'video');
      const mse = (p: tf.Tensor1D) => tf.mean(tf.square(tf.sub(p, batch.labels))) as tf.Scalar;
      const densities = Object.values(out.masks).map((m) => tf.mean(m));
      const parts: Record<string, tf.Scalar> = {
        textMse: mse(out.textPrediction),
        fusedMse: mse(out.prediction),
        density: tf.div(tf.addN(densities), densities.length) as tf.Scalar,
        textDensity: tf.mean(out.textMask) as tf.Scalar,
      };
      // Only the phase's parts reach `total`: the other branch is off the gradient path entirely.
      const total = tf.addN(Object.entries(weights).map(([name, w]) => tf.mul(parts[name]!, w))) as tf.Scalar;
      return { total, parts };
    });
  }

  predict(batch: UnlabeledBatch): tf.Tensor1D {
    return tf.tidy(() => this.forward(batch, false).prediction);
  }

  /** θ_t, for tests. */
  textMaskLogits(): tf.Variable {
    return this.textLogits;
  }

  /** The text branch's variables (frozen in the video phase). */
  textVariables(): tf.Variable[] {
    return [...partVariables([this.textEncoder]), this.textLogits, ...this.textHead.trainableVariables()];
  }

  /** Everything trained in the video phase: the non-text branches and the fused head. */
  videoVariables(): tf.Variable[] {
    return [...partVariables(this.branches), ...this.fusedHidden.trainableVariables(), this.fusedOut, this.fusedBias];
  }

  /** For tests: the encoding of a non-text modality (eval mode). */
  encode(batch: UnlabeledBatch, modality: Modality): tf.Tensor2D {
    const [x, mask] = inputsOf(batch, modality);
    return this.branch(modality).encoder.forward(x, mask, { training: false });
  }

  trainableVariables(): tf.Variable[] {
    return [...this.textVariables(), ...this.videoVariables()];
  }

  /**
   * One Adam per branch. tf.js's Adam keys its moment slots by position in the gradient list, so a single Adam
   * would mix up slots when the sequential schedule switches which variables have gradients; with a group per
   * branch each group's list is either complete or empty.
   */
  parameterGroups(): ParameterGroup[] {
    return [
      { name: 'text', variables: this.textVariables() },
      { name: 'video', variables: this.videoVariables() },
    ];
  }

  private branch(modality: Modality): Branch {
    const branch = this.branches.find((b) => b.modality === modality);
    if (!branch) throw new Error(`model s2lif: no ${modality} branch (modalities ${['t', ...this.others].join('')})`);
    return branch;
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}

function inputsOf(batch: UnlabeledBatch, m: Modality): [tf.Tensor3D, tf.Tensor2D] {
  const features = batch.features[m];
  const mask = batch.masks[m];
  if (!features || !mask) throw new Error(`model s2lif: the batch has no ${m} features`);
  return [features, mask];
}
