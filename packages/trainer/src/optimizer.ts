/**
 * The main optimizer: one Adam per parameter group (own learning rate and decoupled weight decay), gradients
 * clipped together (global norm, then element-wise value, as PyTorch's clip_grad_norm_ / clip_grad_value_), and
 * a learning-rate schedule that scales every group's base rate.
 *
 * Each group's state is flat (flat-adam.ts): its gradients are concatenated into one vector, clipped and stepped
 * with one set of kernels, and split back, with PyTorch's per-parameter semantics kept (own step count per
 * variable; a variable without a gradient is skipped).
 */
import * as tf from '@tensorflow/tfjs';
import { FlatAdam } from './flat-adam';
import type { ParameterGroup, SentimentModel } from './model';
import type { TrainingConfig } from './training-config';

interface GroupState {
  group: ParameterGroup;
  baseRate: number;
  weightDecay: number;
  adam: FlatAdam;
}

/** Gradient clipping of one step: 0 (or less) turns a kind off. */
export type GradientClipping = Pick<TrainingConfig, 'gradClipNorm' | 'gradClipValue'>;

/** Scales all gradients together when their global L2 norm exceeds `maxNorm`. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  if (!(maxNorm > 0)) return grads;
  return tf.tidy(() => {
    const factor = clipFactor(Object.values(grads), maxNorm);
    const clipped: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, factor);
    return clipped;
  });
}

/** min(1, maxNorm / ‖grads‖₂) over all the tensors together (PyTorch's clip_grad_norm_ factor, without its 1e-6). */
function clipFactor(grads: tf.Tensor[], maxNorm: number): tf.Scalar {
  const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  return tf.minimum(tf.scalar(1), tf.div(maxNorm, tf.maximum(norm, 1e-12)));
}

/** Clamps every gradient element to [-maxValue, maxValue]. */
export function clipByValue(grads: tf.NamedTensorMap, maxValue: number): tf.NamedTensorMap {
  if (!(maxValue > 0)) return grads;
  const clipped: tf.NamedTensorMap = {};
  for (const [name, g] of Object.entries(grads)) clipped[name] = tf.clipByValue(g, -maxValue, maxValue);
  return clipped;
}

export class GroupOptimizer {
  private readonly groups: GroupState[];
  private scale = 1;

  constructor(model: Pick<SentimentModel, 'name' | 'trainableVariables' | 'parameterGroups'>, config: Pick<TrainingConfig, 'learningRate' | 'weightDecay'>) {
    const all = model.trainableVariables();
    const groups = model.parameterGroups?.() ?? [{ name: 'all', variables: all }];
    const grouped = groups.flatMap((group) => group.variables);
    const missing = all.filter((v) => !grouped.includes(v));
    if (missing.length > 0 || grouped.length !== new Set(grouped).size) {
      throw new Error(`model ${model.name}: parameter groups must cover every trainable variable exactly once`);
    }
    this.groups = groups.map((group) => {
      const baseRate = group.learningRate ?? config.learningRate;
      return { group, baseRate, weightDecay: group.weightDecay ?? config.weightDecay, adam: new FlatAdam(group.variables, { learningRate: baseRate }) };
    });
  }

  /** Multiplies every group's base rate (the schedule's factor). */
  setScale(scale: number): void {
    this.scale = scale;
  }

  /** The first group's current rate (what the epoch record shows). */
  currentRate(): number {
    return this.groups[0]!.baseRate * this.scale;
  }

  /**
   * Clips the gradients (keyed by variable name) as `clipping` says, over all groups together, then steps each
   * group (Adam, then decoupled weight decay). Variables without a gradient are skipped.
   */
  apply(grads: tf.NamedTensorMap, clipping: GradientClipping = { gradClipNorm: 0, gradClipValue: 0 }): void {
    const steps = this.groups.map(({ group, adam }) => {
      const perVariable = group.variables.map((v) => grads[v.name]);
      return { present: perVariable.map((g) => g !== undefined), flat: adam.flatten(perVariable) };
    });
    const flats = steps.flatMap((s) => (s.flat ? [s.flat] : []));
    const clipped = tf.tidy(() => {
      let result = flats;
      if (clipping.gradClipNorm > 0 && result.length > 0) {
        const factor = clipFactor(result, clipping.gradClipNorm);
        result = result.map((g) => tf.mul(g, factor));
      }
      if (clipping.gradClipValue > 0) result = result.map((g) => tf.clipByValue(g, -clipping.gradClipValue, clipping.gradClipValue));
      return result;
    });
    let next = 0;
    this.groups.forEach(({ baseRate, weightDecay, adam }, i) => {
      if (!steps[i]!.flat) return;
      const rate = baseRate * this.scale;
      adam.update(clipped[next++]!, steps[i]!.present, { learningRate: rate, decay: weightDecay * rate });
    });
    tf.dispose([...new Set([...flats, ...clipped])]);
  }

  dispose(): void {
    for (const state of this.groups) state.adam.dispose();
  }
}

/** A learning-rate schedule: the factor on the base rates, per step and per epoch. */
export interface LrSchedule {
  /** Called before each step. */
  atStep(step: number): number;
  /** Called after each epoch's validation with its source-valid MAE; returns the factor from then on. */
  afterEpoch(validMae: number): number;
}

export function createSchedule(config: TrainingConfig, stepsPerEpoch: number): LrSchedule {
  if (config.lrSchedule === 'warmup-cosine') {
    const total = Math.max(1, config.epochs * stepsPerEpoch);
    const warmup = Math.min(total, Math.round(config.warmupEpochs * stepsPerEpoch));
    let last = 1;
    const factor = (step: number): number =>
      step < warmup ? (step + 1) / warmup : 0.5 * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, total - warmup)));
    return {
      atStep: (step) => (last = factor(step)),
      afterEpoch: () => last,
    };
  }
  if (config.lrSchedule === 'plateau') {
    // PyTorch's ReduceLROnPlateau(mode=min, factor, patience): cut the rate after `patience` epochs without a new best.
    let best = Infinity;
    let stale = 0;
    let current = 1;
    return {
      atStep: () => current,
      afterEpoch: (mae) => {
        if (mae < best) {
          best = mae;
          stale = 0;
        } else if (++stale > config.plateauPatience) {
          current *= config.plateauFactor;
          stale = 0;
        }
        return current;
      },
    };
  }
  return { atStep: () => 1, afterEpoch: () => 1 };
}
