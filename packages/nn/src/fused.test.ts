import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { forEachBackend } from '@midg/backend/testing';
import { dropoutMultiplier } from './dropout-mask';
import { activate, maxOverSteps, type Activation } from './fused';
import { Dense, LayerNorm, Mlp, SeedStream, deriveSeed } from './layers';

/** max |a − b| / max(1, |b|) over all elements. */
function relativeDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.div(tf.abs(tf.sub(a, b)), tf.maximum(tf.abs(b), 1))).dataSync()[0]!);
}

/** The op-by-op dense layer the fused op replaces: tf.matMul, tf.add, the activation and tf.dropout's mul, on autograd. */
function referenceDense(x: tf.Tensor2D, kernel: tf.Tensor, bias: tf.Tensor | undefined, activation: Activation, multiplier?: tf.Tensor): tf.Tensor {
  let z: tf.Tensor = tf.matMul(x, kernel as tf.Tensor2D);
  if (bias) z = tf.add(z, bias);
  const a = activate(z, activation);
  return multiplier ? tf.mul(a, multiplier) : a;
}

/** The op-by-op layer norm the fused op replaces. */
function referenceLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const centered = tf.sub(x, tf.mean(x, -1, true));
  const variance = tf.mean(tf.square(centered), -1, true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
}

/**
 * Compares f and reference (functions of x and the weights, output of `outShape`) in value and in the gradients of
 * a weighted sum of the output with respect to every weight and to x. Both are called the same number of times in
 * the same order (so seeded randomness inside them stays in step). Returns the largest relative differences.
 */
function compare(
  f: (x: tf.Tensor) => tf.Tensor,
  reference: (x: tf.Tensor) => tf.Tensor,
  x: tf.Tensor,
  weights: tf.Variable[],
  outShape: number[],
  inputGradient = true,
): { value: number; gradient: number } {
  return tf.tidy(() => {
    const probe = tf.randomNormal(outShape, 0, 1, 'float32', 99);
    const loss = (g: (x: tf.Tensor) => tf.Tensor) => (input: tf.Tensor) => tf.sum(tf.mul(g(input), probe)) as tf.Scalar;
    const value = relativeDifference(f(x), reference(x));
    const ours = tf.variableGrads(() => loss(f)(x), weights).grads;
    const theirs = tf.variableGrads(() => loss(reference)(x), weights).grads;
    let gradient = Math.max(...weights.map((w) => relativeDifference(ours[w.name]!, theirs[w.name]!)));
    if (inputGradient) gradient = Math.max(gradient, relativeDifference(tf.grad(loss(f))(x), tf.grad(loss(reference))(x)));
    return { value, gradient };
  });
}

forEachBackend((backend) => {
  describe(`fused ops match the op-by-op form (${backend})`, () => {
    for (const activation of ['linear', 'relu', 'tanh', 'sigmoid'] as const) {
      for (const useBias of [true, false]) {
        it(`dense, ${activation}, ${useBias ? 'with' : 'without'} bias, with and without a dropout multiplier`, () => {
          const layer = new Dense({ inputDim: 12, units: 7, activation, useBias, biasInit: 0.1, seed: 3 });
          const [kernel, bias] = layer.trainableVariables();
          const x = tf.randomNormal([9, 12], 0, 1, 'float32', 4) as tf.Tensor2D;
          const multiplier = dropoutMultiplier([9, 7], 0.3, 5);
          for (const m of [undefined, multiplier]) {
            const options = m ? { multiplier: m } : {};
            const { value, gradient } = compare((input) => layer.forward(input, options), (input) => referenceDense(input as tf.Tensor2D, kernel!, bias, activation, m), x, layer.trainableVariables(), [9, 7]);
            assert.equal(value, 0, 'the forward pass is the same ops in the same order');
            assert.ok(gradient < 1e-5, `gradients differ by ${gradient}`);
          }
          tf.dispose([x, multiplier]);
          layer.dispose();
        });
      }
    }

    it('dense on a rank-3 input of data (no input gradient), with a wide input whose kernel gradient transposes the other side', () => {
      const layer = new Dense({ inputDim: 96, units: 8, seed: 6 });
      const [kernel, bias] = layer.trainableVariables();
      const x = tf.randomNormal([4, 5, 96], 0, 1, 'float32', 7);
      const { value, gradient } = compare(
        (input) => layer.forward(input, { inputGradient: false }),
        (input) => tf.reshape(referenceDense(tf.reshape(input, [20, 96]) as tf.Tensor2D, kernel!, bias, 'linear'), [4, 5, 8]),
        x,
        layer.trainableVariables(),
        [4, 5, 8],
        false,
      );
      assert.equal(value, 0);
      assert.ok(gradient < 1e-5, `gradients differ by ${gradient}`);
      // The input is data: the fused layer does not connect it to the output on the gradient tape.
      assert.throws(() => tf.grad((input: tf.Tensor) => tf.sum(layer.forward(input, { inputGradient: false })))(x), /Cannot compute gradient of y=f\(x\) with respect to x/);
      x.dispose();
      layer.dispose();
    });

    it('layer norm on rank 2 and rank 3, with trained (non-trivial) gain and shift', () => {
      const norm = new LayerNorm(6);
      const [gamma, beta] = norm.trainableVariables();
      gamma!.assign(tf.randomNormal([6], 1, 0.5, 'float32', 8));
      beta!.assign(tf.randomNormal([6], 0, 0.5, 'float32', 9));
      for (const shape of [[10, 6], [3, 4, 6]]) {
        const x = tf.randomNormal(shape, 2, 3, 'float32', 10);
        const { value, gradient } = compare((input) => norm.forward(input), (input) => referenceLayerNorm(input, gamma!, beta!, 1e-5), x, norm.trainableVariables(), shape);
        assert.equal(value, 0);
        assert.ok(gradient < 1e-4, `gradients differ by ${gradient}`);
        x.dispose();
      }
      norm.dispose();
    });

    it('max over steps, ties included, equals tf.max in value and gradient', () => {
      // Rounded values make ties: every tied maximum gets the gradient, as with tf.max.
      const x = tf.round(tf.mul(tf.randomNormal([4, 6, 5], 0, 1, 'float32', 13), 2)) as tf.Tensor3D;
      const probe = tf.randomNormal([4, 5], 0, 1, 'float32', 14);
      const loss = (max: (t: tf.Tensor3D) => tf.Tensor) => (t: tf.Tensor) => tf.sum(tf.mul(max(t as tf.Tensor3D), probe));
      assert.equal(relativeDifference(maxOverSteps(x), tf.max(x, 1)), 0);
      const ours = tf.grad(loss(maxOverSteps))(x);
      const reference = tf.grad(loss((t) => tf.max(t, 1)))(x);
      assert.deepEqual(Array.from(ours.dataSync()), Array.from(reference.dataSync()));
      const ties = tf.tidy(() => tf.sum(tf.cast(tf.equal(x, tf.max(x, 1, true)), 'float32')).dataSync()[0]!);
      assert.ok(ties > 20, `the input has tied maxima (${ties} maxima for 20 columns)`);
      tf.dispose([x, probe, ours, reference]);
    });

    it('an MLP with dropout equals dense → relu → tf.dropout → dense with the same seeds', () => {
      const mlp = new Mlp({ inputDim: 5, hiddenDims: [16, 8], outputDim: 3, dropout: 0.25, seed: 11 });
      const [w1, b1, w2, b2, w3, b3] = mlp.trainableVariables();
      const x = tf.randomNormal([6, 5], 0, 1, 'float32', 12) as tf.Tensor2D;
      // The MLP draws one dropout seed per hidden layer per call from SeedStream(deriveSeed(seed, 'dropout')).
      const seeds = new SeedStream(deriveSeed(11, 'dropout'));
      const { value, gradient } = compare(
        (input) => mlp.forward(input, { training: true }),
        (input) => {
          const h1 = tf.dropout(referenceDense(input as tf.Tensor2D, w1!, b1, 'relu'), 0.25, undefined, seeds.next());
          const h2 = tf.dropout(referenceDense(h1 as tf.Tensor2D, w2!, b2, 'relu'), 0.25, undefined, seeds.next());
          return referenceDense(h2 as tf.Tensor2D, w3!, b3, 'linear');
        },
        x,
        mlp.trainableVariables(),
        [6, 3],
      );
      assert.equal(value, 0);
      assert.ok(gradient < 1e-5, `gradients differ by ${gradient}`);
      x.dispose();
      mlp.dispose();
    });
  });

  describe(`dropout multiplier (${backend})`, () => {
    it('is bit for bit the multiplier of tf.dropout for the same seed', () => {
      for (const [rate, seed] of [[0.1, 1], [0.5, 123456], [0.25, 2 ** 31 - 2]] as const) {
        const ones = tf.ones([37, 29]);
        const reference = tf.dropout(ones, rate, undefined, seed).dataSync();
        const ours = dropoutMultiplier([37, 29], rate, seed).dataSync();
        assert.deepEqual(Array.from(ours), Array.from(reference), `rate ${rate}, seed ${seed}`);
        const kept = Array.from(ours).filter((v) => v > 0).length / ours.length;
        assert.ok(Math.abs(kept - (1 - rate)) < 0.06, `about ${1 - rate} kept, got ${kept}`);
        ones.dispose();
      }
      assert.throws(() => dropoutMultiplier([2], 0, 1), /rate must be in \(0, 1\), got 0/);
    });
  });
});
