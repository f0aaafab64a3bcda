/** CASP's objectives and pseudo-label rule on hand-checked values, and the backbone's first-real-step summary. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { firstRealStep } from './backbone';
import { ntXent, quantile, selectSamples, stabilityOf } from './objectives';

before(async () => {
  await useBackend('wasm');
});

const close = (actual: number, expected: number, tolerance = 1e-4) => assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} ≈ ${expected}`);

describe('NT-Xent', () => {
  it('N = 2, z₁ = z₁′ = e₁, z₂ = z₂′ = e₂, τ = 0.5: ln(1 + 2e⁻²) = 0.23955 (2N − 2 negatives, mean over 2N anchors)', () => {
    const z = tf.tensor2d([[1, 0], [0, 1]]);
    const loss = ntXent(z, z, 0.5);
    close(loss.dataSync()[0]!, Math.log(1 + 2 * Math.exp(-2)), 1e-5);
    close(loss.dataSync()[0]!, 0.23955);
    tf.dispose([z, loss]);
  });

  it('is scale-invariant (cosine), matches a direct loop, and has a gradient on wasm', () => {
    const a = tf.tensor2d([[1, 2, 0], [0, -1, 3], [2, 2, 2]]);
    const b = tf.tensor2d([[1, 1, 1], [0, -2, 2], [3, 0, 1]]);
    const tau = 0.7;
    const rows = [...(a.arraySync() as number[][]), ...(b.arraySync() as number[][])];
    const unit = rows.map((r) => r.map((x) => x / Math.hypot(...r)));
    const sim = (i: number, k: number) => unit[i]!.reduce((s, x, c) => s + x * unit[k]![c]!, 0) / tau;
    let expected = 0;
    for (let i = 0; i < 6; i++) {
      const pair = (i + 3) % 6;
      let denominator = 0;
      for (let k = 0; k < 6; k++) if (k !== i) denominator += Math.exp(sim(i, k));
      expected += -Math.log(Math.exp(sim(i, pair)) / denominator) / 6;
    }
    const loss = ntXent(a, b, tau);
    const scaled = ntXent(tf.mul(a, 3) as tf.Tensor2D, b, tau);
    close(loss.dataSync()[0]!, expected, 1e-5);
    close(scaled.dataSync()[0]!, expected, 1e-5);
    const grad = tf.grad((x: tf.Tensor) => ntXent(x as tf.Tensor2D, b, tau))(a);
    assert.ok(grad.dataSync().every(Number.isFinite) && grad.dataSync().some((g) => g !== 0));
    tf.dispose([a, b, loss, scaled, grad]);
  });
});

describe('stable pseudo-labels', () => {
  // Rows are the stored predictions (one per checkpoint), columns the samples.
  const P = [
    [0, 0, 0],
    [0.1, 1, 0],
    [0.1, 0, 0],
  ];

  it('P = [[0,0,0],[.1,1,0],[.1,0,0]]: instability [.05, 1, 0], pseudo-labels [.067, .333, 0]', () => {
    const { instability, pseudoLabels } = stabilityOf(P);
    [0.05, 1, 0].forEach((v, i) => close(instability[i]!, v, 1e-6));
    [0.1 / 1.5, 1 / 3, 0].forEach((v, i) => close(pseudoLabels[i]!, v, 1e-6));
    close(pseudoLabels[0]!, 0.067, 5e-4);
    close(pseudoLabels[1]!, 0.333, 5e-4);
  });

  it('stable keeps the most stable samples; literal keeps s > quantile(1 − keep), the least stable', () => {
    const { instability } = stabilityOf(P);
    assert.deepEqual([...selectSamples(instability, 1 / 3, 'stable')], [2]);
    assert.deepEqual([...selectSamples(instability, 2 / 3, 'stable')], [0, 2]);
    assert.deepEqual([...selectSamples(instability, 1 / 3, 'literal')], [1]);
    // The reference's setting: quantile 0.95 over 100 samples keeps the 5 largest.
    const ramp = Float32Array.from({ length: 100 }, (_, i) => i);
    assert.deepEqual([...selectSamples(ramp, 0.05, 'literal')], [95, 96, 97, 98, 99]);
    assert.deepEqual([...selectSamples(ramp, 0.05, 'stable')], [0, 1, 2, 3, 4]);
    // Ties at the top: the literal rule keeps nothing; the stable one still keeps its share, lower index first.
    assert.deepEqual([...selectSamples(new Float32Array(4), 0.5, 'literal')], []);
    assert.deepEqual([...selectSamples(new Float32Array(4), 0.5, 'stable')], [0, 1]);
  });

  it('quantile interpolates linearly as torch.quantile; one stored prediction is refused', () => {
    close(quantile([0, 1, 2, 3], 0.5), 1.5, 1e-12);
    close(quantile([3, 0, 1], 0.95), 2.8, 1e-12);
    assert.throws(() => stabilityOf([[1, 2]]), /at least two stored predictions/);
  });
});

describe('firstRealStep', () => {
  it('takes each sequence’s first real step (left or right padding); zeros when none; L = 1', () => {
    const x = tf.tensor3d([[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]]);
    const mask = tf.tensor2d([[1, 1, 0], [0, 1, 1], [0, 0, 0]]);
    assert.deepEqual(Array.from(firstRealStep(x, mask).dataSync()), [1, 5, 0]);
    const single = tf.tensor3d([[[2, 3]], [[4, 5]]]);
    assert.deepEqual(Array.from(firstRealStep(single, tf.tensor2d([[1], [0]])).dataSync()), [2, 3, 0, 0]);
    tf.dispose([x, mask, single]);
  });
});
