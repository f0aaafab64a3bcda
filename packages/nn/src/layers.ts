/**
 * Small building blocks shared by the MIDG parts (encoders, decoupling, MoIE, adapter).
 *
 * Weights come from tf.layers layers built eagerly with seeded initializers, so constructing a part twice with
 * the same seed gives identical weights; their variables are gathered in a fixed order (checkpoints rely on it).
 * The forward math is written here rather than via layer.apply, because the layers' own gradients are slow on
 * wasm: Dense and LayerNorm run as fused ops with hand-written gradients (fused.ts).
 * Randomness at forward time (dropout masks, reparameterisation noise) comes from a per-part SeedStream, so a
 * run is reproducible given the seed and the sequence of calls. Every op used here has a gradient on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { dropoutMultiplier } from './dropout-mask';
import { denseOp, fusedLayersEnabled, layerNormOp, type Activation } from './fused';

export { matMul, type Activation } from './fused';

/** Options every forward method takes. */
export interface ForwardOptions {
  /** Training mode: dropout active, stochastic sampling; otherwise deterministic. */
  training: boolean;
}

/** Anything that owns variables. */
export interface TrainablePart {
  trainableVariables(): tf.Variable[];
  dispose(): void;
}

/** A reproducible seed for a named sub-part: the same (seed, path) always gives the same value. */
export function deriveSeed(seed: number, ...path: (string | number)[]): number {
  // FNV-1a over the seed and the path, kept to 31 bits so seeded initializers accept it.
  let hash = 0x811c9dc5;
  for (const char of `${seed}/${path.join('/')}`) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) & 0x7fffffff;
}

/** A seeded stream of seeds, one per random draw (tf.dropout / tf.randomNormal repeat themselves for a fixed seed). */
export class SeedStream {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32 step. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) & 0x7fffffff;
  }
}

export interface DenseForwardOptions {
  /** Multiplies the output (a dropout multiplier of the output's shape, from Dropout.multiplier). */
  multiplier?: tf.Tensor;
  /** Whether a gradient flows back to x. Default true; false for data inputs. */
  inputGradient?: boolean;
}

export interface DenseConfig {
  inputDim: number;
  units: number;
  seed: number;
  /** Default 'linear'. */
  activation?: Activation;
  /** Default true. */
  useBias?: boolean;
  /** Constant the bias starts at. Default 0. */
  biasInit?: number;
}

/**
 * A dense layer on the last axis of [..., inputDim]. Its weights come from a tf.layers dense layer built with a
 * glorot-uniform kernel seeded by `seed`; the forward pass is one fused op (fused.ts: explicit transposes in the
 * backward pass, one node on the gradient tape).
 */
export class Dense implements TrainablePart {
  readonly inputDim: number;
  readonly units: number;
  private readonly activation: Activation;
  private readonly kernel: tf.Variable;
  private readonly bias: tf.Variable | undefined;

  constructor(config: DenseConfig) {
    assertPositiveInt('dense inputDim', config.inputDim);
    assertPositiveInt('dense units', config.units);
    this.inputDim = config.inputDim;
    this.units = config.units;
    this.activation = config.activation ?? 'linear';
    const layer = tf.layers.dense({
      units: config.units,
      useBias: config.useBias ?? true,
      kernelInitializer: tf.initializers.glorotUniform({ seed: config.seed }),
      biasInitializer: tf.initializers.constant({ value: config.biasInit ?? 0 }),
    });
    layer.build([null, config.inputDim]);
    [this.kernel, this.bias] = layer.trainableWeights.map((weight) => weight.read() as tf.Variable) as [tf.Variable, tf.Variable?];
  }

  /**
   * activation(x·kernel + bias) on the last axis, then times `options.multiplier` (a dropout multiplier of the
   * output's shape) when given; one fused op on the gradient tape (fused.ts). `inputGradient: false` treats x as
   * data: no gradient reaches it, which saves the largest product of the backward pass of an input layer.
   */
  forward<T extends tf.Tensor>(x: T, options: DenseForwardOptions = {}): T {
    if (x.shape[x.rank - 1] !== this.inputDim) {
      throw new Error(`dense layer: expected last axis ${this.inputDim}, got [${x.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const flat = (x.rank === 2 ? x : tf.reshape(x, [-1, this.inputDim])) as tf.Tensor2D;
      const outShape = [...x.shape.slice(0, -1), this.units];
      const multiplier = options.multiplier && (x.rank === 2 ? options.multiplier : tf.reshape(options.multiplier, [-1, this.units]));
      const out = denseOp(flat, this.kernel as tf.Tensor2D, this.bias as tf.Tensor1D | undefined, {
        activation: this.activation,
        inputGradient: options.inputGradient ?? true,
        ...(multiplier ? { multiplier } : {}),
      });
      return (x.rank === 2 ? out : tf.reshape(out, outShape)) as T;
    });
  }

  trainableVariables(): tf.Variable[] {
    return this.bias ? [this.kernel, this.bias] : [this.kernel];
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}

/**
 * Layer normalization over the last axis of [..., dim]: gamma and beta come from a tf.layers layerNormalization
 * (gamma 1, beta 0), but the normalization is computed here with broadcasting (the layer's own call tiles gamma
 * and beta, and tf.tile's gradient costs one slice and one add per batch row), as one fused op (fused.ts).
 */
export class LayerNorm implements TrainablePart {
  private readonly gamma: tf.Variable;
  private readonly beta: tf.Variable;

  constructor(
    readonly dim: number,
    private readonly epsilon = 1e-5,
  ) {
    assertPositiveInt('layerNorm dim', dim);
    const layer = tf.layers.layerNormalization({ axis: -1, epsilon });
    layer.build([null, dim]);
    [this.gamma, this.beta] = layer.trainableWeights.map((weight) => weight.read() as tf.Variable) as [tf.Variable, tf.Variable];
  }

  forward<T extends tf.Tensor>(x: T): T {
    if (x.shape[x.rank - 1] !== this.dim) {
      throw new Error(`layer norm: expected last axis ${this.dim}, got [${x.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const flat = (x.rank === 2 ? x : tf.reshape(x, [-1, this.dim])) as tf.Tensor2D;
      const out = layerNormOp(flat, this.gamma as tf.Tensor1D, this.beta as tf.Tensor1D, this.epsilon);
      return (x.rank === 2 ? out : tf.reshape(out, x.shape)) as T;
    });
  }

  trainableVariables(): tf.Variable[] {
    return [this.gamma, this.beta];
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}

/** The variables of parts, in part order. */
export function partVariables(parts: readonly TrainablePart[]): tf.Variable[] {
  return parts.flatMap((part) => part.trainableVariables());
}

export function disposeVariables(variables: readonly tf.Variable[]): void {
  for (const variable of variables) variable.dispose();
}

/**
 * Inverted dropout with a fresh, reproducible mask per call; identity when not training or rate is 0. The mask is
 * tf.dropout's for the same seed (dropout-mask.ts), drawn in one host loop.
 */
export class Dropout {
  private readonly seeds: SeedStream;

  constructor(
    readonly rate: number,
    seed: number,
  ) {
    if (!(rate >= 0 && rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${rate}`);
    this.seeds = new SeedStream(seed);
  }

  apply<T extends tf.Tensor>(x: T, options: ForwardOptions): T {
    if (!fusedLayersEnabled() && options.training && this.rate > 0) return tf.dropout(x, this.rate, undefined, this.seeds.next()) as T;
    const multiplier = this.multiplier(x.shape, options);
    return multiplier ? (tf.mul(x, multiplier) as T) : x;
  }

  /** The next mask as a multiplier of `shape` (0 or 1/(1 − rate)); undefined when not training or rate is 0. */
  multiplier(shape: readonly number[], options: ForwardOptions): tf.Tensor | undefined {
    if (!options.training || this.rate === 0) return undefined;
    return dropoutMultiplier(shape, this.rate, this.seeds.next());
  }
}

export interface MlpConfig {
  inputDim: number;
  /** Widths of the hidden layers (each followed by `activation` and dropout). Default [inputDim]. */
  hiddenDims?: number[];
  outputDim: number;
  /** Hidden activation. Default 'relu'. */
  activation?: Activation;
  /** Activation of the output layer. Default 'linear'. */
  outputActivation?: Activation;
  /** Dropout after each hidden activation. Default 0. */
  dropout?: number;
  seed: number;
}

/** A feed-forward network on the last axis: (dense → activation → dropout)* → dense. */
export class Mlp implements TrainablePart {
  readonly inputDim: number;
  readonly outputDim: number;
  private readonly hidden: Dense[];
  private readonly output: Dense;
  private readonly dropout: Dropout;

  constructor(config: MlpConfig) {
    const widths = config.hiddenDims ?? [config.inputDim];
    this.inputDim = config.inputDim;
    this.outputDim = config.outputDim;
    this.hidden = widths.map(
      (units, i) =>
        new Dense({
          inputDim: i === 0 ? config.inputDim : widths[i - 1]!,
          units,
          activation: config.activation ?? 'relu',
          seed: deriveSeed(config.seed, 'hidden', i),
        }),
    );
    this.output = new Dense({
      inputDim: widths.length > 0 ? widths[widths.length - 1]! : config.inputDim,
      units: config.outputDim,
      activation: config.outputActivation ?? 'linear',
      seed: deriveSeed(config.seed, 'output'),
    });
    this.dropout = new Dropout(config.dropout ?? 0, deriveSeed(config.seed, 'dropout'));
  }

  forward<T extends tf.Tensor>(x: T, options: ForwardOptions): T {
    return tf.tidy(() => {
      let h: T = x;
      if (!fusedLayersEnabled()) {
        for (const layer of this.hidden) h = this.dropout.apply(layer.forward(h), options);
        return this.output.forward(h);
      }
      for (const layer of this.hidden) {
        const multiplier = this.dropout.multiplier([...h.shape.slice(0, -1), layer.units], options);
        h = layer.forward(h, multiplier ? { multiplier } : {});
      }
      return this.output.forward(h);
    });
  }

  trainableVariables(): tf.Variable[] {
    return partVariables([...this.hidden, this.output]);
  }

  dispose(): void {
    disposeVariables(this.trainableVariables());
  }
}

export interface MlpHeadConfig {
  inputDim: number;
  /** Width of the hidden layer. Default inputDim. */
  hiddenDim?: number;
  /** Dropout after the hidden layer. Default 0. */
  dropout?: number;
  seed: number;
}

/** The regression head: a one-hidden-layer MLP from [B, inputDim] to a scalar prediction per sample [B]. */
export class MlpHead implements TrainablePart {
  private readonly mlp: Mlp;

  constructor(config: MlpHeadConfig) {
    this.mlp = new Mlp({
      inputDim: config.inputDim,
      hiddenDims: [config.hiddenDim ?? config.inputDim],
      outputDim: 1,
      dropout: config.dropout ?? 0,
      seed: config.seed,
    });
  }

  forward(x: tf.Tensor2D, options: ForwardOptions): tf.Tensor1D {
    return tf.tidy(() => tf.reshape(this.mlp.forward(x, options), [-1]) as tf.Tensor1D);
  }

  trainableVariables(): tf.Variable[] {
    return this.mlp.trainableVariables();
  }

  dispose(): void {
    this.mlp.dispose();
  }
}

/** tf.tidy for a function returning a structured output (an object whose leaves are tensors), typed as such. */
export function tidyOutput<T extends object>(fn: () => T): T {
  return tf.tidy(fn as () => tf.TensorContainer) as T;
}

/** Identity forward, zero gradient backward (tfjs has no stop_gradient op). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const op = tf.customGrad((input) => ({
    value: (input as tf.Tensor).clone(),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return op(x) as T;
}

/** Throws a precise error unless `x` is [B, dim] (or [B, L, dim] when rank 3 is asked for). */
export function assertShape(what: string, x: tf.Tensor, rank: 2 | 3, dim: number): void {
  if (x.rank !== rank || x.shape[rank - 1] !== dim) {
    const expected = rank === 2 ? `[B, ${dim}]` : `[B, L, ${dim}]`;
    throw new Error(`${what}: expected shape ${expected}, got [${x.shape.join(', ')}]`);
  }
}

export function assertPositiveInt(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${what} must be a positive integer, got ${value}`);
}
