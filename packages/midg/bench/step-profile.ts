/**
 * Where a MIDG training step spends its time: forward only, forward + backward, and the full step (clipping + Adam),
 * on random data of the reference shape (batch 32; text 50×768, audio 50×74, vision 50×35; d = 64, 4 heads, K = 4).
 * Run from packages/midg: `node --import tsx bench/step-profile.ts [--set key=value ...]`. Prints figures; not a test.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { GroupOptimizer, REFERENCE_SHAPES, disposeBatch, makeBatch, randomBenchmarkData, registerModels, resolveRun, trainStep, type ConfigRecord } from '@midg/trainer';
import { midgDefinition } from '../src/index';

const overrides: ConfigRecord = { hiddenDim: 64, heads: 4, experts: 4 };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  // Values stay strings: resolveRunConfig types them against the config defaults, as `midg train --set` does.
  if (args[i] === '--set') {
    const [key, value] = args[++i]!.split('=');
    overrides[key!] = value!;
  }
}

await useBackend('wasm', { threads: 1 });
const n = 32;
const { view, info, indices } = randomBenchmarkData(REFERENCE_SHAPES, n);
registerModels([midgDefinition]);
const { config, training } = resolveRun({ model: 'midg', source: 'synth:mosi', target: 'synth:mosi', seed: 1, backend: 'wasm', overrides });
const model = midgDefinition.create(config, info, 1);
const variables = model.trainableVariables();
const optimizer = new GroupOptimizer(model, training);
const context = { step: 0, epoch: 1, progress: 0 };
const batch = makeBatch(view, indices);

function time(label: string, steps: number, fn: () => void): number {
  for (let i = 0; i < 3; i++) fn();
  const start = performance.now();
  for (let i = 0; i < steps; i++) fn();
  const ms = (performance.now() - start) / steps;
  console.log(`${label.padEnd(28)} ${ms.toFixed(1).padStart(7)} ms`);
  return ms;
}

console.log(`MIDG step profile, wasm 1 thread, batch ${n}, ${variables.length} weight tensors, config ${JSON.stringify(overrides)}`);
const forward = time('forward (losses)', 20, () => tf.tidy(() => void model.losses(batch, context).total.dataSync()));
const backward = time('forward + backward', 20, () => {
  const { value, grads } = tf.variableGrads(() => model.losses(batch, context).total, variables);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
});
const full = time('full step (clip + Adam)', 20, () => {
  const losses = trainStep(model, optimizer, view, indices, context, training);
  losses.total!.dataSync();
  tf.dispose(Object.values(losses));
});
console.log(
  `shares of a step: forward ${((100 * forward) / full).toFixed(0)} %, backward ${((100 * (backward - forward)) / full).toFixed(0)} %, ` +
    `clipping + Adam + auxiliary ${((100 * (full - backward)) / full).toFixed(0)} %; ${((n * 1000) / full).toFixed(1)} samples/s`,
);
disposeBatch(batch);
optimizer.dispose();
model.dispose();
