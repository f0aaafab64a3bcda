/**
 * The Cross-Modal Adapter (paper §3.4, eq. 5–6), on the out-of-domain representations O_m [B, d].
 *
 * For each target modality m:
 *   Q = W_q,m O_m (one query token); K, V = W_k,m←n O_n, W_v,m←n O_n for every other present modality n (one token
 *   each, with its own projection so the tokens keep their modality identity: 2 tokens with three modalities, 1 with
 *   two); multi-head attention (eq. 5) → dropout → MLP gives the knowledge M_m; a gate g_m = σ(W_g,m O_m + b_g,m)
 *   computed from the target alone decides, per feature, how much of it enters; the fusion back into the target
 *   is the gated residual O_mi = O_m + g_m ⊙ M_m (the paper says only "fuse them with the corresponding target
 *   modality"; the residual keeps O_m intact when the gate closes).
 * With a single modality there is nothing to attend to: O_mi = O_m (zero injection, no attention/gate weights).
 * Then [O_ti, O_ai, O_vi] (present ones, in t/a/v order) → the fully connected layer → O → MLP head → ŷ2.
 *
 * Inputs are utterance-level vectors, as the decoupler produces them; sequences [B, L, d] are not accepted (they
 * would need key masks and a pooled query, and nothing in MIDG feeds them here).
 */
import * as tf from '@tensorflow/tfjs';
import { MODALITIES, type Modality } from '@midg/features';
import {
  Dense,
  Dropout,
  Mlp,
  MlpHead,
  assertShape,
  deriveSeed,
  disposeVariables,
  multiHeadAttention,
  partVariables,
  tidyOutput,
  type ForwardOptions,
  type ModalityTensors,
  type TrainablePart,
} from '@midg/nn';

export interface CrossModalAdapterConfig {
  /** Present modalities (any non-empty subset of t, a, v). */
  modalities: Modality[];
  /** Width d of every O_m. */
  dim: number;
  /** Attention heads h (d must be divisible by h). Default 4. */
  heads?: number;
  /** Dropout on the attention output and inside the MLPs. Default 0.1. */
  dropout?: number;
  /** Hidden width of the knowledge MLP. Default 2·dim. */
  mlpHidden?: number;
  /** Width of O (output of the fully connected fusion layer). Default dim. */
  fusionDim?: number;
  /** Hidden width of the ŷ2 head. Default fusionDim. */
  headHidden?: number;
  /** Initial gate bias: 0 starts the gates near ½; very negative values close them (no injection). Default 0. */
  gateBiasInit?: number;
  seed: number;
}

export const ADAPTER_DEFAULTS = { heads: 4, dropout: 0.1, gateBiasInit: 0 } as const;

export interface AdapterOutput {
  /** O [B, fusionDim]. */
  fused: tf.Tensor2D;
  /** ŷ2 [B]. */
  prediction: tf.Tensor1D;
  /** O_mi [B, dim] per modality. */
  injected: ModalityTensors<tf.Tensor2D>;
  /** g_m [B, dim] per modality that has something to attend to. */
  gates: ModalityTensors<tf.Tensor2D>;
  /** [B, heads, S] per modality that has something to attend to; column s is `sourcesOf(m)[s]`. */
  attention: ModalityTensors<tf.Tensor3D>;
}

interface TargetInjection {
  sources: Modality[];
  query: Dense;
  keys: Dense[];
  values: Dense[];
  knowledge: Mlp;
  gate: Dense;
}

export class CrossModalAdapter implements TrainablePart {
  readonly modalities: Modality[];
  readonly dim: number;
  readonly heads: number;
  private readonly injections: Partial<Record<Modality, TargetInjection>> = {};
  private readonly dropout: Dropout;
  private readonly fusion: Dense;
  private readonly head: MlpHead;

  constructor(config: CrossModalAdapterConfig) {
    this.modalities = MODALITIES.filter((m) => config.modalities.includes(m));
    if (this.modalities.length === 0) throw new Error('CrossModalAdapter needs at least one modality');
    this.dim = config.dim;
    this.heads = config.heads ?? ADAPTER_DEFAULTS.heads;
    if (!Number.isInteger(this.heads) || this.heads < 1 || this.dim % this.heads !== 0) {
      throw new Error(`CrossModalAdapter: dim ${this.dim} must be divisible by heads ${this.heads}`);
    }
    const dropout = config.dropout ?? ADAPTER_DEFAULTS.dropout;
    const projection = (...path: string[]) => new Dense({ inputDim: this.dim, units: this.dim, seed: deriveSeed(config.seed, ...path) });
    for (const target of this.modalities) {
      const sources = this.modalities.filter((m) => m !== target);
      if (sources.length === 0) continue;
      this.injections[target] = {
        sources,
        query: projection(target, 'query'),
        keys: sources.map((source) => projection(target, source, 'key')),
        values: sources.map((source) => projection(target, source, 'value')),
        knowledge: new Mlp({
          inputDim: this.dim,
          hiddenDims: [config.mlpHidden ?? 2 * this.dim],
          outputDim: this.dim,
          dropout,
          seed: deriveSeed(config.seed, target, 'knowledge'),
        }),
        gate: new Dense({
          inputDim: this.dim,
          units: this.dim,
          activation: 'sigmoid',
          biasInit: config.gateBiasInit ?? ADAPTER_DEFAULTS.gateBiasInit,
          seed: deriveSeed(config.seed, target, 'gate'),
        }),
      };
    }
    this.dropout = new Dropout(dropout, deriveSeed(config.seed, 'dropout'));
    const fusionDim = config.fusionDim ?? this.dim;
    this.fusion = new Dense({ inputDim: this.modalities.length * this.dim, units: fusionDim, seed: deriveSeed(config.seed, 'fusion') });
    this.head = new MlpHead({ inputDim: fusionDim, hiddenDim: config.headHidden ?? fusionDim, dropout, seed: deriveSeed(config.seed, 'head') });
  }

  /** The modalities whose tokens the target attends to, in attention-column order (empty: no injection). */
  sourcesOf(target: Modality): Modality[] {
    return this.injections[target]?.sources ?? [];
  }

  /** O_m [B, dim] for every present modality → O, ŷ2 and the per-modality injection details. */
  forward(representations: ModalityTensors<tf.Tensor2D>, options: ForwardOptions): AdapterOutput {
    for (const m of this.modalities) {
      const x = representations[m];
      if (!x) throw new Error(`CrossModalAdapter: missing representation for modality "${m}"`);
      assertShape(`CrossModalAdapter input "${m}"`, x, 2, this.dim);
    }
    return tidyOutput(() => {
      const injected: ModalityTensors<tf.Tensor2D> = {};
      const gates: ModalityTensors<tf.Tensor2D> = {};
      const attention: ModalityTensors<tf.Tensor3D> = {};
      for (const target of this.modalities) {
        const own = representations[target]!;
        const injection = this.injections[target];
        if (!injection) {
          injected[target] = tf.clone(own);
          continue;
        }
        const tokens = (layers: Dense[]) =>
          tf.stack(injection.sources.map((source, s) => layers[s]!.forward(representations[source]!)), 1) as tf.Tensor3D;
        const query = tf.expandDims(injection.query.forward(own), 1) as tf.Tensor3D;
        const { output, weights } = multiHeadAttention(query, tokens(injection.keys), tokens(injection.values), this.heads);
        const attended = this.dropout.apply(tf.squeeze(output, [1]) as tf.Tensor2D, options);
        const knowledge = injection.knowledge.forward(attended, options);
        const gate = injection.gate.forward(own);
        injected[target] = tf.add(own, tf.mul(gate, knowledge)) as tf.Tensor2D;
        gates[target] = gate;
        attention[target] = tf.squeeze(weights, [2]) as tf.Tensor3D;
      }
      const fused = this.fusion.forward(tf.concat(this.modalities.map((m) => injected[m]!), 1));
      return { fused, prediction: this.head.forward(fused, options), injected, gates, attention };
    });
  }

  trainableVariables(): tf.Variable[] {
    const perTarget = this.modalities.flatMap((m) => {
      const injection = this.injections[m];
      if (!injection) return [];
      return partVariables([injection.query, ...injection.keys, ...injection.values, injection.knowledge, injection.gate]);
    });
    return [...perTarget, ...partVariables([this.fusion, this.head])];
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}

/** L_out (eq. 6): (1/n)‖y − ŷ2‖² for labels and predictions of shape [B]. */
export function mseLoss(labels: tf.Tensor1D, predictions: tf.Tensor1D): tf.Scalar {
  if (labels.rank !== 1 || predictions.rank !== 1 || labels.shape[0] !== predictions.shape[0]) {
    throw new Error(`mseLoss: labels [${labels.shape.join(', ')}] and predictions [${predictions.shape.join(', ')}] must both be [B]`);
  }
  return tf.tidy(() => tf.mean(tf.square(tf.sub(labels, predictions))) as tf.Scalar);
}
