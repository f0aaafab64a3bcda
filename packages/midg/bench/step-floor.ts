/**
 * The least a MIDG training step can cost on TF.js's wasm backend, one thread, from three measurements on this
 * machine, against the step as it runs:
 *
 *   products   the step's matrix products (every BatchMatMul of one profiled step: their multiply-adds) at the
 *              best rate XNNPACK's wasm kernels reach here, a 1024×1024×1024 product (the step's own shapes run
 *              slower), so this part of the floor is optimistic;
 *   dispatch   the step's kernel count times TF.js's cost per kernel call, measured on a chain of additions of
 *              8-element tensors while the gradient tape records (the kernels themselves do next to no work);
 *   floor      products + dispatch: what the step would cost if every other kernel computed nothing, and
 *              products ran at the peak rate.
 *
 * With `--shapes-out <file>` the products are written as JSON ([{batch, m, k, n}]) for
 * tools/bench/torch/products.py, which times PyTorch's products at the same shapes.
 *
 *   cd packages/midg && node --import tsx bench/step-floor.ts [--rounds 5] [--shapes-out /tmp/midg-products.json]
 *
 * Prints figures; not a test.
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { modelOnRandomBatch, parseBenchArgs, registerModels, startStopwatch, trainStep, type ProfiledKernel } from '@midg/trainer';
import { midgDefinition } from '../src/index';

const args = parseBenchArgs('step-floor', process.argv.slice(2), { numbers: { rounds: 5 }, strings: ['shapes-out'] });
const { rounds } = args.numbers;

await useBackend('wasm', { threads: 1 });
registerModels([midgDefinition]);
const batchSize = 32;
const { model, optimizer, training, view, indices } = modelOnRandomBatch({ model: 'midg', overrides: { hiddenDim: 64, heads: 4, experts: 4, ...args.overrides }, batchSize });
const step = (i: number): void => {
  const losses = trainStep(model, optimizer, view, indices, { step: i, epoch: 1, progress: 0 }, training);
  losses.total!.dataSync();
  tf.dispose(Object.values(losses));
};

/** Least of `rounds` timings of fn, in ms of CPU time (fn forces its results). */
function leastCpuMs(fn: () => void, repeats = rounds): number {
  let least = Infinity;
  for (let r = 0; r < repeats; r++) {
    const elapsed = startStopwatch();
    fn();
    least = Math.min(least, elapsed().cpuMs);
  }
  return least;
}

interface Product {
  batch: number;
  m: number;
  k: number;
  n: number;
}

/** A BatchMatMul's sizes from its profiled shapes: out [..., M, N]; a is [..., M, K] or, transposed, [..., K, M]. */
function productOf(kernel: ProfiledKernel): Product {
  const a = kernel.inputShapes[0]!;
  const out = kernel.outputShapes[0]!;
  const [m, n] = [out.at(-2)!, out.at(-1)!];
  const k = a.at(-2) === m ? a.at(-1)! : a.at(-2)!;
  return { batch: out.slice(0, -2).reduce((p, d) => p * d, 1), m, k, n };
}

for (let i = 0; i < 3; i++) step(i);
const stepCpuMs = leastCpuMs(() => step(10));
const profile = await tf.profile(() => step(20));
const kernelCount = profile.kernels.filter((kernel) => kernel.name !== 'unnamed scope').length;
const products = profile.kernels.filter((kernel) => kernel.name === 'BatchMatMul').map(productOf);
const multiplyAdds = products.reduce((sum, p) => sum + p.batch * p.m * p.k * p.n, 0);

// XNNPACK's best rate here: one large square product (its packed right operand cached after the first call).
const size = 1024;
const [left, right] = [tf.randomNormal([size, size]), tf.randomNormal([size, size])];
tf.matMul(left, right).dispose();
const squareMs = leastCpuMs(() => tf.matMul(left, right).dataSync());
const peakRate = size ** 3 / (squareMs / 1000);
tf.dispose([left, right]);

// TF.js's cost per kernel call: 2,000 additions of 8-element tensors and their gradients, under the tape.
const chain = 2000;
const start = tf.variable(tf.ones([8]));
const addend = tf.ones([8]);
const chained = (): void => {
  const { value, grads } = tf.variableGrads(() => {
    let y: tf.Tensor = start;
    for (let i = 0; i < chain; i++) y = tf.add(y, addend);
    return tf.sum(y) as tf.Scalar;
  }, [start]);
  grads[start.name]!.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
};
chained();
const chainKernels = (await tf.profile(chained)).kernels.length;
const perKernelMs = leastCpuMs(chained) / chainKernels;
tf.dispose([start, addend]);

const productsMs = (multiplyAdds / peakRate) * 1000;
const dispatchMs = kernelCount * perKernelMs;
const line = (label: string, value: string): void => console.log(`${label.padEnd(58)} ${value}`);
console.log(`MIDG training step, wasm 1 thread, batch ${batchSize}, reference shapes (CPU ms; least of ${rounds})`);
line('the step as it runs', `${stepCpuMs.toFixed(1)} ms`);
line('kernels per step', `${kernelCount} (${products.length} of them products)`);
line('multiply-adds in products', `${(multiplyAdds / 1e6).toFixed(1)} M`);
line(`XNNPACK's best rate (${size}×${size}×${size})`, `${(peakRate / 1e9).toFixed(1)} GMAC/s (${squareMs.toFixed(1)} ms)`);
line("TF.js's cost per kernel call (taped 8-element additions)", `${(perKernelMs * 1000).toFixed(2)} µs over ${chainKernels} kernels`);
line('floor: products at the best rate', `${productsMs.toFixed(1)} ms`);
line('floor: kernel calls', `${dispatchMs.toFixed(1)} ms`);
line('floor: both (every other kernel free)', `${(productsMs + dispatchMs).toFixed(1)} ms`);
console.log(
  JSON.stringify({ stepCpuMs, kernelCount, products: products.length, multiplyAdds, peakGmacPerSecond: peakRate / 1e9, perKernelUs: perKernelMs * 1000, productsFloorMs: productsMs, dispatchFloorMs: dispatchMs, floorMs: productsMs + dispatchMs }),
);
const shapesOut = args.strings['shapes-out'];
if (shapesOut) writeFileSync(shapesOut, `${JSON.stringify(products)}\n`);
optimizer.dispose();
model.dispose();
