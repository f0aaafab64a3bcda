/**
 * The main optimizer: one Adam per parameter group (own learning rate and decoupled weight decay), gradients
 * clipped together (global norm, then element-wise value, as PyTorch's clip_grad_norm_ / clip_grad_value_), and
 * a learning-rate schedule that scales every group's base rate.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParameterGroup, SentimentModel } from './model';
import type { TrainingConfig } from './training-config';

/** tf.js's Adam with a settable rate (it reads `learningRate` on every step). */
class ScheduledAdam extends tf.AdamOptimizer {
  setLearningRate(rate: number): void {
    this.learningRate = rate;
  }
}

interface GroupState {
  group: ParameterGroup;
  baseRate: number;
  weightDecay: number;
  /**
   * One Adam per variable, as PyTorch keeps its state per parameter: tf.js's Adam indexes its moment slots by
   * position in the gradient list, so a variable that gets no gradient on some step (a frozen branch, a phase of
   * training) would shift every later slot of a shared optimizer. A variable without a gradient is skipped: its
   * moments and step count stay as they were.
   */
  optimizers: Map<tf.Variable, ScheduledAdam>;
}

/** Scales all gradients together when their global L2 norm exceeds `maxNorm`. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  if (!(maxNorm > 0)) return grads;
  return tf.tidy(() => {
    const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    const norm = tf.sqrt(tf.addN(squares));
    const factor = tf.minimum(tf.scalar(1), tf.div(maxNorm, tf.maximum(norm, 1e-12)));
    const clipped: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, factor);
    return clipped;
  });
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
      const optimizers = new Map(group.variables.map((v) => [v, new ScheduledAdam(baseRate, 0.9, 0.999)]));
      return { group, baseRate, weightDecay: group.weightDecay ?? config.weightDecay, optimizers };
    });
  }

  /** Multiplies every group's base rate (the schedule's factor). */
  setScale(scale: number): void {
    this.scale = scale;
    for (const state of this.groups) for (const optimizer of state.optimizers.values()) optimizer.setLearningRate(state.baseRate * scale);
  }

  /** The first group's current rate (what the epoch record shows). */
  currentRate(): number {
    return this.groups[0]!.baseRate * this.scale;
  }

  /** Applies already-clipped gradients (keyed by variable name) group by group, then decoupled weight decay. */
  apply(grads: tf.NamedTensorMap): void {
    for (const { group, baseRate, weightDecay, optimizers } of this.groups) {
      const decay = weightDecay * baseRate * this.scale;
      for (const variable of group.variables) {
        const grad = grads[variable.name];
        if (!grad) continue;
        optimizers.get(variable)!.applyGradients([{ name: variable.name, tensor: grad }]);
        if (decay > 0) tf.tidy(() => variable.assign(tf.mul(variable, 1 - decay)));
      }
    }
  }

  dispose(): void {
    for (const state of this.groups) for (const optimizer of state.optimizers.values()) optimizer.dispose();
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
