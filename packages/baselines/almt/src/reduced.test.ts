/**
 * The tokenizer's last layer runs on the tokens alone and the fusion on the prepended token alone; both must give
 * what the whole stack gives on every position (outputs and gradients), with and without dropout.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { deriveSeed } from '@midg/nn';
import { CrossModalFusion } from './fusion';
import { ModalityTokenizer, almtEncoder, almtLayers, repeatOverBatch } from './tokens';

before(async () => {
  await useBackend('wasm');
});

const DIM = 16;
const TOKENS = 4;
const BATCH = 3;
const LENGTH = 6;

const maxDifference = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
const scaleOf = (t: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0]!);

/** The gradients of sum(f() · weights) for the given variables, in their order. */
function gradients(f: () => tf.Tensor, variables: tf.Variable[], weights: tf.Tensor): { value: tf.Tensor; grads: tf.Tensor[] } {
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(), weights)) as tf.Scalar, variables);
  return { value, grads: variables.map((v) => grads[v.name]!) };
}

function assertClose(actual: { value: tf.Tensor; grads: tf.Tensor[] }, expected: { value: tf.Tensor; grads: tf.Tensor[] }): void {
  assert.ok(maxDifference(actual.value, expected.value) <= 1e-5 * (1 + scaleOf(expected.value)), 'outputs');
  actual.grads.forEach((g, i) => assert.ok(maxDifference(g, expected.grads[i]!) <= 1e-5 * (1 + scaleOf(expected.grads[i]!)), `gradient ${i}`));
  tf.dispose([actual.value, expected.value, ...actual.grads, ...expected.grads]);
}

describe('ALMT reduced stacks', () => {
  it('almtLayers builds almtEncoder’s weights in its variable order', () => {
    const config = { dim: DIM, depth: 2, heads: 2, ffnDim: 24, dropout: 0 };
    const stack = almtEncoder(config, 5).trainableVariables();
    const layers = almtLayers(config, 5).flatMap((layer) => layer.trainableVariables());
    assert.equal(layers.length, stack.length);
    layers.forEach((v, i) => assert.deepEqual(Array.from(v.dataSync()), Array.from(stack[i]!.dataSync()), `variable ${i}`));
    tf.dispose([...stack, ...layers]);
  });

  for (const [depth, dropout, training] of [
    [1, 0, true],
    [2, 0, false],
    [2, 0.2, true],
  ] as const) {
    it(`tokenizer (depth ${depth}, dropout ${dropout}, ${training ? 'training' : 'eval'}): tokens and gradients as the whole stack gives them`, () => {
      const config = { inputDim: 5, maxLength: LENGTH, dim: DIM, tokens: TOKENS, depth, heads: 2, ffnDim: 24, dropout, seed: 3 };
      const tokenizer = new ModalityTokenizer(config);
      // The reference: the same weights as one almtEncoder on every position, then the tokens.
      const reference = new ModalityTokenizer(config);
      const stack = almtEncoder({ ...config }, deriveSeed(3, 'encoder'));
      const [projectionKernel, projectionBias, tokenInit, positions] = reference.trainableVariables() as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
      const x = tf.randomNormal([BATCH, LENGTH, 5], 0, 1, 'float32', 1) as tf.Tensor3D;
      const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 0, 0]]);
      const whole = () =>
        tf.tidy(() => {
          const projected = tf.add(tf.matMul(tf.reshape(x, [-1, 5]), projectionKernel), projectionBias).reshape([BATCH, LENGTH, DIM]);
          const placed = tf.add(tf.concat([repeatOverBatch(tokenInit, BATCH), projected], 1), positions) as tf.Tensor3D;
          const keyMask = tf.concat([tf.ones([BATCH, TOKENS]), mask], 1) as tf.Tensor2D;
          return tf.slice(stack.forward(placed, { training, keyMask }), [0, 0, 0], [BATCH, TOKENS, DIM]);
        });
      const weights = tf.randomNormal([BATCH, TOKENS, DIM], 0, 1, 'float32', 2);
      const expected = gradients(whole, [projectionKernel, projectionBias, tokenInit, positions, ...stack.trainableVariables()], weights);
      const actual = gradients(() => tokenizer.forward(x, mask, { training }), tokenizer.trainableVariables(), weights);
      assertClose(actual, expected);
      tf.dispose([x, mask, weights]);
      [tokenizer, reference, stack].forEach((part) => part.dispose());
    });
  }

  for (const [dropout, training] of [
    [0, true],
    [0, false],
    [0.2, true],
  ] as const) {
    it(`fusion (dropout ${dropout}, ${training ? 'training' : 'eval'}): the token row alone gives the whole stack's fused token and gradients`, () => {
      const config = { dim: DIM, tokens: TOKENS, depth: 2, heads: 2, ffnDim: 24, dropout, seed: 8 };
      const fusion = new CrossModalFusion(config);
      const [token, sourcePositions, targetPositions, ...encoderVariables] = fusion.trainableVariables() as tf.Variable[];
      // The reference: the whole target through a same-seeded stack; its first row is the fused token.
      const stack = almtEncoder(config, deriveSeed(8, 'encoder'));
      const target = tf.randomNormal([BATCH, TOKENS, DIM], 0, 1, 'float32', 4) as tf.Tensor3D;
      const source = tf.randomNormal([BATCH, TOKENS, DIM], 0, 1, 'float32', 5) as tf.Tensor3D;
      const withToken = (x: tf.Tensor3D, positions: tf.Variable) => tf.add(tf.concat([repeatOverBatch(token!, BATCH), x], 1), positions) as tf.Tensor3D;
      const whole = () =>
        tf.tidy(() => {
          const fused = stack.forward(withToken(target, targetPositions!), { training, source: withToken(source, sourcePositions!) });
          return tf.reshape(tf.slice(fused, [0, 0, 0], [BATCH, 1, DIM]), [BATCH, DIM]);
        });
      const weights = tf.randomNormal([BATCH, DIM], 0, 1, 'float32', 6);
      const shared = [token!, sourcePositions!, targetPositions!];
      const expected = gradients(whole, [...shared, ...stack.trainableVariables()], weights);
      const actual = gradients(() => fusion.forward(target, source, { training }), [...shared, ...encoderVariables], weights);
      assertClose(actual, expected);
      tf.dispose([target, source, weights]);
      [fusion, stack].forEach((part) => part.dispose());
    });
  }
});
