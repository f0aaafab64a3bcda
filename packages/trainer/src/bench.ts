import * as tf from '@tensorflow/tfjs';
import type { Modality, Split } from '@midg/features';
import type { TrainingView } from './data';
import type { DataInfo } from './model';
import type { ConfigRecord, RunSpec } from './contract';
import { GroupOptimizer } from './optimizer';
import { getModel, resolveRun } from './registry';
import { mulberry32 } from './random';
import { trainStep } from './train';

export interface StepBenchmarkOptions {
  model: string;
  overrides?: ConfigRecord;
  batchSize: number;
  /** [seqLen, dim] per modality, e.g. the paper's text 50×768, audio 50×74, vision 50×35. */
  shapes: Partial<Record<Modality, readonly [number, number]>>;
  warmupSteps: number;
  timedSteps: number;
}

export interface StepBenchmarkResult {
  samplesPerSecond: number;
  msPerStep: number;
  /** This process's CPU time per step (process.cpuUsage): steadier than wall time on a shared machine. */
  cpuMsPerStep: number;
  samplesPerCpuSecond: number;
  steps: number;
  batchSize: number;
  numTensorsAfter: number;
  backend: string;
}

/** The paper-sized reference input: text 50×768 (BERT), audio 50×74 (COVAREP), vision 50×35 (FACET), as [seqLen, dim]. */
export const REFERENCE_SHAPES = { t: [50, 768], a: [50, 74], v: [50, 35] } as const satisfies StepBenchmarkOptions['shapes'];

/** One batch of fixed-seed random data of the given shapes, as a training view, with the DataInfo to build a model. */
export function randomBenchmarkData(shapes: StepBenchmarkOptions['shapes'], batchSize: number): { view: TrainingView; info: DataInfo; indices: Int32Array } {
  const modalities = Object.keys(shapes) as Modality[];
  const random = mulberry32(7);
  const n = batchSize;
  const features: Split['features'] = {};
  for (const m of modalities) {
    const [seqLen, dim] = shapes[m]!;
    const data = Float32Array.from({ length: n * seqLen * dim }, () => random() * 2 - 1);
    features[m] = { data, shape: [n, seqLen, dim], lengths: Int32Array.from({ length: n }, () => seqLen) };
  }
  const split: Split = { size: n, features, labels: Float32Array.from({ length: n }, () => random() * 6 - 3), ids: [] };
  const info: DataInfo = {
    modalities,
    dims: Object.fromEntries(modalities.map((m) => [m, shapes[m]![1]])),
    seqLens: Object.fromEntries(modalities.map((m) => [m, shapes[m]![0]])),
    sourceCount: 1,
    trainSize: n,
  };
  return { view: { split, modalities, labelScale: 3 }, info, indices: Int32Array.from({ length: n }, (_, i) => i) };
}

/** Times full training steps (forward, backward, clipping, Adam) of a model on random data of the given shape. */
export async function benchmarkTrainingStep(options: StepBenchmarkOptions): Promise<StepBenchmarkResult> {
  const modalities = Object.keys(options.shapes) as Modality[];
  const spec: RunSpec = { model: options.model, source: 'synth:mosi', target: 'synth:mosi', seed: 1, backend: tf.getBackend(), overrides: options.overrides ?? {} };
  const resolved = resolveRun(spec);
  const config = { ...resolved.config, batchSize: options.batchSize, modalities: modalities.join('') };
  const training = { ...resolved.training, batchSize: options.batchSize, modalities: modalities.join('') };
  const { view, info, indices } = randomBenchmarkData(options.shapes, options.batchSize);
  const n = options.batchSize;
  const model = getModel(options.model).create(config, info, 1);
  const optimizer = new GroupOptimizer(model, { ...training, learningRate: 0.001, weightDecay: 0 });
  // Each step's loss is read back before the next, so the timing covers the whole step on asynchronous backends too.
  const step = async (i: number): Promise<void> => {
    const losses = trainStep(model, optimizer, view, indices, { step: i, epoch: 1, progress: 0 }, training);
    await losses.total!.data();
    tf.dispose(Object.values(losses));
  };
  for (let i = 0; i < options.warmupSteps; i++) await step(i);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < options.timedSteps; i++) await step(i);
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  optimizer.dispose();
  model.dispose();
  return {
    samplesPerSecond: (options.timedSteps * n) / (elapsed / 1000),
    msPerStep: elapsed / options.timedSteps,
    cpuMsPerStep: cpuMs / options.timedSteps,
    samplesPerCpuSecond: (options.timedSteps * n) / (cpuMs / 1000),
    steps: options.timedSteps,
    batchSize: n,
    numTensorsAfter: tf.memory().numTensors,
    backend: tf.getBackend(),
  };
}
