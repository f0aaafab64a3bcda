/**
 * MulT's input projection: a bias-free temporal convolution of kernel k from the feature width to d (MMSA's
 * `proj_l/a/v`, nn.Conv1d(padding=0, bias=False)). The wasm backend has no conv filter gradient, so it is the sum of
 * k shifted dense maps: y_t = Σ_{i<k} x_{t+i} W_i, each W_i [D, d], computed as one matMul of the k shifted copies
 * concatenated on the feature axis with the stacked [k·D, d] kernel.
 *
 * Length and padding. MMSA's valid convolution shortens the sequence by k − 1 and lets padded steps in. Here the
 * input is first multiplied by its mask (padded steps count as zeros whatever they hold), then zero-padded by k − 1
 * at the END, so y keeps length L and the same mask, and y_t looks at x_t..x_{t+k−1} exactly as the valid conv
 * does; near the end of the real steps the window reads zeros, as with zero padding. At L = 1 it is y_0 = x_0 W_0.
 */
import * as tf from '@tensorflow/tfjs';
import { assertPositiveInt, assertShape, disposeVariables, matMul, type TrainablePart } from '@midg/nn';

export interface TemporalConvConfig {
  inputDim: number;
  units: number;
  kernel: number;
  seed: number;
}

export class TemporalConv implements TrainablePart {
  readonly inputDim: number;
  readonly units: number;
  readonly kernel: number;
  /** [k·inputDim, units]: rows i·D..(i+1)·D − 1 are W_i. */
  private readonly weight: tf.Variable;

  constructor(config: TemporalConvConfig) {
    assertPositiveInt('TemporalConv inputDim', config.inputDim);
    assertPositiveInt('TemporalConv units', config.units);
    assertPositiveInt('TemporalConv kernel', config.kernel);
    this.inputDim = config.inputDim;
    this.units = config.units;
    this.kernel = config.kernel;
    // Glorot over the conv's true fan-in/fan-out (k·D in, k·d out), as Keras initializes a Conv1D kernel.
    const fanIn = config.kernel * config.inputDim;
    const fanOut = config.kernel * config.units;
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    this.weight = tf.tidy(() => tf.variable(tf.randomUniform([fanIn, config.units], -limit, limit, 'float32', config.seed)));
  }

  /** x [B, L, inputDim], mask [B, L] → [B, L, units]. */
  forward(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor3D {
    assertShape('TemporalConv input', x, 3, this.inputDim);
    const [batch, length] = x.shape;
    return tf.tidy(() => {
      const masked = tf.mul(x, tf.expandDims(tf.cast(mask, 'float32'), 2)) as tf.Tensor3D;
      const padded = this.kernel > 1 ? tf.pad(masked, [[0, 0], [0, this.kernel - 1], [0, 0]]) : masked;
      const shifted = Array.from({ length: this.kernel }, (_, i) => tf.slice(padded, [0, i, 0], [batch, length, this.inputDim]));
      const windows = (this.kernel > 1 ? tf.concat(shifted, 2) : shifted[0]!) as tf.Tensor3D;
      const flat = tf.reshape(windows, [batch * length, this.kernel * this.inputDim]) as tf.Tensor2D;
      return tf.reshape(matMul(flat, this.weight as tf.Tensor2D), [batch, length, this.units]) as tf.Tensor3D;
    });
  }

  trainableVariables(): tf.Variable[] {
    return [this.weight];
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}
