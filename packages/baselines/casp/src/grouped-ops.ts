/**
 * Fused ops over G same-shaped members laid out side by side on the feature axis, x [R, G·k] (member m in columns
 * m·k..(m+1)·k): a dense layer per member, one node on the gradient tape with a hand-written gradient. (A LayerNorm
 * per member is nn's layerNormOp with [G, d] gains.)
 *
 * Why: at CASP's sizes a training step is bound by the number of kernels and by what the tape records (every
 * recorded op keeps copies of its inputs and adds a backward node), not by arithmetic.
 * - The G dense layers are one product with the block-diagonal of their kernels [G·k, G·n]: the zero blocks add
 *   exact zeros, so each member gets its own product. It wastes (G − 1)/G of the arithmetic, which at d 40 costs
 *   less than the alternatives on wasm: per-member products need the members' columns (wasm's strided slices copy
 *   row by row in JavaScript) or rows (its slice and unstack copy the whole input per piece), and one batched
 *   [G, R, k]·[G, k, n] product takes its slow general path.
 * - The forward math is nn's, op for op in the same order (Dense: product, bias, activation, dropout multiplier;
 *   LayerNorm as layers.ts), so outputs match; gradients are the same math, equal to float rounding
 *   (encoder-group.test.ts compares both with nn's own layers).
 * A frozen dense layer (CASP's adaptation trains only the layer norms) takes its block kernel as a constant with its
 * transpose made once, and its backward pass forms the input gradient alone.
 */
import * as tf from '@tensorflow/tfjs';
import { sumRows } from '@midg/nn';

export interface GroupWeights {
  /** Per member [k, n]. */
  kernels: tf.Tensor2D[];
  /** Per member [n]. */
  biases: tf.Tensor1D[];
}

/** A block dense map fixed for a stretch: kept tensors (dispose with disposeFrozenWeights). */
export interface FrozenGroupWeights {
  /** [G·k, G·n] block-diagonal. */
  kernel: tf.Tensor2D;
  /** Its transpose [G·n, G·k]. */
  transposed: tf.Tensor2D;
  /** [G·n]. */
  bias: tf.Tensor1D;
}

export interface GroupedDenseOptions {
  /** ReLU after the bias. Default none. */
  relu?: boolean;
  /** Multiplies the (activated) output: a dropout multiplier [R, G·n]. */
  multiplier?: tf.Tensor;
}

/** The [G·k, G·n] block-diagonal of G [k, n] kernels. */
export function blockDiagonal(kernels: readonly tf.Tensor2D[]): tf.Tensor2D {
  if (kernels.length === 1) return kernels[0]!;
  const width = kernels[0]!.shape[1];
  const last = kernels.length - 1;
  return tf.concat(kernels.map((w, m) => tf.pad(w, [[0, 0], [m * width, (last - m) * width]])), 0);
}

function joinedBias(biases: readonly tf.Tensor1D[]): tf.Tensor1D {
  return biases.length === 1 ? biases[0]! : tf.concat([...biases]);
}

/** x [R, G·k] → [R, G·n]: per member relu?(x_m·W_m + b_m) · multiplier_m, as one tape node. */
export function groupedDense(x: tf.Tensor2D, weights: GroupWeights | FrozenGroupWeights, options: GroupedDenseOptions = {}): tf.Tensor2D {
  const { relu = false, multiplier } = options;
  const forward = (input: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D) => {
    const z = tf.add(tf.matMul(input, kernel), bias);
    const activated = relu ? tf.relu(z) : z;
    return { activated, output: (multiplier ? tf.mul(activated, multiplier) : activated) as tf.Tensor2D };
  };
  // What the backward pass needs besides x and the kernel (saved: tensors made in the forward pass are gone by then).
  const extras = (activated: tf.Tensor): tf.Tensor[] => [...(relu ? [activated] : []), ...(multiplier ? [multiplier] : [])];
  // dL/dz from dL/dy and the saved extras: through the multiplier, then the ReLU (derivative: step of its output).
  const preActivation = (dy: tf.Tensor, saved: readonly tf.Tensor[]): tf.Tensor2D => {
    const [activated, savedMultiplier] = relu ? [saved[0], saved[1]] : [undefined, saved[0]];
    let g = savedMultiplier ? tf.mul(dy, savedMultiplier) : dy;
    if (activated) g = tf.mul(g, tf.step(activated));
    return g as tf.Tensor2D;
  };
  if ('transposed' in weights) {
    const { kernel, transposed, bias } = weights;
    return tf.customGrad((input, save) => {
      const { activated, output } = forward(input as tf.Tensor2D, kernel, bias);
      (save as tf.GradSaveFunc)(extras(activated));
      return { value: output, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.matMul(preActivation(dy, saved), transposed) };
    })(x) as tf.Tensor2D;
  }
  const count = weights.kernels.length;
  const [k, n] = weights.kernels[0]!.shape;
  const op = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = inputs.pop() as tf.GradSaveFunc;
    const [input, ...rest] = inputs as tf.Tensor[];
    const kernel = blockDiagonal(rest.slice(0, count) as tf.Tensor2D[]);
    const { activated, output } = forward(input as tf.Tensor2D, kernel, joinedBias(rest.slice(count) as tf.Tensor1D[]));
    save([input!, kernel, ...extras(activated)]);
    return {
      value: output,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedX, savedKernel] = saved as [tf.Tensor2D, tf.Tensor2D];
        const g = preActivation(dy, saved.slice(2));
        // The full product xᵀ·g [G·k, G·n]; member m's kernel gradient is its diagonal block.
        const product = tf.matMul(tf.transpose(savedX), g);
        const dKernels = Array.from({ length: count }, (_, m) => (count === 1 ? product : tf.slice(product, [m * k, m * n], [k, n])));
        const dBias = sumRows(g);
        const dBiases = count === 1 ? [dBias] : tf.split(dBias, count);
        return [tf.matMul(g, tf.transpose(savedKernel)), ...dKernels, ...dBiases];
      },
    };
  });
  return op(x, ...weights.kernels, ...weights.biases) as tf.Tensor2D;
}

/** The block kernel, its transpose and the joined bias as kept tensors, for a stretch in which they do not change. */
export function freezeWeights(weights: GroupWeights): FrozenGroupWeights {
  return tf.tidy(() => {
    const kernel = tf.keep(blockDiagonal(weights.kernels).clone());
    return { kernel, transposed: tf.keep(tf.transpose(kernel)), bias: tf.keep(joinedBias(weights.biases).clone()) };
  });
}

export function disposeFrozenWeights(weights: FrozenGroupWeights): void {
  tf.dispose([weights.kernel, weights.transposed, weights.bias]);
}
