import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { LayerNorm } from '@midg/nn';
import { HyperModalityEncoder, HyperModalityLayer, type HyperModalityResult } from './ahl';

before(async () => {
  await useBackend('wasm');
});

const B = 3;
const N = 4;
const DIM = 16;
const random = (seed: number, length = N) => tf.randomNormal([B, length, DIM], 0, 1, 'float32', seed) as tf.Tensor3D;

const tensorsOf = (r: HyperModalityResult): tf.Tensor[] => [r.output, ...Object.values(r.weights)];

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const diff = tf.max(tf.abs(tf.sub(a, b)));
  const value = (await diff.data())[0]!;
  diff.dispose();
  return value;
}

test('AHL with language and audio/vision fixed: AHL(H₁) − AHL(H₂) = LN(H₁) − LN(H₂)', async () => {
  const layer = new HyperModalityLayer({ dim: DIM, heads: 2, headDim: 8, sources: ['a', 'v'], dropout: 0, seed: 3 });
  const norm = new LayerNorm(DIM); // the layer's H norm at initialization (gamma 1, beta 0)
  const [language, audio, vision, h1, h2] = [random(1), random(2, 6), random(3, 5), random(4), random(5)];
  const out1 = layer.forward(language, { a: audio, v: vision }, h1, { training: false });
  const out2 = layer.forward(language, { a: audio, v: vision }, h2, { training: false });
  const lhs = tf.sub(out1.output, out2.output);
  const rhs = tf.sub(norm.forward(h1), norm.forward(h2));
  assert.ok((await maxAbsDiff(lhs, rhs)) < 1e-5, 'H only enters through its own LayerNorm');
  // ... and the shift itself is not zero: audio/vision do contribute.
  assert.ok((await maxAbsDiff(out1.output, norm.forward(h1))) > 1e-3);
  tf.dispose([language, audio, vision, h1, h2, ...tensorsOf(out1), ...tensorsOf(out2), lhs, rhs]);
  norm.dispose();
  layer.dispose();
});

test('AHL attention weights: changing the language changes them, changing H does not', async () => {
  const layer = new HyperModalityLayer({ dim: DIM, heads: 2, headDim: 8, sources: ['a', 'v'], dropout: 0, seed: 4 });
  const [language, otherLanguage, audio, vision, h1, h2] = [random(11), random(12), random(13, 6), random(14, 5), random(15), random(16)];
  const base = layer.forward(language, { a: audio, v: vision }, h1, { training: false });
  const otherH = layer.forward(language, { a: audio, v: vision }, h2, { training: false });
  const otherL = layer.forward(otherLanguage, { a: audio, v: vision }, h1, { training: false });
  for (const m of ['a', 'v'] as const) {
    assert.deepEqual(base.weights[m]!.shape, [B, 2, N, m === 'a' ? 6 : 5]);
    assert.equal(await maxAbsDiff(base.weights[m]!, otherH.weights[m]!), 0, `${m}: H does not steer the attention`);
    assert.ok((await maxAbsDiff(base.weights[m]!, otherL.weights[m]!)) > 1e-4, `${m}: language steers the attention`);
  }
  tf.dispose([language, otherLanguage, audio, vision, h1, h2, ...[base, otherH, otherL].flatMap(tensorsOf)]);
  layer.dispose();
});

test('AHL encoder: layer i reads language state i; audio-only works; no tensor leaks', async () => {
  const encoder = new HyperModalityEncoder({ dim: DIM, depth: 3, heads: 2, headDim: 8, sources: ['a'], dropout: 0, seed: 5 });
  const states = [random(21), random(22), random(23)];
  const [audio, h] = [random(24, 7), random(25)];
  const before = tf.memory().numTensors;
  const out = encoder.forward(states, { a: audio }, h, { training: false });
  assert.equal(tf.memory().numTensors, before + 1, 'only the output survives');
  const changedLast = encoder.forward([states[0]!, states[1]!, random(26)], { a: audio }, h, { training: false });
  assert.ok((await maxAbsDiff(out, changedLast)) > 1e-4, 'the last layer is guided by the last state');
  assert.throws(() => encoder.forward(states.slice(0, 2), { a: audio }, h, { training: false }), /3 layers need as many language states, got 2/);
  assert.throws(() => encoder.forward(states, { v: audio }, h, { training: false }), /missing modality a/);
  tf.dispose([...states, audio, h, out, changedLast]);
  encoder.dispose();
});
