/**
 * What a training step of any registered model costs at the default sweep's sizes (synth:mosi:tiny → synth:mosei:tiny,
 * seed 1111, the model's config for the mosi domain): wall and CPU ms per step (forward, backward, clipping, Adam) over
 * one epoch after a warm-up epoch, and per eval-mode pass over the 320 target test inputs, with the tensor count
 * around each (a leak shows as growth). On a shared machine the CPU time is the steadier figure. With `--profile`,
 * the kernels of one step by total time.
 *
 *   node --import tsx apps/orchestrator/bench/model-step.ts --model <name> [--profile] [--set key=value ...]
 *
 * The models are the CLI's own list (apps/orchestrator/src/models.ts), so a new baseline is measurable here as soon
 * as the CLI knows it. CASP's adaptation figures are in packages/baselines/casp/src/speed.bench.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { resolveDataset } from '@midg/features';
import {
  GroupOptimizer,
  batchIndices,
  dataInfoOf,
  listModels,
  measureCall,
  parseBenchArgs,
  predictSplit,
  printKernelTimes,
  resolveRun,
  trainStep,
  type TrainingView,
} from '@midg/trainer';
import '../src/models';

const args = parseBenchArgs('model-step', process.argv.slice(2), { strings: ['model'], flags: ['profile'] });
const name = args.strings.model;
if (!name) throw new Error(`model-step: --model <name> is required; one of ${listModels().map((d) => d.name).join(', ')}`);

const backend = await useBackend('wasm');
const seed = 1111;
const { definition, config, training } = resolveRun({ model: name, source: 'synth:mosi:tiny', target: 'synth:mosei:tiny', seed, backend, overrides: args.overrides });
const source = resolveDataset('synth:mosi:tiny');
const target = resolveDataset('synth:mosei:tiny');
const trainView: TrainingView = { split: source.splits.train, modalities: source.modalities, labelScale: 3 };
const testView: TrainingView = { split: target.splits.test, modalities: target.modalities, labelScale: 3 };
const model = definition.create(config, dataInfoOf(source), seed);
const optimizer = new GroupOptimizer(model, training);
const batches = batchIndices(trainView.split.size, training.batchSize);

/** One epoch of training steps; the last loss is read back so that the time covers every step. */
const epoch = async (n: number): Promise<void> => {
  const losses = batches.map((indices, i) => trainStep(model, optimizer, trainView, indices, { step: i, epoch: n, progress: 0 }, training));
  await losses.at(-1)!.total!.data();
  tf.dispose(losses.flatMap((l) => Object.values(l)));
};

console.log(`backend ${backend}; ${name}, batch ${training.batchSize}, ${batches.length} steps per epoch`);
console.log(`config ${JSON.stringify(config)}`);
await epoch(0); // warm-up
await measureCall('training step', () => epoch(1), batches.length);
await measureCall(`eval-mode pass over the ${testView.split.size} target test inputs`, () => predictSplit((batch) => model.predict(batch), testView, 3));
if (args.flags.profile) {
  const info = await tf.profile(() => {
    tf.dispose(Object.values(trainStep(model, optimizer, trainView, batches[0]!, { step: 0, epoch: 1, progress: 0 }, training)));
    return [];
  });
  printKernelTimes('one training step', info);
}
optimizer.dispose();
model.dispose();
