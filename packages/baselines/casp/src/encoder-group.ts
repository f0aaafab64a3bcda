/**
 * CASP's per-modality transformer encoders (nn's TransformerEncoder: pre-LN layers, ReLU FFN, a final LN, padded
 * keys masked), run as one computation for all modalities of one sequence length and for several views of a batch.
 *
 * Why: at CASP's sizes (d 40, 8 steps, batch 24) a step is bound by the number of kernels, not by arithmetic: three
 * modalities × five layers, and the contrastive stage runs the batch and its augmented copy through all of them.
 *
 * Layout: the G members side by side on the feature axis, [rows, G·d] (member m in columns m·d..(m+1)·d). A dense
 * layer of every member is one fused op (grouped-ops.ts), a LayerNorm of every member one nn layerNormOp with [G, d]
 * gains; G members with h heads each are attention with G·h heads, each member's heads under its own key mask; every
 * elementwise op runs once for all members.
 * Views: the rows hold V views of the same B samples, view-major (N = V·B).
 * Dropout: every mask is the one the member's nn layer would draw, from the same seed streams in the same order
 * (view 0's whole pass, then view 1's), so the outputs are those of running each member's TransformerEncoder once
 * per view (encoder-group.test.ts). The nn encoders own the variables (init, checkpoints, layerNormVariables).
 * With `frozen` weights (CASP's adaptation trains only the layer norms) the block kernels and their transposes are
 * built once, and the backward pass forms only the products that reach the layer norms.
 */
import * as tf from '@tensorflow/tfjs';
import { Dropout, deriveSeed, layerNormOp, type TransformerEncoder } from '@midg/nn';
import { disposeFrozenWeights, freezeWeights, groupedDense, type FrozenGroupWeights, type GroupWeights } from './grouped-ops';

export interface EncoderGroupConfig {
  dim: number;
  heads: number;
  layers: number;
  ffnDim: number;
  /** nn's TransformerLayerConfig: dropout (residual), ffnDropout, attentionDropout. */
  dropout: number;
  ffnDropout: number;
  attentionDropout: number;
}

interface Linear {
  kernel: tf.Variable;
  bias: tf.Variable;
}

/** One member's variables and dropout streams in one layer. */
interface MemberLayer {
  attentionGamma: tf.Variable;
  attentionBeta: tf.Variable;
  query: Linear;
  key: Linear;
  value: Linear;
  output: Linear;
  ffnGamma: tf.Variable;
  ffnBeta: tf.Variable;
  ffnIn: Linear;
  ffnOut: Linear;
  attentionDropout: Dropout;
  residualDropout: Dropout;
  ffnDropout: Dropout;
}

type DenseName = 'query' | 'key' | 'value' | 'output' | 'ffnIn' | 'ffnOut';
const DENSE_NAMES: readonly DenseName[] = ['query', 'key', 'value', 'output', 'ffnIn', 'ffnOut'];

/** Every member's weights of one layer's dense maps. */
type LayerDense<W> = Record<DenseName, W>;

/** The dense weights of every layer, fixed while only the layer norms train (dispose with disposeFrozen). */
export interface FrozenEncoderGroup {
  layers: LayerDense<FrozenGroupWeights>[];
}

/** One layer's dropout multipliers for every member and view, laid out like what they multiply; absent: no dropout. */
interface LayerMasks {
  /** On the attention weights [N, G·h, L, L]. */
  attention?: tf.Tensor;
  /** On the attention block's output [N·L, G·d]. */
  attentionResidual?: tf.Tensor;
  /** On the FFN's activation [N·L, G·ffnDim]. */
  ffn?: tf.Tensor;
  /** On the FFN's output [N·L, G·d]. */
  ffnResidual?: tf.Tensor;
}

export interface EncoderGroupOptions {
  training: boolean;
  /** Views in the rows (view-major); default 1. */
  views?: number;
  frozen?: FrozenEncoderGroup;
}

// nn's attention: invisible keys get this added to their scores (exp underflows to exactly 0).
const MASKED_SCORE = -1e9;
// nn's TransformerLayer LayerNorms use LayerNorm's default epsilon.
const LAYER_NORM_EPSILON = 1e-5;
// nn's TransformerLayer variables: [LN γ, β, W_q, b_q, W_k, b_k, W_v, b_v, W_o, b_o, LN γ, β, W_in, b_in, W_out, b_out].
const VARIABLES_PER_LAYER = 16;

/**
 * Pieces ordered [member][view], each [B, ...], side by side: concatenated per member over the views, the member
 * axis moved after the first `outer` entries ([outer, G, rest]), reshaped to `shape`.
 */
export function interleave(pieces: readonly tf.Tensor[], members: number, outer: number, shape: number[]): tf.Tensor {
  const flat = pieces.length === 1 ? pieces[0]! : tf.concat(pieces.map((p) => tf.reshape(p, [-1])), 0);
  return tf.reshape(members === 1 ? flat : tf.transpose(tf.reshape(flat, [members, outer, -1]), [1, 0, 2]), shape);
}

/**
 * G tensors of one shape [N, ...] → [N, G, ...]: stacked on a leading axis, then one transpose (wasm's concat and
 * split along an inner axis copy row by row in JavaScript).
 */
export function sideBySide(parts: readonly tf.Tensor[]): tf.Tensor {
  if (parts.length === 1) return tf.expandDims(parts[0]!, 1);
  const stacked = tf.stack([...parts]);
  return tf.transpose(stacked, [1, 0, ...Array.from({ length: stacked.rank - 2 }, (_, i) => i + 2)]);
}

/**
 * One encoder's variables (owned by its nn TransformerEncoder, read in nn's order) and the dropout streams its layers
 * would draw from (seeded as nn's TransformerEncoder, TransformerLayer and MultiHeadAttention derive them). Built once
 * per encoder: the streams advance with every training pass, whichever group the encoder runs in.
 */
export class EncoderMember {
  readonly layers: MemberLayer[];
  readonly finalGamma: tf.Variable;
  readonly finalBeta: tf.Variable;

  constructor(config: EncoderGroupConfig, encoder: TransformerEncoder, seed: number) {
    const { dim, layers, ffnDim } = config;
    const variables = encoder.trainableVariables();
    if (variables.length !== VARIABLES_PER_LAYER * layers + 2) {
      throw new Error(`encoder group: expected ${layers} layers of ${VARIABLES_PER_LAYER} variables and a final LayerNorm, got ${variables.length} variables`);
    }
    this.layers = Array.from({ length: layers }, (_, i) => {
      const [attentionGamma, attentionBeta, wq, bq, wk, bk, wv, bv, wo, bo, ffnGamma, ffnBeta, wIn, bIn, wOut, bOut] = variables.slice(
        i * VARIABLES_PER_LAYER,
        (i + 1) * VARIABLES_PER_LAYER,
      ) as tf.Variable[];
      const expect = (v: tf.Variable | undefined, shape: number[], what: string) => checked(v, shape, `layer ${i} ${what}`);
      const layerSeed = deriveSeed(seed, 'layer', i);
      return {
        attentionGamma: expect(attentionGamma, [dim], 'attention LN gain'),
        attentionBeta: expect(attentionBeta, [dim], 'attention LN bias'),
        query: { kernel: expect(wq, [dim, dim], 'W_q'), bias: expect(bq, [dim], 'b_q') },
        key: { kernel: expect(wk, [dim, dim], 'W_k'), bias: expect(bk, [dim], 'b_k') },
        value: { kernel: expect(wv, [dim, dim], 'W_v'), bias: expect(bv, [dim], 'b_v') },
        output: { kernel: expect(wo, [dim, dim], 'W_o'), bias: expect(bo, [dim], 'b_o') },
        ffnGamma: expect(ffnGamma, [dim], 'FFN LN gain'),
        ffnBeta: expect(ffnBeta, [dim], 'FFN LN bias'),
        ffnIn: { kernel: expect(wIn, [dim, ffnDim], 'W_in'), bias: expect(bIn, [ffnDim], 'b_in') },
        ffnOut: { kernel: expect(wOut, [ffnDim, dim], 'W_out'), bias: expect(bOut, [dim], 'b_out') },
        attentionDropout: new Dropout(config.attentionDropout, deriveSeed(deriveSeed(layerSeed, 'attention'), 'dropout')),
        residualDropout: new Dropout(config.dropout, deriveSeed(layerSeed, 'residual-dropout')),
        ffnDropout: new Dropout(config.ffnDropout, deriveSeed(layerSeed, 'ffn-dropout')),
      };
    });
    this.finalGamma = checked(variables.at(-2), [dim], 'final LN gain');
    this.finalBeta = checked(variables.at(-1), [dim], 'final LN bias');
  }
}

function checked(v: tf.Variable | undefined, shape: number[], what: string): tf.Variable {
  if (!v || v.shape.join() !== shape.join()) throw new Error(`encoder group: ${what} is [${v?.shape.join(', ') ?? 'missing'}], expected [${shape.join(', ')}]`);
  return v;
}

export class EncoderGroup {
  readonly size: number;
  private readonly layers: MemberLayer[][];
  private readonly finalGammas: tf.Variable[];
  private readonly finalBetas: tf.Variable[];

  constructor(
    private readonly config: EncoderGroupConfig,
    members: readonly EncoderMember[],
  ) {
    if (members.length === 0) throw new Error('encoder group: no members');
    this.size = members.length;
    this.layers = Array.from({ length: config.layers }, (_, i) => members.map((member) => member.layers[i]!));
    this.finalGammas = members.map((member) => member.finalGamma);
    this.finalBetas = members.map((member) => member.finalBeta);
  }

  /** Every layer's dense weights with their transposes, for a stretch in which they do not change. */
  freeze(): FrozenEncoderGroup {
    return {
      layers: this.layers.map((_, i) => {
        const dense = this.denseLayer(i);
        return Object.fromEntries(DENSE_NAMES.map((name) => [name, freezeWeights(dense[name])])) as LayerDense<FrozenGroupWeights>;
      }),
    };
  }

  /**
   * x [N, L, G·d] (member m in columns m·d..(m+1)·d), keyMasks[m] [N, L] (1 real, 0 padding) → [N, L, G·d] after
   * the final LN. Call inside a tidy (as every forward of this package).
   */
  forward(x: tf.Tensor3D, keyMasks: readonly tf.Tensor2D[], options: EncoderGroupOptions): tf.Tensor3D {
    const { dim, heads } = this.config;
    const members = this.size;
    const [rows, length, width] = x.shape;
    if (width !== members * dim || keyMasks.length !== members) {
      throw new Error(`encoder group: input [${x.shape.join(', ')}] with ${keyMasks.length} masks, expected width ${members * dim} and ${members} masks`);
    }
    const views = options.views ?? 1;
    const batch = rows / views;
    const headWidth = dim / heads;
    // Member m's key mask repeated over its heads: [N, G·h, 1, L].
    const byMember = tf.reshape(sideBySide(keyMasks.map((m) => tf.cast(m, 'float32'))), [rows, members, 1, length]);
    const visible = tf.reshape(tf.tile(byMember, [1, 1, heads, 1]), [rows, members * heads, 1, length]);
    const penalty = tf.mul(tf.sub(1, visible), MASKED_SCORE);
    // [R, G·d] → [N, G·h, L, d_k] (member m's heads are heads m·h..(m+1)·h − 1) and back.
    const toHeads = (t: tf.Tensor2D) => tf.transpose(tf.reshape(t, [rows, length, members * heads, headWidth]), [0, 2, 1, 3]);
    const fromHeads = (t: tf.Tensor) => tf.reshape(tf.transpose(t, [0, 2, 1, 3]), [rows * length, width]) as tf.Tensor2D;
    let h = tf.reshape(x, [rows * length, width]) as tf.Tensor2D;
    this.layers.forEach((layer, i) => {
      const dense = options.frozen?.layers[i] ?? this.denseLayer(i);
      const masks = this.drawMasks(layer, batch, length, views, options.training);
      const normed = this.layerNorm(h, layer.map((m) => m.attentionGamma), layer.map((m) => m.attentionBeta));
      const scores = tf.div(tf.matMul(toHeads(groupedDense(normed, dense.query)), toHeads(groupedDense(normed, dense.key)), false, true), Math.sqrt(headWidth));
      let weights = tf.mul(tf.softmax(tf.add(scores, penalty)), visible);
      if (masks.attention) weights = tf.mul(weights, masks.attention);
      const perHead = tf.matMul(weights, toHeads(groupedDense(normed, dense.value)));
      const attended = groupedDense(fromHeads(perHead), dense.output, { multiplier: masks.attentionResidual });
      const afterAttention = tf.add(h, attended) as tf.Tensor2D;
      const ffnNormed = this.layerNorm(afterAttention, layer.map((m) => m.ffnGamma), layer.map((m) => m.ffnBeta));
      const hidden = groupedDense(ffnNormed, dense.ffnIn, { relu: true, multiplier: masks.ffn });
      h = tf.add(afterAttention, groupedDense(hidden, dense.ffnOut, { multiplier: masks.ffnResidual })) as tf.Tensor2D;
    });
    return tf.reshape(this.layerNorm(h, this.finalGammas, this.finalBetas), [rows, length, width]);
  }

  /** Each member's LayerNorm on its own columns of x [R, G·d], with its own gain and bias (nn's LayerNorm). */
  private layerNorm(x: tf.Tensor2D, gammas: readonly tf.Variable[], betas: readonly tf.Variable[]): tf.Tensor2D {
    const { dim } = this.config;
    const stacked = (parts: readonly tf.Variable[]): tf.Tensor2D => tf.reshape(parts.length === 1 ? parts[0]! : tf.concat([...parts], 0), [this.size, dim]);
    return tf.reshape(layerNormOp(tf.reshape(x, [-1, this.size, dim]), stacked(gammas), stacked(betas), LAYER_NORM_EPSILON), x.shape);
  }

  /** Layer i's dense weights, per member (the variables themselves: gradients flow back to them). */
  private denseLayer(i: number): LayerDense<GroupWeights> {
    const layer = this.layers[i]!;
    const weights = (name: DenseName): GroupWeights => ({
      kernels: layer.map((m) => m[name].kernel as tf.Tensor2D),
      biases: layer.map((m) => m[name].bias as tf.Tensor1D),
    });
    return Object.fromEntries(DENSE_NAMES.map((name) => [name, weights(name)])) as LayerDense<GroupWeights>;
  }

  /**
   * Layer `layer`'s dropout multipliers for every member and view, laid out like the activations they multiply.
   * Per member they are drawn as its nn layer draws them in one pass (attention weights, the attention residual,
   * the FFN activation, the FFN residual), view after view.
   */
  private drawMasks(layer: readonly MemberLayer[], batch: number, length: number, views: number, training: boolean): LayerMasks {
    const { dim, heads, ffnDim } = this.config;
    const mode = { training };
    const drawn = { attention: [] as tf.Tensor[], attentionResidual: [] as tf.Tensor[], ffn: [] as tf.Tensor[], ffnResidual: [] as tf.Tensor[] };
    for (const member of layer) {
      for (let view = 0; view < views; view++) {
        const push = (list: tf.Tensor[], mask: tf.Tensor | undefined) => mask && list.push(mask);
        push(drawn.attention, member.attentionDropout.multiplier([batch, heads, length, length], mode));
        push(drawn.attentionResidual, member.residualDropout.multiplier([batch, length, dim], mode));
        push(drawn.ffn, member.ffnDropout.multiplier([batch, length, ffnDim], mode));
        push(drawn.ffnResidual, member.residualDropout.multiplier([batch, length, dim], mode));
      }
    }
    const rows = batch * views;
    const laid = (pieces: tf.Tensor[], outer: number, shape: number[]) => (pieces.length > 0 ? interleave(pieces, this.size, outer, shape) : undefined);
    return {
      attention: laid(drawn.attention, rows, [rows, this.size * heads, length, length]),
      attentionResidual: laid(drawn.attentionResidual, rows * length, [rows * length, this.size * dim]),
      ffn: laid(drawn.ffn, rows * length, [rows * length, this.size * ffnDim]),
      ffnResidual: laid(drawn.ffnResidual, rows * length, [rows * length, this.size * dim]),
    };
  }
}

export function disposeFrozen(frozen: FrozenEncoderGroup): void {
  for (const layer of frozen.layers) for (const name of DENSE_NAMES) disposeFrozenWeights(layer[name]);
}
