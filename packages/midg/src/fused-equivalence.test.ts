/**
 * The fused layers (nn's fused.ts: dense, layer norm, dropout multiplier, max pooling) must not change MIDG's
 * results beyond float rounding: two models built from the same seed (same weights, same dropout and sampling
 * seeds) give the same losses and gradients, and the same weights after training steps, whether the layers run
 * fused or op by op (the implementation before fusion).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { withOpByOpLayers } from '@midg/nn';
import { GroupOptimizer, REFERENCE_SHAPES, disposeBatch, makeBatch, parseConfig, randomBenchmarkData, registerModels, resolveRun, TRAINING_SCHEMA, trainStep } from '@midg/trainer';
import { midgDefinition } from './definition';
import { MidgModel } from './model';
import { MIDG_SCHEMA } from './schema';

registerModels([midgDefinition]);

before(async () => {
  await useBackend('wasm');
});

const resolved = resolveRun({ model: 'midg', source: 'synth:mosi', target: 'synth:mosi', seed: 1, backend: 'wasm', overrides: {} });
const config = parseConfig({ ...TRAINING_SCHEMA, ...MIDG_SCHEMA }, resolved.config);
const { view, info, indices } = randomBenchmarkData(REFERENCE_SHAPES, 8);
const context = { step: 0, epoch: 1, progress: 0 };

/** ‖a − b‖ / ‖b‖ (or ‖a − b‖ when b is 0). */
function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => {
    const difference = tf.norm(tf.sub(a, b)).dataSync()[0]!;
    const scale = tf.norm(b).dataSync()[0]!;
    return scale > 0 ? difference / scale : difference;
  });
}

test('MIDG at the reference size: fused and op-by-op layers give the same losses and gradients', () => {
  const fused = new MidgModel(config, info, 7);
  const opByOp = new MidgModel(config, info, 7);
  const batch = makeBatch(view, indices);
  const run = (model: MidgModel) => {
    const parts: Record<string, tf.Scalar> = {};
    const { value, grads } = tf.variableGrads(() => {
      const losses = model.losses(batch, context);
      for (const [name, part] of Object.entries(losses.parts)) parts[name] = tf.keep(part);
      return losses.total;
    }, model.trainableVariables());
    return { value, grads: model.trainableVariables().map((v) => grads[v.name]!), parts };
  };
  const ours = run(fused);
  const reference = withOpByOpLayers(() => run(opByOp));
  assert.ok(relativeError(ours.value, reference.value) < 1e-6, 'total loss');
  for (const name of Object.keys(reference.parts)) {
    assert.ok(relativeError(ours.parts[name]!, reference.parts[name]!) < 1e-5, `loss part ${name}: ${relativeError(ours.parts[name]!, reference.parts[name]!)}`);
  }
  assert.equal(ours.grads.length, 154);
  const errors = ours.grads.map((g, i) => relativeError(g, reference.grads[i]!));
  const worst = Math.max(...errors);
  assert.ok(worst < 1e-4, `gradient ${errors.indexOf(worst)} differs by ${worst} (relative norm)`);
  assert.ok(reference.grads.every((g) => tf.tidy(() => tf.norm(g).dataSync()[0]! > 0)), 'every weight has a gradient to compare');
  tf.dispose([ours.value, reference.value, ...ours.grads, ...reference.grads, ...Object.values(ours.parts), ...Object.values(reference.parts)]);
  disposeBatch(batch);
  fused.dispose();
  opByOp.dispose();
});

test('MIDG: three training steps (clipping, Adam, the CLUB step) leave the same weights fused and op by op', () => {
  const training = { ...resolved.training, learningRate: 0.001, weightDecay: 0 };
  const fused = new MidgModel(config, info, 3);
  const opByOp = new MidgModel(config, info, 3);
  const optimizers = [new GroupOptimizer(fused, training), new GroupOptimizer(opByOp, training)] as const;
  for (let step = 0; step < 3; step++) {
    const stepContext = { step, epoch: 1, progress: 0 };
    tf.dispose(Object.values(trainStep(fused, optimizers[0], view, indices, stepContext, training)));
    tf.dispose(Object.values(withOpByOpLayers(() => trainStep(opByOp, optimizers[1], view, indices, stepContext, training))));
  }
  const [a, b] = [fused.trainableVariables(), opByOp.trainableVariables()];
  const errors = a.map((v, i) => relativeError(v, b[i]!));
  const worst = Math.max(...errors);
  assert.ok(worst < 1e-5, `weight ${errors.indexOf(worst)} differs by ${worst} (relative norm) after 3 steps`);
  optimizers.forEach((o) => o.dispose());
  fused.dispose();
  opByOp.dispose();
});
