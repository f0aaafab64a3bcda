/**
 * The per-sample memory of Self-MM's label generator, kept as (non-trainable) tf.Variables on the backend: the
 * fusion label y_m, each unimodal label y_s and the last detached feature of each head, one row per sample of
 * the training split. Rows are written with tensorScatterUpdate (O(B·d), no gradient needed), so a training
 * step never waits for the backend; only `summary` and `labels` read values, once per epoch or in tests.
 */
import * as tf from '@tensorflow/tfjs';
import type { Modality } from '@midg/features';
import { classCentres, relativeDistance, unimodalWeights, updatedUnimodalLabels } from './label-generation';

/** 'm' is the fusion task; the others are the present modalities. */
export type Task = 'm' | Modality;

export interface LabelUpdateOptions {
  epoch: number;
  /** MMSA's excludeZero: label-0 samples join neither class centre. */
  excludeZero: boolean;
  /** Which labels split a unimodal memory into classes: its own y_s (MMSA's code) or y_m. */
  centreLabels: 'own' | 'fusion';
  /** The label range's half-width on the training scale (1: labels are normalized to [-1, 1]). */
  bound: number;
}

export class SampleMemory {
  private readonly seen: tf.Variable;
  private readonly fusionLabels: tf.Variable;
  private readonly unimodalLabels = new Map<Modality, tf.Variable>();
  private readonly features = new Map<Task, tf.Variable>();

  constructor(
    readonly size: number,
    private readonly modalities: Modality[],
    featureDims: Partial<Record<Task, number>>,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`self-mm: the training split size must be a positive integer, got ${size}`);
    const zeros = (shape: number[]) => tf.tidy(() => tf.variable(tf.zeros(shape), false));
    this.seen = zeros([size]);
    this.fusionLabels = zeros([size]);
    for (const m of modalities) this.unimodalLabels.set(m, zeros([size]));
    for (const task of ['m', ...modalities] as Task[]) this.features.set(task, zeros([size, featureDims[task]!]));
  }

  private checkIndices(indices: Int32Array): void {
    for (const row of indices) {
      if (!(row >= 0 && row < this.size)) throw new Error(`self-mm: sample index ${row} is outside the training split (size ${this.size})`);
    }
  }

  /** The batch's unimodal labels: the stored y_s for rows seen before, y_m otherwise (MMSA starts every y_s at y_m). */
  unimodalTargets(indices: Int32Array, fusionLabels: tf.Tensor1D): Map<Modality, tf.Tensor1D> {
    this.checkIndices(indices);
    const out = new Map<Modality, tf.Tensor1D>();
    const kept = tf.tidy(() => {
      const rows = tf.tensor1d(indices, 'int32');
      const seen = tf.gather(this.seen, rows);
      return this.modalities.map((m) => tf.add(tf.mul(seen, tf.gather(this.unimodalLabels.get(m)!, rows)), tf.mul(tf.sub(1, seen), fusionLabels)) as tf.Tensor1D);
    });
    this.modalities.forEach((m, i) => out.set(m, kept[i]!));
    return out;
  }

  /**
   * One step of the generator for a batch, in MMSA's order: from epoch 2, new y_s from the batch's features and
   * the class centres of the memory as it stood before this batch; then the batch's rows of the memory are
   * overwritten with its labels and features (the centres are recomputed from the memory at the next call).
   */
  update(indices: Int32Array, fusionLabels: tf.Tensor1D, batchFeatures: Map<Task, tf.Tensor2D>, options: LabelUpdateOptions): void {
    const current = this.unimodalTargets(indices, fusionLabels);
    tf.tidy(() => {
      const rows = tf.reshape(tf.tensor1d(indices, 'int32'), [-1, 1]);
      const write = (variable: tf.Variable, values: tf.Tensor) => variable.assign(tf.tensorScatterUpdate(variable, rows, values));
      const next = new Map<Modality, tf.Tensor1D>(current);
      if (options.epoch > 1) {
        const fusionCentres = classCentres(this.features.get('m') as tf.Tensor2D, this.fusionLabels as tf.Tensor1D, this.seen as tf.Tensor1D, options.excludeZero);
        const fusionDelta = relativeDistance(batchFeatures.get('m')!, fusionCentres);
        for (const m of this.modalities) {
          const splitBy = options.centreLabels === 'own' ? this.unimodalLabels.get(m)! : this.fusionLabels;
          const centres = classCentres(this.features.get(m) as tf.Tensor2D, splitBy as tf.Tensor1D, this.seen as tf.Tensor1D, options.excludeZero);
          const unimodalDelta = relativeDistance(batchFeatures.get(m)!, centres);
          next.set(m, updatedUnimodalLabels({ fusionLabels, unimodalLabels: current.get(m)!, fusionDelta, unimodalDelta, epoch: options.epoch, bound: options.bound }));
        }
      }
      for (const m of this.modalities) write(this.unimodalLabels.get(m)!, next.get(m)!);
      for (const [task, variable] of this.features) write(variable, batchFeatures.get(task)!);
      write(this.fusionLabels, fusionLabels);
      write(this.seen, tf.onesLike(fusionLabels));
    });
    tf.dispose([...current.values()]);
  }

  /** Per modality, the mean loss weight tanh|y_s − y_m| over the samples seen so far (a diagnostic per epoch). */
  async summary(): Promise<Record<string, number>> {
    const stacked = tf.tidy(() => {
      const count = tf.maximum(tf.sum(this.seen), 1);
      const means = this.modalities.map((m) =>
        tf.div(tf.sum(tf.mul(this.seen, unimodalWeights(this.unimodalLabels.get(m)! as tf.Tensor1D, this.fusionLabels as tf.Tensor1D))), count),
      );
      return tf.stack(means);
    });
    const values = await stacked.data();
    stacked.dispose();
    return Object.fromEntries(this.modalities.map((m, i) => [`weight_${m}`, values[i]!]));
  }

  /** The stored labels of a task (y_m for 'm'), e.g. to inspect or test the generator. */
  async labels(task: Task): Promise<Float32Array> {
    const variable = task === 'm' ? this.fusionLabels : this.unimodalLabels.get(task);
    if (!variable) throw new Error(`self-mm: no labels for modality ${task} in this run`);
    return (await variable.data()) as Float32Array;
  }

  dispose(): void {
    tf.dispose([this.seen, this.fusionLabels, ...this.unimodalLabels.values(), ...this.features.values()]);
  }
}
