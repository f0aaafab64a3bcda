/**
 * Micro-benchmark behind `matMul` (layers.ts): the products a dense layer's backward pass needs, formed with
 * matMul's transpose flags (what TF.js's own MatMul gradient does) or with an explicit tf.transpose, and one
 * dense layer's forward + backward with TF.js's gradient vs ours. Prints microseconds per op (median of rounds).
 * Then a batched product (batch > 1, as attention's per-head products) against one 2-D product with the same
 * number of multiply-adds: the wasm backend runs batched products on a generic path; column sums; and the two forms
 * of a kernel gradient with fresh operands.
 *
 *   cd packages/nn && node --import tsx src/matmul.bench.ts
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { sumRows } from './fused';
import { matMul } from './layers';

function medianMicros(fn: () => void, rounds = 7, reps = 300): number {
  for (let i = 0; i < reps; i++) fn();
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) fn();
    times.push(((performance.now() - start) / reps) * 1000);
  }
  return times.sort((a, b) => a - b)[rounds >> 1]!;
}

const backend = await useBackend();
console.log(`backend ${backend}; µs per call, median of 7 rounds`);
for (const [batch, inputDim, units] of [
  [32, 64, 64],
  [32, 192, 128],
  [128, 100, 64],
  [640, 64, 128],
] as const) {
  const x = tf.randomNormal([batch, inputDim]) as tf.Tensor2D;
  const kernel = tf.variable(tf.randomNormal([inputDim, units])) as tf.Variable<tf.Rank.R2>;
  const dy = tf.randomNormal([batch, units]) as tf.Tensor2D;
  const time = (fn: () => tf.Tensor) => medianMicros(() => tf.tidy(() => void fn())).toFixed(0);
  const denseStep = (mm: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor) =>
    time(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(mm(x, kernel), dy)) as tf.Scalar, [kernel]);
      tf.dispose(grads);
      return value;
    });
  console.log(
    `[${batch}x${inputDim}]@[${inputDim}x${units}]  ` +
      [
        `dX flag ${time(() => tf.matMul(dy, kernel, false, true))}`,
        `dX explicit ${time(() => tf.matMul(dy, tf.transpose(kernel)))}`,
        `dW flag ${time(() => tf.matMul(x, dy, true, false))}`,
        `dW explicit ${time(() => tf.matMul(tf.transpose(x), dy))}`,
        `layer fwd+bwd tf.matMul ${denseStep((a, b) => tf.matMul(a, b))}`,
        `ours ${denseStep(matMul)}`,
      ].join(' | '),
  );
  tf.dispose([x, kernel, dy]);
}

// MulT's attention scores at its defaults: 32 × 10 heads of [50, 5] · [5, 50] (4M multiply-adds), and the same count
// as one 2-D product [16000, 5] · [5, 50].
{
  const q = tf.randomNormal([32, 10, 50, 5]);
  const kT = tf.randomNormal([32, 10, 5, 50]);
  const a = tf.randomNormal([16000, 5]);
  const b = tf.randomNormal([5, 50]);
  const time = (fn: () => tf.Tensor) => medianMicros(() => tf.tidy(() => void fn()), 5, 20).toFixed(0);
  console.log(`batched [32,10,50,5]@[32,10,5,50] ${time(() => tf.matMul(q, kT))} µs | 2-D [16000,5]@[5,50] ${time(() => tf.matMul(a, b))} µs`);
  tf.dispose([q, kT, a, b]);
}

// Column sums (every bias and layer-norm gradient): tf.sum over axis 0 against sumRows (fused.ts), ones[1, M]·g. Each
// call gets a fresh copy of g, as in a training step: the wasm backend caches its packing of a product's right
// operand by tensor, so timing the same g again and again times only the first call's packing once.
for (const columns of [30, 120, 240]) {
  const g = tf.randomNormal([1024, columns]) as tf.Tensor2D;
  const time = (fn: (fresh: tf.Tensor2D) => tf.Tensor) => medianMicros(() => tf.tidy(() => void fn(tf.add(g, 0))), 5, 100).toFixed(0);
  console.log(
    `column sums of [1024, ${columns}], a fresh g each call: copy alone ${time((fresh) => fresh)} µs | ` +
      `tf.sum(g, 0) ${time((fresh) => tf.sum(fresh, 0))} µs | sumRows ${time((fresh) => sumRows(fresh))} µs`,
  );
  g.dispose();
}

// The kernel gradient x^T·g of a dense layer in its two forms, with fresh operands each call (as in a step, where x
// and g are new tensors): which operand is the product's right one, and so packed, decides the cost on wasm
// (fused.ts, transposedProduct). Milliseconds per call, median of 7 rounds of 5.
for (const [rows, inputs, units] of [
  [1600, 768, 64],
  [1600, 128, 64],
  [1600, 64, 128],
  [1600, 74, 64],
] as const) {
  const x = tf.randomNormal([rows, inputs]);
  const g = tf.randomNormal([rows, units]);
  const time = (fn: (x: tf.Tensor2D, g: tf.Tensor2D) => tf.Tensor): string =>
    (medianMicros(() => tf.tidy(() => void fn(tf.add(x, 0) as tf.Tensor2D, tf.add(g, 0) as tf.Tensor2D).dataSync()), 7, 5) / 1000).toFixed(2);
  console.log(
    `kernel gradient, x [${rows}, ${inputs}], g [${rows}, ${units}], fresh operands: ` +
      `x^T·g ${time((a, b) => tf.matMul(tf.transpose(a), b))} ms | ` +
      `(g^T·x)^T ${time((a, b) => tf.transpose(tf.matMul(tf.transpose(b), a)))} ms`,
  );
  tf.dispose([x, g]);
}
