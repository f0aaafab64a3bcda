/**
 * Where a MIDG training step spends its time: forward only, forward + backward, and the full step (clipping + Adam),
 * on random data of the reference shape (batch 32; text 50×768, audio 50×74, vision 50×35; d = 64, 4 heads, K = 4).
 * Run from packages/trainer: `node --import tsx bench/step-profile.ts [--set key=value ...]`. Prints figures; not a test.
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import type { Split } from '@midg/features';
import { disposeBatch, getModel, makeBatch, mulberry32, resolveRunConfig, type ConfigRecord } from '../src/index';
import { trainStep } from '../src/train';

const overrides: ConfigRecord = { hiddenDim: 64, heads: 4, experts: 4 };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--set') {
    const [key, value] = args[++i]!.split('=');
    overrides[key!] = Number.isNaN(Number(value)) ? value! : Number(value);
  }
}

await useBackend('wasm', { threads: 1 });
const shapes = { t: [50, 768], a: [50, 74], v: [50, 35] } as const;
const n = 32;
const random = mulberry32(7);
const features: Split['features'] = {};
for (const [m, [seqLen, dim]] of Object.entries(shapes) as [keyof typeof shapes, readonly [number, number]][]) {
  features[m] = { data: Float32Array.from({ length: n * seqLen * dim }, () => random() * 2 - 1), shape: [n, seqLen, dim], lengths: new Int32Array(n).fill(seqLen) };
}
const split: Split = { size: n, features, labels: Float32Array.from({ length: n }, () => random() * 6 - 3), ids: [] };
const config = resolveRunConfig({ model: 'midg', source: 'synth:mosi', target: 'synth:mosi', seed: 1, overrides });
const info = { modalities: ['t', 'a', 'v'] as const, dims: { t: 768, a: 74, v: 35 }, seqLens: { t: 50, a: 50, v: 50 }, sourceCount: 1 };
const model = getModel('midg').create(config, { ...info, modalities: [...info.modalities] }, 1);
const variables = model.trainableVariables();
const optimizer = tf.train.adam(0.001);
const view = { split, modalities: [...info.modalities], labelScale: 3 };
const indices = Int32Array.from({ length: n }, (_, i) => i);
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
const forward = time('forward (losses)', 20, () => tf.tidy(() => void model.losses(batch, 0).total.dataSync()));
const backward = time('forward + backward', 20, () => {
  const { value, grads } = tf.variableGrads(() => model.losses(batch, 0).total, variables);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
});
const full = time('full step (clip + Adam)', 20, () => void trainStep(model, optimizer, variables, view, indices, 0, config));
console.log(
  `shares of a step: forward ${((100 * forward) / full).toFixed(0)} %, backward ${((100 * (backward - forward)) / full).toFixed(0)} %, ` +
    `clipping + Adam + auxiliary ${((100 * (full - backward)) / full).toFixed(0)} %; ${((n * 1000) / full).toFixed(1)} samples/s`,
);
disposeBatch(batch);
optimizer.dispose();
model.dispose();
