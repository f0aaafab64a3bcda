/**
 * Adam over one flat state: the variables of a group are updated as one vector (their gradients concatenated,
 * one set of element-wise kernels, the result split back), instead of a dozen small kernels per variable.
 *
 * The semantics are PyTorch's per-parameter Adam, as one tf.js Adam per variable gives them: each variable keeps
 * its own step count, and a variable without a gradient on a step is skipped (its moments, step count and value
 * stay as they were). The update is tf.js's AdamOptimizer op for op, with the bias corrections formed the way it
 * forms them (a float32 running product of β), so the result matches a per-variable tf.js Adam to float rounding.
 */
import * as tf from '@tensorflow/tfjs';

export interface FlatAdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  /** Default: the backend's epsilon (1e-7 in float32), tf.train.adam's default. */
  epsilon?: number;
}

/** One step's hyperparameters. */
export interface FlatAdamStep {
  learningRate: number;
  /** Decoupled weight decay factor for this step (value ← value·(1 − decay) after Adam); 0 for none. */
  decay: number;
}

/** 1 − β^t as tf.js computes it: a float32 running product of β (its accBeta variable), subtracted from 1 in float32. */
function biasCorrections(beta: number): (step: number) => number {
  const cache = [Math.fround(1 - Math.fround(beta))];
  let product = Math.fround(beta);
  return (step) => {
    while (cache.length < step) {
      product = Math.fround(product * Math.fround(beta));
      cache.push(Math.fround(1 - product));
    }
    return cache[step - 1]!;
  };
}

/** x as a vector (a rank-1 tensor as it is: a reshape is one more kernel call). */
function flat(x: tf.Tensor): tf.Tensor {
  return x.rank === 1 ? x : tf.reshape(x, [-1]);
}

/** The wasm backend's view of a tensor's memory in its heap (BackendWasm.typedArrayFromHeap). */
interface HeapView {
  typedArrayFromHeap(tensor: tf.TensorInfo): Float32Array;
}

function hasHeapView(backend: tf.KernelBackend): backend is tf.KernelBackend & HeapView {
  return typeof (backend as Partial<HeapView>).typedArrayFromHeap === 'function';
}

export class FlatAdam {
  readonly variables: readonly tf.Variable[];
  learningRate: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly sizes: number[];
  private readonly total: number;
  /** Steps taken per variable (PyTorch's state['step']). */
  private readonly steps: number[];
  private firstMoment: tf.Tensor1D;
  private secondMoment: tf.Tensor1D;
  private readonly correction1: (step: number) => number;
  private readonly correction2: (step: number) => number;
  /** Host copy of the updated values on the wasm backend (see splitBack), allocated once. */
  private scratch?: Float32Array;
  /**
   * The values as one vector after the last update, and the data ids the variables then held: while no one else
   * has assigned a variable since, the next update starts from it instead of concatenating the variables again.
   */
  private lastValues?: { values: tf.Tensor1D; dataIds: object[] };
  /** The element mask (true: present) of the last partial presence pattern, reused while the pattern repeats. */
  private cachedMask?: { key: string; mask: tf.Tensor1D };

  constructor(variables: readonly tf.Variable[], options: FlatAdamOptions) {
    for (const v of variables) {
      if (v.dtype !== 'float32') throw new Error(`FlatAdam: variable ${v.name} is ${v.dtype}; only float32 variables can be optimized`);
    }
    this.variables = variables;
    this.learningRate = options.learningRate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? tf.backend().epsilon();
    this.sizes = variables.map((v) => v.size);
    this.total = this.sizes.reduce((a, b) => a + b, 0);
    this.steps = variables.map(() => 0);
    this.firstMoment = tf.keep(tf.zeros([this.total]));
    this.secondMoment = tf.keep(tf.zeros([this.total]));
    this.correction1 = biasCorrections(this.beta1);
    this.correction2 = biasCorrections(this.beta2);
  }

  /** The number of values the group holds. */
  get size(): number {
    return this.total;
  }

  /**
   * The gradients (one per variable, in variable order; undefined where a variable has none) as one vector [size],
   * zeros for the missing ones; undefined when no variable has a gradient. Not tidied: the caller owns the result.
   */
  flatten(grads: readonly (tf.Tensor | undefined)[]): tf.Tensor1D | undefined {
    if (grads.length !== this.variables.length) throw new Error(`FlatAdam: ${grads.length} gradients for ${this.variables.length} variables`);
    if (this.total === 0 || grads.every((g) => g === undefined)) return undefined;
    return tf.tidy(() => tf.concat(grads.map((g, i) => (g ? flat(g) : tf.zeros([this.sizes[i]!]))), 0) as tf.Tensor1D);
  }

  /**
   * One Adam step from a flat gradient (see flatten; already clipped), for the variables marked present. The
   * others keep value, moments and step count.
   */
  update(flatGrad: tf.Tensor1D, present: readonly boolean[], step: FlatAdamStep): void {
    if (flatGrad.size !== this.total) throw new Error(`FlatAdam: flat gradient has ${flatGrad.size} values, the group ${this.total}`);
    const indices = present.flatMap((isPresent, i) => (isPresent ? [i] : []));
    if (indices.length === 0) return;
    for (const i of indices) this.steps[i]!++;
    const everyone = indices.length === this.variables.length;
    const [m, v, value] = tf.tidy(() => {
      const [correction1, correction2] = this.corrections(indices);
      const g = flatGrad;
      const values = this.currentValues();
      // tf.js AdamOptimizer.applyGradients, op for op.
      let m: tf.Tensor = tf.add(tf.mul(this.firstMoment, this.beta1), tf.mul(g, 1 - this.beta1));
      let v: tf.Tensor = tf.add(tf.mul(this.secondMoment, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
      const mHat = tf.div(m, correction1);
      const vHat = tf.div(v, correction2);
      let updated: tf.Tensor = tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon)), -step.learningRate), values);
      if (step.decay > 0) updated = tf.mul(updated, 1 - step.decay);
      if (!everyone) {
        const keep = this.mask(present);
        m = tf.where(keep, m, this.firstMoment);
        v = tf.where(keep, v, this.secondMoment);
        updated = tf.where(keep, updated, values);
      }
      return [m, v, updated] as tf.Tensor1D[];
    });
    // Kept: the update may run inside a caller's tidy, which must not take the state with it.
    this.firstMoment.dispose();
    this.secondMoment.dispose();
    this.firstMoment = tf.keep(m!);
    this.secondMoment = tf.keep(v!);
    this.splitBack(value!, present);
    this.lastValues?.values.dispose();
    this.lastValues = { values: tf.keep(value!), dataIds: this.variables.map((v) => v.dataId) };
  }

  /**
   * tf.Optimizer.minimize(loss, false, variables) for this group: the gradients of `loss` with respect to the
   * group's variables, then one step at the current learning rate (no clipping, no decay).
   */
  minimize(loss: () => tf.Scalar): void {
    const { value, grads } = tf.variableGrads(loss, [...this.variables]);
    const perVariable = this.variables.map((v) => grads[v.name]);
    const flatGrad = this.flatten(perVariable);
    if (flatGrad) this.update(flatGrad, perVariable.map((g) => g !== undefined), { learningRate: this.learningRate, decay: 0 });
    tf.dispose([value, ...Object.values(grads), ...(flatGrad ? [flatGrad] : [])]);
  }

  dispose(): void {
    tf.dispose([this.firstMoment, this.secondMoment]);
    this.cachedMask?.mask.dispose();
    this.lastValues?.values.dispose();
  }

  /** The variables' values as one vector (in the caller's tidy scope; the cached vector is not disposed by it). */
  private currentValues(): tf.Tensor {
    const last = this.lastValues;
    if (last && this.variables.every((v, i) => v.dataId === last.dataIds[i])) return last.values;
    return tf.concat(this.variables.map((v) => flat(v)), 0);
  }

  /**
   * Assigns each present variable its piece of the flat values. On wasm, tf.split (a slice per piece) first copies
   * its whole input into a freshly allocated host array, once per piece: for 154 pieces of a 550k-value vector
   * that is seconds per step. There the pieces are cut from one copy of the backend's memory into a reused host
   * buffer instead; other backends split natively.
   */
  private splitBack(values: tf.Tensor1D, present: readonly boolean[]): void {
    const backend = tf.backend();
    tf.tidy(() => {
      if (!hasHeapView(backend)) {
        const parts = tf.split(values, this.sizes);
        this.variables.forEach((variable, i) => present[i] && variable.assign(tf.reshape(parts[i]!, variable.shape)));
        return;
      }
      const scratch = (this.scratch ??= new Float32Array(this.total));
      scratch.set(backend.typedArrayFromHeap(values));
      let offset = 0;
      this.variables.forEach((variable, i) => {
        const end = offset + this.sizes[i]!;
        if (present[i]) variable.assign(tf.tensor(scratch.subarray(offset, end), variable.shape, 'float32'));
        offset = end;
      });
    });
  }

  /** 1 − β₁^t and 1 − β₂^t: scalars when every present variable is at the same step, else per element. */
  private corrections(indices: number[]): [tf.Tensor, tf.Tensor] {
    const first = this.steps[indices[0]!]!;
    if (indices.every((i) => this.steps[i] === first)) return [tf.scalar(this.correction1(first)), tf.scalar(this.correction2(first))];
    const perElement = (correction: (step: number) => number) => {
      const values = new Float32Array(this.total).fill(1);
      let offset = 0;
      this.sizes.forEach((size, i) => {
        if (this.steps[i]! > 0) values.fill(correction(this.steps[i]!), offset, offset + size);
        offset += size;
      });
      return tf.tensor1d(values);
    };
    return [perElement(this.correction1), perElement(this.correction2)];
  }

  private mask(present: readonly boolean[]): tf.Tensor1D {
    const key = present.map((p) => (p ? '1' : '0')).join('');
    if (this.cachedMask?.key !== key) {
      this.cachedMask?.mask.dispose();
      const values = new Uint8Array(this.total);
      let offset = 0;
      this.sizes.forEach((size, i) => {
        if (present[i]) values.fill(1, offset, offset + size);
        offset += size;
      });
      this.cachedMask = { key, mask: tf.keep(tf.tensor1d(values, 'bool')) };
    }
    return this.cachedMask.mask;
  }
}
