/**
 * MISA's auxiliary losses (Hazarika et al. 2020, §3.4), with the reference's exact reductions (MMSA
 * trains/singleTask/MISA.py: DiffLoss, CMD, MSE).
 */
import * as tf from '@tensorflow/tfjs';

// Added to each row norm before dividing (MMSA's 1e-6), so an all-zero centred row stays finite.
const ROW_NORM_EPSILON = 1e-6;
/**
 * Under the square root of every CMD norm: √x has an infinite (→ NaN) gradient at 0, which CMD hits whenever two
 * moments match exactly (e.g. at initialisation when two modalities share inputs). √(x + ε) is smooth there and
 * adds at most √ε = 1e-6 per moment.
 */
export const CMD_SQRT_EPSILON = 1e-12;

/**
 * Each row's L2 norm of x [B, d] as [B, 1], a constant for the gradient (MMSA detaches it). It is computed inside
 * one custom-gradient node whose gradient is zero: the tape records neither the norm's ops nor their backward pass
 * (which a stopGradient in front would run and then zero), and the norm's own gradient, 0/0 for an all-zero row
 * (a batch of one), is never formed.
 */
function detachedRowNorm(x: tf.Tensor2D): tf.Tensor2D {
  // The gradient is made from the shape alone: the input itself is disposed by the time it runs.
  const shape = x.shape;
  return tf.customGrad((input) => ({ value: tf.norm(input as tf.Tensor2D, 2, 1, true) as tf.Tensor2D, gradFunc: () => tf.zeros(shape) }))(x) as tf.Tensor2D;
}

/**
 * Soft orthogonality of two [B, d] codes: centre each column over the batch, scale each row to unit L2 norm (the
 * norm is a constant for the gradient, as in MMSA), and take the mean of the squared entries of the d×d
 * cross-correlation AᵀB, i.e. ‖AᵀB‖²_F / d². It is 0 when the two codes live in orthogonal subspaces.
 */
export function diffLoss(a: tf.Tensor2D, b: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const unit = (x: tf.Tensor2D) => {
      const centred = tf.sub(x, tf.mean(x, 0, true)) as tf.Tensor2D;
      return tf.div(centred, tf.add(detachedRowNorm(centred), ROW_NORM_EPSILON)) as tf.Tensor2D;
    };
    const correlation = tf.matMul(unit(a), unit(b), true, false);
    return tf.mean(tf.square(correlation)) as tf.Scalar;
  });
}

/** √(‖x − y‖² + ε) over every entry. */
function matchNorm(x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.sqrt(tf.add(tf.sum(tf.square(tf.sub(x, y))), CMD_SQRT_EPSILON)) as tf.Scalar;
}

/**
 * Central moment discrepancy (Zellinger et al. 2017) between two [B, d] samples, unnormalised as in MMSA:
 * ‖E[x] − E[y]‖ + Σ_{k=2..moments} ‖E[(x − E x)^k] − E[(y − E y)^k]‖. Powers are repeated products (tf.pow's
 * gradient takes a log of the base, which is negative here).
 */
export function cmd(x: tf.Tensor2D, y: tf.Tensor2D, moments: number): tf.Scalar {
  if (!Number.isInteger(moments) || moments < 1) throw new Error(`cmd: moments must be a positive integer, got ${moments}`);
  return tf.tidy(() => {
    const meanX = tf.mean(x, 0);
    const meanY = tf.mean(y, 0);
    const centredX = tf.sub(x, meanX);
    const centredY = tf.sub(y, meanY);
    let total = matchNorm(meanX, meanY);
    let powerX: tf.Tensor = centredX;
    let powerY: tf.Tensor = centredY;
    for (let k = 2; k <= moments; k++) {
      powerX = tf.mul(powerX, centredX);
      powerY = tf.mul(powerY, centredY);
      total = tf.add(total, matchNorm(tf.mean(powerX, 0), tf.mean(powerY, 0)));
    }
    return total;
  });
}

/** The sum of diffLoss over the given pairs (MMSA sums its six pairs, it does not average them). */
export function summedDiffLoss(pairs: readonly (readonly [tf.Tensor2D, tf.Tensor2D])[]): tf.Scalar {
  return tf.tidy(() => tf.addN(pairs.map(([a, b]) => diffLoss(a, b))) as tf.Scalar);
}

/** The mean of CMD over every pair of shared codes (MMSA: (t,v), (t,a), (a,v), divided by 3). */
export function meanPairwiseCmd(shared: readonly tf.Tensor2D[], moments: number): tf.Scalar {
  if (shared.length < 2) throw new Error(`meanPairwiseCmd: needs at least two shared codes, got ${shared.length}`);
  return tf.tidy(() => {
    const terms: tf.Scalar[] = [];
    for (let i = 0; i < shared.length; i++) {
      for (let j = i + 1; j < shared.length; j++) terms.push(cmd(shared[i]!, shared[j]!, moments));
    }
    return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
  });
}

/** The mean over modalities of the element-wise MSE between each reconstruction and its target. */
export function meanReconstructionLoss(reconstructions: readonly tf.Tensor2D[], targets: readonly tf.Tensor2D[]): tf.Scalar {
  return tf.tidy(() => {
    const terms = reconstructions.map((r, i) => tf.mean(tf.square(tf.sub(r, targets[i]!))) as tf.Scalar);
    return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
  });
}
