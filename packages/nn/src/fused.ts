/**
 * Fused forward/backward ops for the layers of layers.ts: a dense layer (matMul + bias + activation + dropout
 * multiplier) and layer normalization, each one node on TF.js's gradient tape with a hand-written gradient.
 *
 * Why: a training step here is bound by per-kernel overhead, not arithmetic. Every op recorded on the tape also
 * keeps copies of the tensors its gradient needs (an Identity kernel each) and costs one more gradient node in
 * the backward pass; a dense layer written op by op put ~10 kernels and ~7 copies on the tape, this puts one node
 * and the copies its gradient needs. The forward math is the same ops in the same order (so outputs are bit for
 * bit those of the op-by-op form); gradients are the same math, equal to float rounding (fused.test.ts).
 *
 * The products of the backward pass are formed with explicit transposes (matMul's transpose flags run on a slow
 * path on wasm), choosing for the kernel gradient the cheaper of x^T·g and (g^T·x)^T by its right operand's width.
 */
import * as tf from '@tensorflow/tfjs';

let fusedLayers = true;

/** False inside withOpByOpLayers. */
export function fusedLayersEnabled(): boolean {
  return fusedLayers;
}

/**
 * Runs fn with every layer in its op-by-op form, the implementation before fusion: autograd through the individual
 * ops (with layers.ts's explicit-transpose matMul), tf.dropout, tf.max. The reference the equivalence tests compare
 * the fused layers with; it trains the same model, only slower.
 */
export function withOpByOpLayers<T>(fn: () => T): T {
  const previous = fusedLayers;
  fusedLayers = false;
  try {
    return fn();
  } finally {
    fusedLayers = previous;
  }
}

const matMulExplicitGrad = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedA, savedB] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(savedB)), transposedProduct(savedA, dy as tf.Tensor2D)];
    },
  };
});

/**
 * a @ b for [M, K] @ [K, N], with a gradient that transposes explicitly. TF.js's own MatMul gradient calls matMul
 * with transposeA/transposeB, which the wasm backend runs on a slow path (up to ~13× slower than tf.transpose +
 * plain matMul at this project's shapes): a dense layer's forward + backward is 1.5–2.6× faster with this
 * (matmul.bench.ts). The fused dense op goes further (below).
 */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[0]) {
    throw new Error(`matMul: cannot multiply [${a.shape.join(', ')}] by [${b.shape.join(', ')}]`);
  }
  return matMulExplicitGrad(a, b) as tf.Tensor2D;
}

export type Activation = 'linear' | 'relu' | 'tanh' | 'sigmoid';

export function activate<T extends tf.Tensor>(x: T, activation: Activation): T {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
  }
}

/** dL/dz from dL/da for a = activation(z), given a (all four derivatives are functions of the output). */
function activationGradient(dy: tf.Tensor, output: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'linear':
      return dy;
    case 'relu':
      return tf.mul(dy, tf.step(output));
    case 'tanh':
      return tf.mul(tf.sub(1, tf.square(output)), dy);
    case 'sigmoid':
      return tf.mul(dy, tf.mul(output, tf.sub(1, output)));
  }
}

/**
 * x^T·g for x [M, K], g [M, N], with the narrower of x and g as the product's right operand: the wasm backend
 * repacks the right operand of every product whose data it has not seen (XNNPACK's weight packing), and that
 * packing, not the transpose, decides the cost. Measured with fresh operands (load 0.8–1.4; matmul.bench.ts, "kernel
 * gradient" lines, two runs): text [1600, 768] with g [1600, 64] 7.6 and 9.3 ms as x^T·g against 9.1 and 12.6 ms
 * as (g^T·x)^T; [1600, 64] with g [1600, 128] 1.18 and 1.51 ms as (g^T·x)^T against 1.41 and 1.62 ms.
 */
function transposedProduct(x: tf.Tensor2D, g: tf.Tensor2D): tf.Tensor2D {
  const k = x.shape[1];
  const n = g.shape[1];
  return n <= k ? tf.matMul(tf.transpose(x), g) : (tf.transpose(tf.matMul(tf.transpose(g), x)) as tf.Tensor2D);
}

/**
 * The column sums of g [M, N] as [N]: ones[1, M]·g. On wasm tf.sum over axis 0 transposes first and is 2-3× slower
 * at this project's shapes (239 vs 115 µs at [1024, 30], 2344 vs 750 µs at [1024, 240], a fresh g each call as in a
 * step; matmul.bench.ts, "column sums" lines), and it is every bias and layer-norm gradient.
 */
export function sumRows(g: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.reshape(tf.matMul(tf.ones([1, g.shape[0]]), g), [g.shape[1]]));
}

export interface DenseOpOptions {
  activation: Activation;
  /** Multiplies the activation (a dropout multiplier, see dropout-mask.ts): [M, N]. */
  multiplier?: tf.Tensor;
  /** Whether x gets a gradient. False for data (network inputs): skips the product dL/dx. */
  inputGradient: boolean;
}

/**
 * activation(x·kernel + bias) [· multiplier] for x [M, K], kernel [K, N], bias [N]; one tape node. With
 * inputGradient false, x is treated as a constant (no gradient reaches it).
 */
export function denseOp(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D | undefined, options: DenseOpOptions): tf.Tensor2D {
  const { activation, multiplier, inputGradient } = options;
  if (!fusedLayers) {
    let z: tf.Tensor2D = matMul(x, kernel);
    if (bias) z = tf.add(z, bias);
    const activated = activate(z, activation);
    return multiplier ? tf.mul(activated, multiplier) : activated;
  }
  const saveOutput = activation !== 'linear';
  const forward = (input: tf.Tensor2D, weights: tf.Tensor2D, b: tf.Tensor1D | undefined): { output: tf.Tensor2D; activated: tf.Tensor2D } => {
    let z: tf.Tensor2D = tf.matMul(input, weights);
    if (b) z = tf.add(z, b);
    const activated = activate(z, activation);
    return { activated, output: multiplier ? tf.mul(activated, multiplier) : activated };
  };
  // The backward pass from the saved tensors [x, kernel, activation output?, multiplier?].
  const backward = (dy: tf.Tensor2D, saved: tf.Tensor[]): { dx?: tf.Tensor2D; dKernel: tf.Tensor2D; dBias?: tf.Tensor1D } => {
    const [savedX, savedKernel] = saved as [tf.Tensor2D, tf.Tensor2D];
    let g: tf.Tensor = dy;
    let next = 2;
    const activated = saveOutput ? saved[next++]! : undefined;
    if (multiplier) g = tf.mul(g, saved[next++]!);
    if (activated) g = activationGradient(g, activated, activation);
    const g2 = g as tf.Tensor2D;
    return {
      dx: inputGradient ? (tf.matMul(g2, tf.transpose(savedKernel)) as tf.Tensor2D) : undefined,
      dKernel: transposedProduct(savedX, g2),
      dBias: bias ? sumRows(g2) : undefined,
    };
  };
  const toSave = (input: tf.Tensor2D, weights: tf.Tensor2D, activated: tf.Tensor2D): tf.Tensor[] => [
    input,
    weights,
    ...(saveOutput ? [activated] : []),
    ...(multiplier ? [multiplier] : []),
  ];
  // customGrad must return one gradient per input: x is an input only when it gets a gradient, the bias only when
  // there is one; both are otherwise captured (and saved) from this scope.
  if (inputGradient) {
    if (bias) {
      return tf.customGrad((input, weights, b, save) => {
        const { output, activated } = forward(input as tf.Tensor2D, weights as tf.Tensor2D, b as tf.Tensor1D);
        (save as tf.GradSaveFunc)(toSave(input as tf.Tensor2D, weights as tf.Tensor2D, activated));
        return { value: output, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const grads = backward(dy as tf.Tensor2D, saved);
          return [grads.dx!, grads.dKernel, grads.dBias!];
        } };
      })(x, kernel, bias) as tf.Tensor2D;
    }
    return tf.customGrad((input, weights, save) => {
      const { output, activated } = forward(input as tf.Tensor2D, weights as tf.Tensor2D, undefined);
      (save as tf.GradSaveFunc)(toSave(input as tf.Tensor2D, weights as tf.Tensor2D, activated));
      return { value: output, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const grads = backward(dy as tf.Tensor2D, saved);
        return [grads.dx!, grads.dKernel];
      } };
    })(x, kernel) as tf.Tensor2D;
  }
  if (bias) {
    return tf.customGrad((weights, b, save) => {
      const { output, activated } = forward(x, weights as tf.Tensor2D, b as tf.Tensor1D);
      (save as tf.GradSaveFunc)(toSave(x, weights as tf.Tensor2D, activated));
      return { value: output, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const grads = backward(dy as tf.Tensor2D, saved);
        return [grads.dKernel, grads.dBias!];
      } };
    })(kernel, bias) as tf.Tensor2D;
  }
  return tf.customGrad((weights, save) => {
    const { output, activated } = forward(x, weights as tf.Tensor2D, undefined);
    (save as tf.GradSaveFunc)(toSave(x, weights as tf.Tensor2D, activated));
    return { value: output, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => backward(dy as tf.Tensor2D, saved).dKernel };
  })(kernel) as tf.Tensor2D;
}

/**
 * Layer normalization of x [..., D] over its last axis with gain gamma and shift beta of x's trailing shape ([D], or
 * [G, D] for G independent groups of one layer each, as CASP's grouped encoders use); one tape node. Backward: with
 * x̂ the normalized input and r = 1/σ, dx = r·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) where dx̂ = dy·γ; γ's and β's
 * gradients sum over the leading axes γ does not have.
 */
export function layerNormOp<T extends tf.Tensor>(x: T, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): T {
  if (!fusedLayers) {
    const centered = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.square(centered), -1, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, epsilon))), gamma), beta) as T;
  }
  return tf.customGrad((input, g, b, save) => {
    // The same ops as the op-by-op form, in the same order.
    const centered = tf.sub(input as tf.Tensor, tf.mean(input as tf.Tensor, -1, true));
    const variance = tf.mean(tf.square(centered), -1, true);
    const inverseStd = tf.rsqrt(tf.add(variance, epsilon));
    const normalized = tf.mul(centered, inverseStd);
    (save as tf.GradSaveFunc)([normalized, inverseStd, g as tf.Tensor]);
    return {
      value: tf.add(tf.mul(normalized, g as tf.Tensor), b as tf.Tensor) as T,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xHat, r, savedGamma] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const dXHat = tf.mul(dy, savedGamma);
        const inner = tf.sub(tf.sub(dXHat, tf.mean(dXHat, -1, true)), tf.mul(xHat, tf.mean(tf.mul(dXHat, xHat), -1, true)));
        // γ's and β's gradients: the sums over the leading axes, as products with ones (sumRows).
        const perGain = (t: tf.Tensor) => tf.reshape(sumRows(tf.reshape(t, [-1, savedGamma.size]) as tf.Tensor2D), savedGamma.shape);
        return [tf.mul(inner, r), perGain(tf.mul(dy, xHat)), perGain(dy)];
      },
    };
  })(x, gamma, beta) as T;
}

/**
 * max over axis 1 of x [B, L, D] → [B, D]; one tape node. TF.js's Max gradient finds the maxima with a
 * broadcasting Equal, which the wasm backend runs on a generic slow path (~8 ms for [32, 50, 64], more than the
 * rest of an encoder's pooling); here the same mask, 1 where x equals its row's maximum (every tie included, as
 * there), comes from 1 − step(max − x) with fast kernels.
 */
export function maxOverSteps(x: tf.Tensor3D): tf.Tensor2D {
  if (!fusedLayers) return tf.max(x, 1);
  return tf.customGrad((input, save) => {
    const value = tf.max(input as tf.Tensor3D, 1) as tf.Tensor2D;
    (save as tf.GradSaveFunc)([input as tf.Tensor3D, value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedX, savedMax] = saved as [tf.Tensor3D, tf.Tensor2D];
        const [batch, , dim] = savedX.shape;
        const atMax = tf.sub(1, tf.step(tf.sub(tf.reshape(savedMax, [batch, 1, dim]), savedX)));
        return tf.mul(atMax, tf.reshape(dy, [batch, 1, dim]));
      },
    };
  })(x) as tf.Tensor2D;
}
