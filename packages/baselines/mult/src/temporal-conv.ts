/**
 * MulT's input projection: a bias-free temporal convolution of kernel k from the feature width to d (MMSA's
 * `proj_l/a/v`, nn.Conv1d(padding=0, bias=False)). The wasm backend has no conv filter gradient, so it is the sum of
 * k shifted dense maps: y_t = Σ_{i<k} x_{t+i} W_i, each W_i [D, d], computed as one bias-free dense layer (nn's fast
 * matMul gradient) on the k shifted copies concatenated on the feature axis, i.e. the stacked [k·D, d] kernel.
 *
 * Length and padding. MMSA's valid convolution shortens the sequence by k − 1 and lets padded steps in. Here the
 * input is first multiplied by its mask (padded steps count as zeros whatever they hold), then zero-padded by k − 1
 * at the END, so y keeps length L and the same mask, and y_t looks at x_t..x_{t+k−1} exactly as the valid conv
 * does; near the end of the real steps the window reads zeros, as with zero padding. At L = 1 it is y_0 = x_0 W_0.
 */
import * as tf from '@tensorflow/tfjs';
import { Dense, assertPositiveInt, assertShape, type TrainablePart } from '@midg/nn';

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
  /** Bias-free dense map [k·inputDim → units]: kernel rows i·D..(i+1)·D − 1 are W_i. */
  private readonly taps: Dense;

  constructor(config: TemporalConvConfig) {
    assertPositiveInt('TemporalConv inputDim', config.inputDim);
    assertPositiveInt('TemporalConv units', config.units);
    assertPositiveInt('TemporalConv kernel', config.kernel);
    this.inputDim = config.inputDim;
    this.units = config.units;
    this.kernel = config.kernel;
    this.taps = new Dense({ inputDim: config.kernel * config.inputDim, units: config.units, useBias: false, seed: config.seed });
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
      return this.taps.forward(windows);
    });
  }

  trainableVariables(): tf.Variable[] {
    return this.taps.trainableVariables();
  }

  dispose(): void {
    this.taps.dispose();
  }
}
