/**
 * Micro-benchmark behind `matMul` (layers.ts): the products a dense layer's backward pass needs, formed with
 * matMul's transpose flags (what TF.js's own MatMul gradient does) or with an explicit tf.transpose, and one
 * dense layer's forward + backward with TF.js's gradient vs ours. Prints microseconds per op (median of rounds).
 *
 *   cd packages/nn && node --import tsx src/matmul.bench.ts
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
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
