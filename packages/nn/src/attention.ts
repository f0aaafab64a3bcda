/**
 * Masked multi-head attention, the one implementation shared by the Cross-Modal Adapter and the baselines
 * (crossmodal transformers, MISA, ALMT, transformer encoders): a functional core, `multiHeadAttention`, on
 * already-projected Q, K, V, and a layer, `MultiHeadAttention`, that adds the Q/K/V/O projections.
 *
 * Masking. A key is visible to a query when its key-mask entry is 1 and, with `causal`, it is not in the query's
 * future. Invisible keys get exactly 0 weight: −1e9 is added to their scores before the softmax (exp underflows to
 * 0, so the visible keys' weights are normalized among themselves), and the weights are multiplied by the 0/1
 * visibility afterwards, so a query that sees no key at all gets all-zero weights and a zero output (plain softmax
 * would spread it uniformly over the invisible keys). Weight 0 multiplies the value, so padded values must be
 * finite (loaders zero them).
 *
 * Causal alignment when Lq ≠ S: the queries are the LAST Lq positions of the S-long key sequence (bottom-right
 * alignment, as in incremental decoding and FlashAttention ≥ 2.1): query i sees key j iff j ≤ i + (S − Lq). With
 * Lq = S that is j ≤ i; with Lq < S every query also sees the S − Lq keys before the aligned block; with Lq > S
 * the first Lq − S queries see no key (zero output, as above).
 */
import * as tf from '@tensorflow/tfjs';
import { dropoutMultiplier } from './dropout-mask';
import { fusedLayersEnabled } from './fused';
import {
  Dense,
  SeedStream,
  assertPositiveInt,
  assertShape,
  deriveSeed,
  disposeVariables,
  partVariables,
  tidyOutput,
  type ForwardOptions,
  type TrainablePart,
} from './layers';

export interface AttentionResult {
  /** [B, Lq, d]: the heads' outputs concatenated back to width d. */
  output: tf.Tensor3D;
  /**
   * [B, heads, Lq, S]: softmax weights over the S key/value tokens, before attention dropout. Each row sums to 1,
   * except rows of queries that see no key, which are all 0. Invisible keys have weight exactly 0.
   */
  weights: tf.Tensor4D;
}

/** Dropout on the attention weights (each query's weights over the keys), as in the Transformer. */
export interface AttentionDropout {
  /** In [0, 1); 0 disables it. */
  rate: number;
  /** Seed of this call's mask: pass a fresh one per call (e.g. from a SeedStream), or every call drops the same keys. */
  seed: number;
  /** Dropout only applies when training. */
  training: boolean;
}

export interface AttentionOptions {
  /** [B, S]: 1 for real keys, 0 for padding (padding gets weight 0). */
  keyMask?: tf.Tensor2D;
  /** Query i sees key j only if j ≤ i + (S − Lq) (see the module comment for Lq ≠ S). Default false. */
  causal?: boolean;
  /** Default: none. */
  dropout?: AttentionDropout;
}

// Added to the scores of invisible keys: exp(−1e9 + anything realistic) is exactly 0 in float32.
const MASKED_SCORE = -1e9;

/** [B, L, d] → [B, heads, L, d / heads]. */
function splitHeads(x: tf.Tensor3D, heads: number): tf.Tensor4D {
  const [batch, length, dim] = x.shape;
  return tf.transpose(tf.reshape(x, [batch, length, heads, dim / heads]), [0, 2, 1, 3]);
}

/** 1 where query i may see key j: j ≤ i + (S − Lq); [1, 1, Lq, S]. */
function causalVisibility(queryLength: number, keyLength: number): tf.Tensor4D {
  const visible = new Float32Array(queryLength * keyLength);
  const offset = keyLength - queryLength;
  for (let i = 0; i < queryLength; i++) {
    for (let j = 0; j < keyLength && j <= i + offset; j++) visible[i * keyLength + j] = 1;
  }
  return tf.tensor4d(visible, [1, 1, queryLength, keyLength]);
}

/** The 0/1 visibility of each key to each query, broadcastable to [B, heads, Lq, S]; undefined when all are visible. */
function visibility(batch: number, queryLength: number, keyLength: number, options: AttentionOptions): tf.Tensor4D | undefined {
  const { keyMask, causal = false } = options;
  let visible: tf.Tensor4D | undefined;
  if (keyMask) {
    const mask = keyMask.dtype === 'float32' ? keyMask : tf.cast(keyMask, 'float32');
    visible = tf.reshape(mask, [batch, 1, 1, keyLength]);
  }
  if (causal) {
    const future = causalVisibility(queryLength, keyLength);
    visible = visible ? (tf.mul(visible, future) as tf.Tensor4D) : future;
  }
  return visible;
}

function checkOptions(batch: number, keyLength: number, options: AttentionOptions): void {
  const { keyMask, dropout } = options;
  if (keyMask && (keyMask.rank !== 2 || keyMask.shape[0] !== batch || keyMask.shape[1] !== keyLength)) {
    throw new Error(`attention: keyMask must be [${batch}, ${keyLength}] (B, S), got [${keyMask.shape.join(', ')}]`);
  }
  if (dropout && !(dropout.rate >= 0 && dropout.rate < 1)) {
    throw new Error(`attention: dropout rate must be in [0, 1), got ${dropout.rate}`);
  }
}

/** Checks the inputs of an attention core (shapes, heads, options) and returns its sizes. */
function checkAttentionInputs(query: tf.Tensor3D, key: tf.Tensor3D, value: tf.Tensor3D, heads: number, options: AttentionOptions) {
  assertPositiveInt('attention heads', heads);
  if (query.rank !== 3) throw new Error(`attention: query must be [B, Lq, d], got [${query.shape.join(', ')}]`);
  const [batch, queryLength, dim] = query.shape;
  if (dim % heads !== 0) throw new Error(`attention width ${dim} is not divisible by ${heads} heads`);
  const sameKeys = key.rank === 3 && value.rank === 3 && key.shape[1] === value.shape[1];
  if (!sameKeys || key.shape[0] !== batch || value.shape[0] !== batch || key.shape[2] !== dim || value.shape[2] !== dim) {
    throw new Error(
      `attention: key [${key.shape.join(', ')}] and value [${value.shape.join(', ')}] must both be [${batch}, S, ${dim}] for query [${query.shape.join(', ')}]`,
    );
  }
  const keyLength = key.shape[1];
  checkOptions(batch, keyLength, options);
  return { batch, queryLength, keyLength, dim };
}

/**
 * Eq. (5) of the paper, multi-head: softmax(Q Kᵀ / √d_k + mask) V per head, d_k = d / heads, for query [B, Lq, d],
 * key and value [B, S, d] (already projected; heads are contiguous d_k-wide slices of d). Built from batched
 * matMul, so every op has a gradient on wasm. Kᵀ uses matMul's transposeB flag: with one query (the adapter) it is
 * as fast, forward + backward, as an explicit transpose; at Lq = S = 50 the explicit transpose was ~10% faster
 * (attention.bench.ts, noisy machine). The flag stays so the adapter's results do not change. Its bad slow path on
 * wasm is in large 2-D products, i.e. dense layers, which use layers.ts's matMul.
 * Without a key mask or causal flag this is exactly the unmasked computation (no extra ops); a key mask costs
 * little (same bench).
 */
export function multiHeadAttention(
  query: tf.Tensor3D,
  key: tf.Tensor3D,
  value: tf.Tensor3D,
  heads: number,
  options: AttentionOptions = {},
): AttentionResult {
  const { batch, queryLength, keyLength, dim } = checkAttentionInputs(query, key, value, heads, options);
  return tidyOutput(() => {
    const scores = tf.div(tf.matMul(splitHeads(query, heads), splitHeads(key, heads), false, true), Math.sqrt(dim / heads)) as tf.Tensor4D;
    const visible = visibility(batch, queryLength, keyLength, options);
    const weights = visible
      ? (tf.mul(tf.softmax(tf.add(scores, tf.mul(tf.sub(1, visible), MASKED_SCORE))), visible) as tf.Tensor4D)
      : (tf.softmax(scores) as tf.Tensor4D);
    const { dropout } = options;
    const dropped = dropout && dropout.training && dropout.rate > 0 ? tf.dropout(weights, dropout.rate, undefined, dropout.seed) : weights;
    const perHead = tf.matMul(dropped, splitHeads(value, heads));
    const output = tf.reshape(tf.transpose(perHead, [0, 2, 1, 3]), [batch, queryLength, dim]) as tf.Tensor3D;
    return { output, weights };
  });
}

/**
 * The output of `multiHeadAttention` (the same ops in the same order) as ONE node on the gradient tape with a
 * hand-written backward pass; no weights are returned. For sequence-to-sequence layers (MulT's transformers) the
 * op-by-op form records ~30 tape nodes per call, each keeping copies of its inputs, and TF.js's BatchMatMul
 * gradient runs its four products with transpose flags (a slow path on wasm); here the backward products are
 * plain batched matMuls on explicit transposes. Kᵀ is formed explicitly in the forward pass too (no transposeB
 * flag), so results equal `multiHeadAttention`'s to float rounding, not bit for bit (attention.test.ts).
 *
 * Backward, per head, with P the masked softmax weights (P·visibility: exactly 0 on invisible keys and on rows
 * that see no key), m the dropout multiplier and G = dOut: dV = (P·m)ᵀG, dP = (G Vᵀ)·m,
 * dZ = P·(dP − rowsum(dP·P)) / √d_k, dQ = dZ K, dK = dZᵀ Q. Using P after the visibility product is exact:
 * invisible entries of the softmax are 0 already, and a row that sees no key gets dP = 0 and P = 0, so dZ = 0 there.
 */
export function fusedAttentionOutput(
  query: tf.Tensor3D,
  key: tf.Tensor3D,
  value: tf.Tensor3D,
  heads: number,
  options: AttentionOptions = {},
): tf.Tensor3D {
  const { batch, queryLength, keyLength, dim } = checkAttentionInputs(query, key, value, heads, options);
  const headDim = dim / heads;
  const scale = Math.sqrt(headDim);
  return tf.tidy(() => {
    const visible = visibility(batch, queryLength, keyLength, options);
    const maskedScores = visible ? tf.mul(tf.sub(1, visible), MASKED_SCORE) : undefined;
    const { dropout } = options;
    const multiplier =
      dropout && dropout.training && dropout.rate > 0 ? dropoutMultiplier([batch, heads, queryLength, keyLength], dropout.rate, dropout.seed) : undefined;
    // [B, L, d] → [B, heads, L, d_k] (or [B, heads, d_k, L] with `perm` [0, 2, 3, 1]) and back.
    const toHeads = (x: tf.Tensor, length: number, perm = [0, 2, 1, 3]) => tf.transpose(tf.reshape(x, [batch, length, heads, headDim]), perm) as tf.Tensor4D;
    const fromHeads = (x: tf.Tensor, length: number) => tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [batch, length, dim]) as tf.Tensor3D;
    const swapLast = (x: tf.Tensor) => tf.transpose(x, [0, 1, 3, 2]) as tf.Tensor4D;
    return tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [q, k, v, save] = inputs as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
      const qh = toHeads(q, queryLength);
      const kt = toHeads(k, keyLength, [0, 2, 3, 1]);
      const vh = toHeads(v, keyLength);
      const scores = tf.div(tf.matMul(qh, kt), scale);
      const weights = visible && maskedScores ? tf.mul(tf.softmax(tf.add(scores, maskedScores)), visible) : tf.softmax(scores);
      const dropped = multiplier ? tf.mul(weights, multiplier) : weights;
      save([qh, kt, vh, weights, ...(multiplier ? [multiplier] : [])]);
      return {
        value: fromHeads(tf.matMul(dropped, vh), queryLength),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [savedQ, savedKt, savedV, savedWeights, savedMultiplier] = saved as tf.Tensor4D[];
          const g = toHeads(dy, queryLength);
          const savedDropped = savedMultiplier ? tf.mul(savedWeights!, savedMultiplier) : savedWeights!;
          const dV = tf.matMul(swapLast(savedDropped), g);
          const dDropped = tf.matMul(g, swapLast(savedV!));
          const dWeights = savedMultiplier ? tf.mul(dDropped, savedMultiplier) : dDropped;
          const dZ = tf.div(tf.mul(savedWeights!, tf.sub(dWeights, tf.sum(tf.mul(dWeights, savedWeights!), -1, true))), scale);
          const dQ = tf.matMul(dZ, swapLast(savedKt!));
          const dK = tf.matMul(swapLast(dZ), savedQ!);
          return [fromHeads(dQ, queryLength), fromHeads(dK, keyLength), fromHeads(dV, keyLength)];
        },
      };
    })(query, key, value) as tf.Tensor3D;
  });
}

export interface MultiHeadAttentionConfig {
  /** Width of the query inputs. */
  queryDim: number;
  /** Width of the key inputs. Default queryDim. */
  keyDim?: number;
  /** Width of the value inputs. Default keyDim. */
  valueDim?: number;
  /** Width of the projected Q, K, V and of the output (divisible by heads). */
  dim: number;
  heads: number;
  /** Dropout on the attention weights while training. Default 0. */
  dropout?: number;
  /**
   * `attend` computes the attention core as one tape node (`fusedAttentionOutput`) unless inside withOpByOpLayers.
   * Equal to the op-by-op form to float rounding, not bit for bit, hence opt-in. Default false.
   */
  fusedCore?: boolean;
  seed: number;
}

export interface AttentionForwardOptions extends ForwardOptions {
  /** [B, S]: 1 for real keys, 0 for padding. */
  keyMask?: tf.Tensor2D;
  /** Query i sees key j only if j ≤ i + (S − Lq). Default false. */
  causal?: boolean;
}

/**
 * Multi-head attention with its projections: Q = query W_q + b_q, K = key W_k + b_k, V = value W_v + b_v, then
 * `multiHeadAttention`, then output = heads W_o + b_o. Weights are seeded (glorot-uniform kernels, zero biases);
 * trainableVariables() is [W_q, b_q, W_k, b_k, W_v, b_v, W_o, b_o].
 */
export class MultiHeadAttention implements TrainablePart {
  readonly queryDim: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dim: number;
  readonly heads: number;
  readonly dropout: number;
  private readonly queryProjection: Dense;
  private readonly keyProjection: Dense;
  private readonly valueProjection: Dense;
  private readonly outputProjection: Dense;
  private readonly seeds: SeedStream;
  private readonly fusedCore: boolean;

  constructor(config: MultiHeadAttentionConfig) {
    this.fusedCore = config.fusedCore ?? false;
    this.queryDim = config.queryDim;
    this.keyDim = config.keyDim ?? config.queryDim;
    this.valueDim = config.valueDim ?? this.keyDim;
    this.dim = config.dim;
    this.heads = config.heads;
    this.dropout = config.dropout ?? 0;
    assertPositiveInt('MultiHeadAttention heads', this.heads);
    assertPositiveInt('MultiHeadAttention dim', this.dim);
    if (this.dim % this.heads !== 0) throw new Error(`MultiHeadAttention: dim ${this.dim} must be divisible by heads ${this.heads}`);
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new Error(`MultiHeadAttention: dropout must be in [0, 1), got ${this.dropout}`);
    const projection = (inputDim: number, name: string) => new Dense({ inputDim, units: this.dim, seed: deriveSeed(config.seed, name) });
    this.queryProjection = projection(this.queryDim, 'query');
    this.keyProjection = projection(this.keyDim, 'key');
    this.valueProjection = projection(this.valueDim, 'value');
    this.outputProjection = projection(this.dim, 'output');
    this.seeds = new SeedStream(deriveSeed(config.seed, 'dropout'));
  }

  /** query [B, Lq, queryDim], key [B, S, keyDim], value [B, S, valueDim] → output [B, Lq, dim], weights [B, heads, Lq, S]. */
  forward(query: tf.Tensor3D, key: tf.Tensor3D, value: tf.Tensor3D, options: AttentionForwardOptions): AttentionResult {
    assertShape('MultiHeadAttention query', query, 3, this.queryDim);
    assertShape('MultiHeadAttention key', key, 3, this.keyDim);
    assertShape('MultiHeadAttention value', value, 3, this.valueDim);
    const dropout = options.training && this.dropout > 0 ? { rate: this.dropout, seed: this.seeds.next(), training: true } : undefined;
    return tidyOutput(() => {
      const attended = multiHeadAttention(
        this.queryProjection.forward(query),
        this.keyProjection.forward(key),
        this.valueProjection.forward(value),
        this.heads,
        { keyMask: options.keyMask, causal: options.causal, dropout },
      );
      return { output: this.outputProjection.forward(attended.output), weights: attended.weights };
    });
  }

  /**
   * The output of `forward` alone (same projections, masks and dropout seeds); with `fusedCore` the attention core
   * is `fusedAttentionOutput` outside withOpByOpLayers.
   */
  attend(query: tf.Tensor3D, key: tf.Tensor3D, value: tf.Tensor3D, options: AttentionForwardOptions): tf.Tensor3D {
    if (!this.fusedCore || !fusedLayersEnabled()) return tidyOutput(() => this.forward(query, key, value, options).output);
    assertShape('MultiHeadAttention query', query, 3, this.queryDim);
    assertShape('MultiHeadAttention key', key, 3, this.keyDim);
    assertShape('MultiHeadAttention value', value, 3, this.valueDim);
    const dropout = options.training && this.dropout > 0 ? { rate: this.dropout, seed: this.seeds.next(), training: true } : undefined;
    return tf.tidy(() => {
      const attended = fusedAttentionOutput(
        this.queryProjection.forward(query),
        this.keyProjection.forward(key),
        this.valueProjection.forward(value),
        this.heads,
        { keyMask: options.keyMask, causal: options.causal, dropout },
      );
      return this.outputProjection.forward(attended);
    });
  }

  trainableVariables(): tf.Variable[] {
    return partVariables([this.queryProjection, this.keyProjection, this.valueProjection, this.outputProjection]);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
