/**
 * A tiny model for the trainer's own tests: masked mean of every modality, concatenated, one dense layer. It has
 * every optional hook, each doing something observable, so the trainer's wiring of the hooks can be tested
 * without depending on any real model package.
 */
import * as tf from '@tensorflow/tfjs';
import type { Modality } from '@midg/features';
import { defineModel, type Batch, type DataInfo, type LossBreakdown, type ModelConfig, type SentimentModel, type StepContext, type TargetInputs, type UnlabeledBatch } from '../model';
import { booleanKey } from '../schema';

export const PROBE_SCHEMA = { adaptShift: booleanKey() } as const;

export class ProbeModel implements SentimentModel {
  readonly name = 'probe';
  readonly weights: tf.Variable;
  readonly bias: tf.Variable;
  /** Steps seen by afterStep and the epochs seen by onEpochEnd, in order. */
  readonly seenSteps: number[] = [];
  readonly seenEpochs: number[] = [];
  readonly seenIndices: number[] = [];
  private readonly modalities: Modality[];

  constructor(
    private readonly config: ModelConfig<typeof PROBE_SCHEMA>,
    info: DataInfo,
    seed: number,
  ) {
    this.modalities = info.modalities;
    const width = this.modalities.reduce((sum, m) => sum + info.dims[m]!, 0);
    this.weights = tf.variable(tf.randomNormal([width, 1], 0, 0.1, 'float32', seed));
    this.bias = tf.variable(tf.zeros([1]));
  }

  private forward(batch: UnlabeledBatch): tf.Tensor1D {
    return tf.tidy(() => {
      const pooled = this.modalities.map((m) => {
        const mask = tf.expandDims(batch.masks[m]!, 2);
        return tf.div(tf.sum(tf.mul(batch.features[m]!, mask), 1), tf.maximum(tf.sum(mask, 1), 1));
      });
      return tf.reshape(tf.add(tf.matMul(tf.concat(pooled, 1), this.weights), this.bias), [-1]) as tf.Tensor1D;
    });
  }

  trainableVariables(): tf.Variable[] {
    return [this.weights, this.bias];
  }

  lossWeights(): Record<string, number> {
    return { mse: 1, l2: 0.01 };
  }

  losses(batch: Batch, context: StepContext): LossBreakdown {
    this.seenIndices.push(...batch.indices);
    void context;
    const mse = tf.mean(tf.square(tf.sub(this.forward(batch), batch.labels))) as tf.Scalar;
    const l2 = tf.sum(tf.square(this.weights)) as tf.Scalar;
    const mae = tf.mean(tf.abs(tf.sub(this.forward(batch), batch.labels))) as tf.Scalar;
    return { total: tf.add(mse, tf.mul(0.01, l2)) as tf.Scalar, parts: { mse, l2, mae } };
  }

  predict(batch: UnlabeledBatch): tf.Tensor1D {
    return this.forward(batch);
  }

  parameterGroups() {
    return [
      { name: 'weights', variables: [this.weights] },
      { name: 'bias', variables: [this.bias], learningRate: 0.01 },
    ];
  }

  afterStep(_batch: Batch, context: StepContext): void {
    this.seenSteps.push(context.step);
  }

  async onEpochEnd(context: StepContext): Promise<Record<string, number>> {
    this.seenEpochs.push(context.epoch);
    const norm = tf.tidy(() => tf.norm(this.weights));
    const value = (await norm.data())[0]!;
    norm.dispose();
    return { weightNorm: value };
  }

  /** With adaptShift: moves the bias so the mean prediction on the target's test inputs becomes 0. */
  async adaptToTarget(target: TargetInputs) {
    let sum = 0;
    await target.test.forEachBatch(64, async (batch) => {
      const predictions = this.forward(batch);
      sum += (await tf.sum(predictions).data())[0]!;
      predictions.dispose();
    });
    const shift = this.config.adaptShift ? -sum / target.test.size : 0;
    tf.tidy(() => this.bias.assign(tf.add(this.bias, shift)));
    return { split: 'test' as const, report: { shift, samples: target.test.size } };
  }

  dispose(): void {
    tf.dispose([this.weights, this.bias]);
  }
}

export const probeModelDefinition = defineModel({
  name: 'probe',
  description: 'test model: masked means of the modalities, one dense layer',
  schema: PROBE_SCHEMA,
  configFile: new URL('./probe.yaml', import.meta.url),
  create: (config, info, seed) => new ProbeModel(config, info, seed),
});
