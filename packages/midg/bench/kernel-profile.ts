/**
 * Which kernels a MIDG training step runs, and how long each kind takes: full steps (forward, backward, clipping,
 * Adam, the CLUB step) under tf.profile after warm-up steps, each kernel's time the minimum over the profiled
 * steps, aggregated by kernel name; then the same step phase by phase with its kernel counts. The step runs
 * thousands of small kernels, so the kernel count is as telling as the time. Prints figures; not a test.
 *
 *   cd packages/midg && node --import tsx bench/kernel-profile.ts [--top 25] [--rounds 5] [--set key=value ...]
 *
 * KERNEL_PROFILE_GREP=<kernel name> (e.g. BatchMatMul) also lists every call of that kernel with its shapes.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { disposeBatch, kernelTimesByName, makeBatch, modelOnRandomBatch, parseBenchArgs, registerModels, trainStep, type ConfigRecord, type ProfiledKernel } from '@midg/trainer';
import { midgDefinition } from '../src/index';

const args = parseBenchArgs('kernel-profile', process.argv.slice(2), { numbers: { top: 25, rounds: 5 } });
const { top, rounds } = args.numbers;
const overrides: ConfigRecord = { hiddenDim: 64, heads: 4, experts: 4, ...args.overrides };

await useBackend('wasm', { threads: 1 });
registerModels([midgDefinition]);
const n = 32;
const { model, optimizer, training, view, indices } = modelOnRandomBatch({ model: 'midg', overrides, batchSize: n });
const step = (i: number): void => {
  const losses = trainStep(model, optimizer, view, indices, { step: i, epoch: 1, progress: 0 }, training);
  losses.total!.dataSync();
  tf.dispose(Object.values(losses));
};
for (let i = 0; i < 3; i++) step(i);

// Several profiled steps: each kernel's time is the minimum over them (the kernel sequence of a step is fixed), which
// filters out the waits of a shared machine.
const runs: ProfiledKernel[][] = [];
for (let r = 0; r < rounds; r++) runs.push((await tf.profile(() => step(3 + r))).kernels);
const kernels = runs[0]!.map((kernel, i) => ({ ...kernel, kernelTimeMs: Math.min(...runs.map((run) => Number(run[i]?.kernelTimeMs ?? Infinity))) }));
const byName = kernelTimesByName({ kernels });
const kernelMs = byName.reduce((sum, { ms }) => sum + ms, 0);
console.log(
  `MIDG kernel profile, wasm 1 thread, batch ${n}, ${model.trainableVariables().length} weight tensors: ` +
    `${kernels.length} kernels per step, ${kernelMs.toFixed(1)} ms inside kernels (minimum over ${rounds} profiled steps)`,
);
// The same step split into its phases (as trainStep runs them), to see where the kernels come from.
const context = { step: 4, epoch: 1, progress: 0 };
const phases: [string, ProfiledKernel[]][] = [];
const batch = makeBatch(view, indices);
const count = async (label: string, fn: () => void): Promise<void> => void phases.push([label, (await tf.profile(fn)).kernels]);
await count('forward (losses)', () => tf.tidy(() => void model.losses(batch, context)));
let grads: tf.NamedTensorMap = {};
await count('forward + backward', () => {
  const result = tf.variableGrads(() => model.losses(batch, context).total, model.trainableVariables());
  result.value.dispose();
  grads = result.grads;
});
await count('clipping + optimizer', () => optimizer.apply(grads, training));
await count('afterStep (CLUB step)', () => model.afterStep?.(batch, context));
tf.dispose(Object.values(grads));
disposeBatch(batch);
for (const [label, kernels] of phases) {
  const common = kernelTimesByName({ kernels }, 'calls').slice(0, 8).map(({ name, calls }) => `${name} ${calls}`).join(', ');
  console.log(`${label}: ${kernels.length} kernels (${common})`);
}
console.log(`${'kernel'.padEnd(28)} ${'count'.padStart(6)} ${'ms'.padStart(8)} ${'share'.padStart(6)}`);
for (const { name, calls, ms } of byName.slice(0, top)) {
  console.log(`${name.padEnd(28)} ${String(calls).padStart(6)} ${ms.toFixed(2).padStart(8)} ${((100 * ms) / kernelMs).toFixed(1).padStart(5)}%`);
}
if (process.env.KERNEL_PROFILE_GREP) {
  for (const kernel of kernels.filter(({ name }) => name === process.env.KERNEL_PROFILE_GREP)) {
    console.log(`${kernel.kernelTimeMs.toFixed(3).padStart(8)} ms  ${kernel.name.padEnd(16)} ${JSON.stringify(kernel.inputShapes)} -> ${JSON.stringify(kernel.outputShapes)}`);
  }
}
console.log('slowest single kernels:');
for (const kernel of kernels.filter(({ name }) => name !== 'unnamed scope').sort((a, b) => b.kernelTimeMs - a.kernelTimeMs).slice(0, top)) {
  console.log(`${kernel.kernelTimeMs.toFixed(2).padStart(8)} ms  ${kernel.name.padEnd(16)} ${JSON.stringify(kernel.inputShapes)} -> ${JSON.stringify(kernel.outputShapes)}`);
}
optimizer.dispose();
model.dispose();
