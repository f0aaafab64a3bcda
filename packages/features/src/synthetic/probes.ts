/**
 * Closed-form probes that measure what the synthetic benchmark makes learnable: ridge regression on time-mean-pooled
 * features, optionally on pairwise products or random ReLU features of them. Plain TypeScript, no tensors, so the
 * tests that prove the benchmark's properties do not depend on the models under study.
 */
import type { Dataset, Modality, Split, SplitName } from '../dataset';
import { Rng } from './rng';

/** Dense row-major matrix. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** Per-modality channel subsets; a modality that is absent uses all its channels. */
export type ChannelSelection = Partial<Record<Modality, readonly number[]>>;

export interface ProbeSpec {
  /** Modalities pooled and concatenated (standardized with the training split's statistics). */
  modalities: readonly Modality[];
  channels?: ChannelSelection;
  /**
   * linear: ridge on the pooled features.
   * products: pooled features plus the products of every channel of `pairs[k][0]` with every channel of `pairs[k][1]`.
   * random-relu: pooled features plus `width` random ReLU units of them.
   */
  features:
    | { kind: 'linear' }
    | { kind: 'products'; pairs: readonly (readonly [Modality, Modality])[] }
    | { kind: 'random-relu'; width: number; seed: number };
  /** Ridge strengths tried; the one with the lowest validation MSE is kept. */
  lambdas?: readonly number[];
}

export interface Probe {
  /** Predictions for a split of any dataset with the same modalities and dims. */
  predict(split: Split): Float64Array;
  /** The probe's input matrix for a split (pooled, standardized with the training statistics, expanded). */
  features(split: Split): Matrix;
  /** The chosen ridge strength and the model fitted with it, over the columns of `features`. */
  lambda: number;
  model: LinearModel;
}

export interface RegressionScores {
  r2: number;
  mae: number;
  /** (prediction ≥ 0) against (target ≥ 0) over every sample: MMSA's Has0_acc_2, the paper's ACC. */
  has0Acc2: number;
  /** Sign agreement on the samples whose target is not 0: MMSA's Non0_acc_2. */
  non0Acc2: number;
}

const DEFAULT_LAMBDAS = [1e-3, 1e-2, 0.1, 1, 10, 100];

/** Mean over each sample's true steps: [N, L, D] → [N, |channels|]. */
export function meanPool(split: Split, modality: Modality, channels?: readonly number[]): Matrix {
  const tensor = split.features[modality];
  if (!tensor) throw new Error(`probe needs modality ${modality}, which the split does not have`);
  const [n, seqLen, dim] = tensor.shape;
  const picked = channels ?? Array.from({ length: dim }, (_, j) => j);
  const out = new Float64Array(n * picked.length);
  for (let i = 0; i < n; i++) {
    const length = tensor.lengths[i]!;
    for (let step = 0; step < length; step++) {
      const row = (i * seqLen + step) * dim;
      for (let k = 0; k < picked.length; k++) out[i * picked.length + k]! += tensor.data[row + picked[k]!]!;
    }
    for (let k = 0; k < picked.length; k++) out[i * picked.length + k]! /= length;
  }
  return { rows: n, cols: picked.length, data: out };
}

export function hstack(blocks: readonly Matrix[]): Matrix {
  const rows = blocks[0]!.rows;
  const cols = blocks.reduce((sum, block) => sum + block.cols, 0);
  const data = new Float64Array(rows * cols);
  let offset = 0;
  for (const block of blocks) {
    for (let i = 0; i < rows; i++) data.set(block.data.subarray(i * block.cols, (i + 1) * block.cols), i * cols + offset);
    offset += block.cols;
  }
  return { rows, cols, data };
}

/** Column means and stds of `fit`; returns the map that standardizes any matrix with them. */
export function fitStandardizer(fit: Matrix): (x: Matrix) => Matrix {
  const { rows, cols } = fit;
  const mean = new Float64Array(cols);
  const std = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j]! += fit.data[i * cols + j]! / rows;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) std[j]! += (fit.data[i * cols + j]! - mean[j]!) ** 2 / rows;
  for (let j = 0; j < cols; j++) std[j] = Math.sqrt(std[j]!) || 1;
  return (x) => ({ rows: x.rows, cols, data: x.data.map((value, index) => (value - mean[index % cols]!) / std[index % cols]!) });
}

/** Every product a_j · b_k (a and b already standardized). */
export function crossProducts(a: Matrix, b: Matrix): Matrix {
  const data = new Float64Array(a.rows * a.cols * b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) {
      for (let k = 0; k < b.cols; k++) data[(i * a.cols + j) * b.cols + k] = a.data[i * a.cols + j]! * b.data[i * b.cols + k]!;
    }
  }
  return { rows: a.rows, cols: a.cols * b.cols, data };
}

/** `width` units relu(w·x + c) with w ~ N(0, I/cols), c ~ N(0, 1): a fixed random nonlinear basis. */
export function randomReluFeatures(x: Matrix, width: number, seed: number): Matrix {
  const rng = new Rng(seed);
  const weights = Float64Array.from({ length: width * x.cols }, () => rng.normal() / Math.sqrt(x.cols));
  const biases = Float64Array.from({ length: width }, () => rng.normal());
  const data = new Float64Array(x.rows * width);
  for (let i = 0; i < x.rows; i++) {
    for (let u = 0; u < width; u++) {
      let sum = biases[u]!;
      for (let j = 0; j < x.cols; j++) sum += weights[u * x.cols + j]! * x.data[i * x.cols + j]!;
      data[i * width + u] = Math.max(0, sum);
    }
  }
  return { rows: x.rows, cols: width, data };
}

/** A fitted linear model: prediction = intercept + weights · x. */
export interface LinearModel {
  weights: Float64Array;
  intercept: number;
}

/** Predictions of a linear model for every row of `x`. */
export function predictLinear(model: LinearModel, x: Matrix): Float64Array {
  const { weights, intercept } = model;
  const out = new Float64Array(x.rows).fill(intercept);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < x.cols; j++) out[i]! += weights[j]! * x.data[i * x.cols + j]!;
  return out;
}

/**
 * Ridge regression with an unpenalized intercept, w = (XcᵀXc + λ·n·I)⁻¹ Xcᵀ yc, for each λ in `lambdas`
 * (the Gram matrix is formed once). Returns one model per λ.
 */
export function fitRidgeModels(x: Matrix, y: ArrayLike<number>, lambdas: readonly number[]): LinearModel[] {
  const { rows, cols } = x;
  const { gram, rhs, xMean, yMean } = normalEquations(x, y);
  return lambdas.map((lambda) => {
    const system = gram.slice();
    for (let j = 0; j < cols; j++) system[j * cols + j]! += lambda * rows;
    const weights = choleskySolve(choleskyFactor(system, cols), rhs, cols);
    return { weights, intercept: interceptOf(weights, xMean, yMean) };
  });
}

/**
 * One ridge fit (as fitRidgeModels) plus the sampling variance of every weight, σ²·diag(A⁻¹GA⁻¹) with G = XcᵀXc,
 * A = G + λ·n·I and σ² = RSS / (n − df), df = tr(A⁻¹G): how far a weight moves between two draws of the same data.
 */
export function fitRidgeWithVariances(x: Matrix, y: ArrayLike<number>, lambda: number): LinearModel & { variances: Float64Array } {
  const { rows, cols } = x;
  const { gram, rhs, xMean, yMean } = normalEquations(x, y);
  for (let j = 0; j < cols; j++) for (let k = j + 1; k < cols; k++) gram[j * cols + k] = gram[k * cols + j]!;
  const system = gram.slice();
  for (let j = 0; j < cols; j++) system[j * cols + j]! += lambda * rows;
  const lower = choleskyFactor(system, cols);
  const weights = choleskySolve(lower, rhs, cols);
  const intercept = interceptOf(weights, xMean, yMean);
  // inverse[k] is column k of A⁻¹ (= row k, A is symmetric); spread[k] is column k of A⁻¹G.
  const inverse = Array.from({ length: cols }, (_, k) => choleskySolve(lower, Float64Array.from({ length: cols }, (_, j) => (j === k ? 1 : 0)), cols));
  const spread = Array.from({ length: cols }, (_, k) => choleskySolve(lower, gram.subarray(k * cols, (k + 1) * cols), cols));
  let df = 0;
  for (let j = 0; j < cols; j++) df += spread[j]![j]!;
  const predictions = predictLinear({ weights, intercept }, x);
  let rss = 0;
  for (let i = 0; i < rows; i++) rss += (y[i]! - predictions[i]!) ** 2;
  const noise = rss / Math.max(1, rows - df);
  const variances = new Float64Array(cols);
  // (A⁻¹GA⁻¹)_jj = Σ_k (A⁻¹G)_jk (A⁻¹)_kj.
  for (let j = 0; j < cols; j++) for (let k = 0; k < cols; k++) variances[j]! += noise * spread[k]![j]! * inverse[j]![k]!;
  return { weights, intercept, variances };
}

function interceptOf(weights: Float64Array, xMean: Float64Array, yMean: number): number {
  let intercept = yMean;
  for (let j = 0; j < weights.length; j++) intercept -= weights[j]! * xMean[j]!;
  return intercept;
}

/** Column means, the lower triangle of the centred Gram matrix XcᵀXc and Xcᵀyc. */
function normalEquations(x: Matrix, y: ArrayLike<number>): { gram: Float64Array; rhs: Float64Array; xMean: Float64Array; yMean: number } {
  const { rows, cols } = x;
  const xMean = new Float64Array(cols);
  let yMean = 0;
  for (let i = 0; i < rows; i++) {
    yMean += y[i]! / rows;
    for (let j = 0; j < cols; j++) xMean[j]! += x.data[i * cols + j]! / rows;
  }
  const gram = new Float64Array(cols * cols);
  const rhs = new Float64Array(cols);
  const centered = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) centered[j] = x.data[i * cols + j]! - xMean[j]!;
    const target = y[i]! - yMean;
    for (let j = 0; j < cols; j++) {
      const value = centered[j]!;
      rhs[j]! += value * target;
      const offset = j * cols;
      for (let k = 0; k <= j; k++) gram[offset + k]! += value * centered[k]!;
    }
  }
  return { gram, rhs, xMean, yMean };
}

/** The Cholesky factor L (A = LLᵀ) of a symmetric positive definite A, reading only A's lower triangle. */
function choleskyFactor(a: Float64Array, n: number): Float64Array {
  const lower = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let diagonal = a[j * n + j]!;
    for (let k = 0; k < j; k++) diagonal -= lower[j * n + k]! ** 2;
    if (!(diagonal > 0)) throw new Error('ridge system is not positive definite; use a larger lambda');
    const pivot = Math.sqrt(diagonal);
    lower[j * n + j] = pivot;
    for (let i = j + 1; i < n; i++) {
      let sum = a[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= lower[i * n + k]! * lower[j * n + k]!;
      lower[i * n + j] = sum / pivot;
    }
  }
  return lower;
}

/** Solves A·w = b given A's Cholesky factor. */
function choleskySolve(lower: Float64Array, b: ArrayLike<number>, n: number): Float64Array {
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= lower[i * n + k]! * z[k]!;
    z[i] = sum / lower[i * n + i]!;
  }
  const w = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = z[i]!;
    for (let k = i + 1; k < n; k++) sum -= lower[k * n + i]! * w[k]!;
    w[i] = sum / lower[i * n + i]!;
  }
  return w;
}

/** Fits a probe on `train` against `trainTarget`, choosing λ on `valid`. */
export function fitProbe(
  spec: ProbeSpec,
  train: { split: Split; target: ArrayLike<number> },
  valid: { split: Split; target: ArrayLike<number> },
): Probe {
  const pool = (split: Split): Matrix[] => spec.modalities.map((m) => meanPool(split, m, spec.channels?.[m]));
  const standardizers = pool(train.split).map(fitStandardizer);
  const features = (split: Split): Matrix => {
    const pooled = pool(split).map((block, k) => standardizers[k]!(block));
    const byModality = (m: Modality): Matrix => pooled[spec.modalities.indexOf(m)]!;
    const linear = hstack(pooled);
    const { features: kind } = spec;
    if (kind.kind === 'linear') return linear;
    if (kind.kind === 'products') {
      return hstack([linear, ...kind.pairs.map(([first, second]) => crossProducts(byModality(first), byModality(second)))]);
    }
    return hstack([linear, randomReluFeatures(linear, kind.width, kind.seed)]);
  };
  const trainX = features(train.split);
  const validX = features(valid.split);
  const lambdas = spec.lambdas ?? DEFAULT_LAMBDAS;
  const models = fitRidgeModels(trainX, train.target, lambdas);
  let best: { lambda: number; model: LinearModel; mse: number } | undefined;
  for (const [index, lambda] of lambdas.entries()) {
    const model = models[index]!;
    const predictions = predictLinear(model, validX);
    let mse = 0;
    for (let i = 0; i < predictions.length; i++) mse += (predictions[i]! - valid.target[i]!) ** 2 / predictions.length;
    if (!best || mse < best.mse) best = { lambda, model, mse };
  }
  const chosen = best!;
  return { lambda: chosen.lambda, model: chosen.model, features, predict: (split) => predictLinear(chosen.model, features(split)) };
}

/** Labels divided by the dataset's half-range: every domain on [-1, 1]. */
export function normalizedLabels(dataset: Dataset, split: Split): Float64Array {
  const scale = Math.max(Math.abs(dataset.labelRange[0]), Math.abs(dataset.labelRange[1]));
  return Float64Array.from(split.labels, (label) => label / scale);
}

/** What a probe regresses on, per dataset and split; default `normalizedLabels`. */
export type ProbeTarget = (dataset: Dataset, split: SplitName) => ArrayLike<number>;

const labelTarget: ProbeTarget = (dataset, split) => normalizedLabels(dataset, dataset.splits[split]);

/** Fits on `source` (train, λ on valid) and scores on the test split of each dataset in `evaluateOn`. */
export function scoreProbe(
  spec: ProbeSpec,
  source: Dataset,
  evaluateOn: readonly Dataset[] = [source],
  target: ProbeTarget = labelTarget,
): RegressionScores[] {
  const probe = fitProbe(
    spec,
    { split: source.splits.train, target: target(source, 'train') },
    { split: source.splits.valid, target: target(source, 'valid') },
  );
  return evaluateOn.map((dataset) => regressionScores(probe.predict(dataset.splits.test), target(dataset, 'test')));
}

export function regressionScores(predictions: ArrayLike<number>, targets: ArrayLike<number>): RegressionScores {
  const n = targets.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += targets[i]! / n;
  let residual = 0;
  let total = 0;
  let absolute = 0;
  let agreeHas0 = 0;
  let agreeNon0 = 0;
  let nonZero = 0;
  for (let i = 0; i < n; i++) {
    const error = predictions[i]! - targets[i]!;
    residual += error * error;
    total += (targets[i]! - mean) ** 2;
    absolute += Math.abs(error);
    if (predictions[i]! >= 0 === targets[i]! >= 0) agreeHas0++;
    if (targets[i] !== 0) {
      nonZero++;
      if (predictions[i]! > 0 === targets[i]! > 0) agreeNon0++;
    }
  }
  return {
    r2: 1 - residual / total,
    mae: absolute / n,
    has0Acc2: agreeHas0 / n,
    non0Acc2: nonZero > 0 ? agreeNon0 / nonZero : Number.NaN,
  };
}
