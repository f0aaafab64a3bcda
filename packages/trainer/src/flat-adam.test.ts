import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { FlatAdam } from './flat-adam';
import { GroupOptimizer, clipByGlobalNorm, clipByValue, type GradientClipping } from './optimizer';
import type { ParameterGroup } from './model';
import { mulberry32 } from './random';

before(async () => {
  await useBackend('wasm');
});

/**
 * The unfused form the flat optimizer replaces: one tf.js Adam per variable, clipping on each gradient tensor,
 * decoupled weight decay per variable, a variable without a gradient skipped.
 */
class PerVariableReference {
  private readonly optimizers = new Map<tf.Variable, tf.AdamOptimizer>();

  constructor(private readonly groups: { variables: tf.Variable[]; learningRate: number; weightDecay: number }[]) {
    for (const group of groups) for (const v of group.variables) this.optimizers.set(v, tf.train.adam(group.learningRate, 0.9, 0.999));
  }

  apply(grads: tf.NamedTensorMap, clipping: GradientClipping): void {
    const byNorm = clipByGlobalNorm(grads, clipping.gradClipNorm);
    const clipped = clipByValue(byNorm, clipping.gradClipValue);
    for (const { variables, learningRate, weightDecay } of this.groups) {
      for (const variable of variables) {
        const grad = clipped[variable.name];
        if (!grad) continue;
        this.optimizers.get(variable)!.applyGradients([{ name: variable.name, tensor: grad }]);
        if (weightDecay > 0) tf.tidy(() => variable.assign(tf.mul(variable, 1 - weightDecay * learningRate)));
      }
    }
    tf.dispose([...new Set([...Object.values(byNorm), ...Object.values(clipped)])].filter((t) => !Object.values(grads).includes(t)));
  }

  dispose(): void {
    for (const optimizer of this.optimizers.values()) optimizer.dispose();
  }
}

const SHAPES: number[][] = [[7, 5], [5], [3, 4, 2], [1], [6, 3], [3]];

/** Two copies of the same variables (fused and reference side), seeded. */
function twinVariables(seed: number): [tf.Variable[], tf.Variable[]] {
  const random = mulberry32(seed);
  const values = SHAPES.map((shape) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1));
  const make = () => SHAPES.map((shape, i) => tf.variable(tf.tensor(values[i]!, shape)));
  return [make(), make()];
}

/** Gradients for the variables at `present` (by index), scaled so clipping by norm and by value both act. */
function gradients(variables: tf.Variable[], present: number[], random: () => number): tf.NamedTensorMap {
  const grads: tf.NamedTensorMap = {};
  for (const i of present) {
    const v = variables[i]!;
    grads[v.name] = tf.tensor(Float32Array.from({ length: v.size }, () => (random() * 2 - 1) * 3), v.shape);
  }
  return grads;
}

async function maxRelativeDifference(a: tf.Variable[], b: tf.Variable[]): Promise<number> {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [await a[i]!.data(), await b[i]!.data()];
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j]! - y[j]!) / Math.max(1e-3, Math.abs(y[j]!)));
  }
  return worst;
}

test('flat Adam with clipping matches one tf.js Adam per variable: two groups, own rates and decay, missing gradients', async () => {
  const [fused, reference] = twinVariables(11);
  const groupsOf = (vs: tf.Variable[]): ParameterGroup[] => [
    { name: 'main', variables: vs.slice(0, 4) },
    { name: 'second', variables: vs.slice(4), learningRate: 0.03, weightDecay: 0.1 },
  ];
  const owner = { name: 'twin', trainableVariables: () => fused, parameterGroups: () => groupsOf(fused) };
  const optimizer = new GroupOptimizer(owner, { learningRate: 0.01, weightDecay: 0.01 });
  const unfused = new PerVariableReference([
    { variables: reference.slice(0, 4), learningRate: 0.01, weightDecay: 0.01 },
    { variables: reference.slice(4), learningRate: 0.03, weightDecay: 0.1 },
  ]);
  const clipping = { gradClipNorm: 4, gradClipValue: 0.5 };
  // Every variable, then a step without variables 1 and 4 (their step counts fall behind: the next full step mixes
  // bias corrections of different steps), then the second group alone, then every variable again; before the fourth
  // step a variable is assigned from outside.
  const presence = [[0, 1, 2, 3, 4, 5], [0, 2, 3, 5], [0, 1, 2, 3, 4, 5], [4, 5], [0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5]];
  const random = mulberry32(5);
  let moved = 0;
  for (const [stepIndex, present] of presence.entries()) {
    if (stepIndex === 3) {
      // An assignment from outside the optimizer (a restored checkpoint) must be what the next step starts from.
      const restored = Float32Array.from({ length: fused[2]!.size }, (_, j) => j / 10);
      fused[2]!.assign(tf.tensor(restored, fused[2]!.shape));
      reference[2]!.assign(tf.tensor(restored, reference[2]!.shape));
    }
    const before = await Promise.all(fused.map(async (v) => Array.from(await v.data())));
    const seed = random() * 1e6;
    const fusedGrads = gradients(fused, present, mulberry32(seed));
    const referenceGrads = gradients(reference, present, mulberry32(seed));
    optimizer.apply(fusedGrads, clipping);
    unfused.apply(referenceGrads, clipping);
    for (let i = 0; i < fused.length; i++) {
      const after = Array.from(await fused[i]!.data());
      if (!present.includes(i)) assert.deepEqual(after, before[i], `variable ${i} has no gradient: it must not move`);
      else moved += after.filter((x, j) => x !== before[i]![j]).length;
    }
    const difference = await maxRelativeDifference(fused, reference);
    assert.ok(difference < 1e-5, `fused and per-variable Adam differ by ${difference} (relative) after presence [${present}]`);
    tf.dispose([...Object.values(fusedGrads), ...Object.values(referenceGrads)]);
  }
  assert.ok(moved > 100, `the steps moved the variables (${moved} value changes)`);
  optimizer.dispose();
  unfused.dispose();
  tf.dispose([...fused, ...reference]);
});

test('flat Adam leaves no tensors behind and refuses a gradient of the wrong size', () => {
  const variables = [tf.variable(tf.ones([3, 2])), tf.variable(tf.zeros([4]))];
  const baseline = tf.memory().numTensors;
  const adam = new FlatAdam(variables, { learningRate: 0.1 });
  const counts: number[] = [];
  for (let i = 0; i < 4; i++) {
    const grads = [tf.ones([3, 2]), i === 1 ? undefined : tf.ones([4])];
    const flat = adam.flatten(grads)!;
    adam.update(flat, grads.map((g) => g !== undefined), { learningRate: 0.1, decay: 0 });
    tf.dispose([flat, ...grads.filter((g) => g !== undefined)]);
    counts.push(tf.memory().numTensors);
  }
  // The state does not grow from step to step (the second step adds the mask of its partial presence pattern).
  assert.equal(counts[3], counts[2]);
  const wrong = tf.ones([5]) as tf.Tensor1D;
  assert.throws(() => adam.update(wrong, [true, true], { learningRate: 0.1, decay: 0 }), /flat gradient has 5 values, the group 10/);
  wrong.dispose();
  adam.dispose();
  assert.equal(tf.memory().numTensors, baseline, 'dispose frees the whole state');
  tf.dispose(variables);
});

test('minimize steps like tf.train.adam(rate).minimize over the same variables', async () => {
  const [fused, reference] = twinVariables(21);
  const adam = new FlatAdam(fused, { learningRate: 0.05 });
  const tfAdam = tf.train.adam(0.05);
  const target = tf.tensor1d([0.5, -1, 2, 0, 1]);
  // A loss that reaches every variable: squared distance of each variable's values from a target slice.
  const loss = (vs: tf.Variable[]) => () =>
    tf.addN(vs.map((v) => tf.sum(tf.square(tf.sub(tf.reshape(v, [-1]), tf.slice(target, 0, Math.min(5, v.size)).mean()))))) as tf.Scalar;
  const initial = Array.from(await fused[0]!.data());
  for (let i = 0; i < 4; i++) {
    adam.minimize(loss(fused));
    tfAdam.minimize(loss(reference), false, reference);
    const difference = await maxRelativeDifference(fused, reference);
    assert.ok(difference < 1e-6, `step ${i + 1}: flat and tf.train.adam differ by ${difference}`);
  }
  assert.notDeepEqual(Array.from(await fused[0]!.data()), initial, 'the variables moved');
  adam.dispose();
  tfAdam.dispose();
  tf.dispose([...fused, ...reference, target]);
});
