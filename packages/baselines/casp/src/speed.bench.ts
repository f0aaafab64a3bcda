/**
 * Where a CASP run spends its time, at the default sweep's sizes (synth:mosi:tiny → synth:mosei:tiny, the
 * reference's backbone: d 40, 8 heads, 5 layers, batch 24): per source training step, per eval-mode pass over the
 * target's 320 test inputs, per contrastive adaptation epoch, and the whole adaptation (15 contrastive + 5
 * pseudo-label epochs). Each figure is wall time and this process's CPU time (on a shared machine the CPU time is
 * the steadier one), with the tensor count before and after (a leak shows as growth). With `--profile`, the
 * kernels of one source step and one contrastive step: how many, and which take the most time.
 *
 *   cd packages/baselines/casp && node --import tsx src/speed.bench.ts [--profile] [--no-adapt] [--set key=value ...]
 *
 * The source step and eval pass are what apps/orchestrator/bench/model-step.ts measures for every model; they are repeated here
 * so that one run gives all of CASP's figures.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { resolveDataset } from '@midg/features';
import {
  GroupOptimizer,
  batchIndices,
  dataInfoOf,
  measureCall,
  parseBenchArgs,
  printKernelTimes,
  registerModels,
  resolveRun,
  trainStep,
  unlabeledData,
  type TrainingView,
} from '@midg/trainer';
import { adaptCasp, predictAll } from './adaptation';
import { caspDefinition, type CaspModel } from './index';

const args = parseBenchArgs('casp speed.bench', process.argv.slice(2), { flags: ['profile', 'no-adapt'] });
const backend = await useBackend('wasm');
registerModels([caspDefinition]);
const { config, training } = resolveRun({ model: 'casp', source: 'synth:mosi:tiny', target: 'synth:mosei:tiny', seed: 1111, backend, overrides: args.overrides });
const source = resolveDataset('synth:mosi:tiny');
const target = resolveDataset('synth:mosei:tiny');
const trainView: TrainingView = { split: source.splits.train, modalities: source.modalities, labelScale: 3 };
const targetInputs = unlabeledData({ split: target.splits.test, modalities: target.modalities, labelScale: 3 });
const model = caspDefinition.create(config, dataInfoOf(source), 1111) as CaspModel;
const adaptation = model.adaptationConfig;
const optimizer = new GroupOptimizer(model, training);

const batches = batchIndices(trainView.split.size, training.batchSize);
const sourceEpoch = async (epoch: number) => {
  const losses = batches.map((indices, i) => trainStep(model, optimizer, trainView, indices, { step: i, epoch, progress: 0 }, training));
  await losses.at(-1)!.total!.data();
  tf.dispose(losses.flatMap((l) => Object.values(l)));
};

console.log(`backend ${backend}; casp d ${config.projDim}, ${config.heads} heads, ${config.nlevels} levels, batch ${training.batchSize}, ${batches.length} steps per source epoch`);
await sourceEpoch(0); // warm-up
await measureCall('source training step', () => sourceEpoch(1), batches.length);
await measureCall(`eval-mode pass over the ${targetInputs.size} target test inputs`, () => predictAll(model.backbone, targetInputs));
const oneContrastiveEpoch = { ...adaptation, contrastiveEpochs: 1, storeEvery: 1, pseudoEpochs: 0 };
await measureCall('contrastive epoch (with its stored eval pass)', () => adaptCasp(model.backbone, targetInputs, oneContrastiveEpoch, 1111));
if (args.flags.profile) {
  const indices = batches[0]!;
  const sourceStep = await tf.profile(() => {
    tf.dispose(Object.values(trainStep(model, optimizer, trainView, indices, { step: 0, epoch: 1, progress: 0 }, training)));
    return [];
  });
  printKernelTimes('one source step', sourceStep, { by: 'calls' });
  const contrastiveEpoch = await tf.profile(async () => {
    await adaptCasp(model.backbone, targetInputs, oneContrastiveEpoch, 1111);
    return [];
  });
  printKernelTimes('one contrastive epoch', contrastiveEpoch, { by: 'calls' });
}
if (!args.flags['no-adapt']) {
  await measureCall(`adaptation (${adaptation.contrastiveEpochs} contrastive + ${adaptation.pseudoEpochs} pseudo-label epochs)`, () => adaptCasp(model.backbone, targetInputs, adaptation, 1111));
}
optimizer.dispose();
model.dispose();
