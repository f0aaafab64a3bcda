/**
 * What each part of MIDG costs on its own, forward + backward, at the reference size (batch 32; text 50×768,
 * audio 50×74, vision 50×35; d = 64, 4 heads, K = 4): the multimodal encoder, the decoupler, one MoIE pass (a
 * step runs two, plus the discriminator) and the Cross-Modal Adapter, each on fixed random inputs, with the
 * gradient of a scalar of its output with respect to its own weights. CPU time per call (best of 5 rounds of 10,
 * process.cpuUsage) and the kernels one call runs. Prints figures; not a test.
 *
 *   cd packages/midg && node --import tsx bench/part-profile.ts
 */
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '@midg/backend';
import { CrossModalAdapter } from '@midg/adapter';
import { EntropyDecoupler } from '@midg/decoupling';
import { MixtureOfInvariantExperts } from '@midg/moie';
import { MultimodalEncoder } from '@midg/nn';
import { REFERENCE_SHAPES, makeBatch, randomBenchmarkData, startStopwatch } from '@midg/trainer';

await useBackend('wasm', { threads: 1 });
const { view, indices } = randomBenchmarkData(REFERENCE_SHAPES, 32);
const batch = makeBatch(view, indices);
const training = { training: true };
const encoder = new MultimodalEncoder({ dims: { t: 768, a: 74, v: 35 }, hiddenDim: 64, dropout: 0.1, seed: 1 });
const decoupler = new EntropyDecoupler({ modalities: ['t', 'a', 'v'], inputDim: 64, estimator: 'club', seed: 2 });
const moie = new MixtureOfInvariantExperts({ inputDim: 192, hiddenDim: 64, experts: 4, seed: 3 });
const adapter = new CrossModalAdapter({ modalities: ['t', 'a', 'v'], dim: 64, heads: 4, seed: 4 });
const encoded = tf.tidy(() => encoder.forward(batch.features, batch.masks, { training: false }));
const fused = tf.randomNormal([32, 192], 0, 1, 'float32', 5) as tf.Tensor2D;

const parts: [string, () => tf.Scalar, tf.Variable[]][] = [
  ['encoder', () => tf.addN(Object.values(encoder.forward(batch.features, batch.masks, training)).map((x) => tf.sum(x))) as tf.Scalar, encoder.trainableVariables()],
  ['decoupler', () => decoupler.forward(encoded, training).loss, decoupler.trainableVariables()],
  ['MoIE (one pass)', () => tf.sum(moie.forward(fused, training).prediction) as tf.Scalar, moie.trainableVariables()],
  ['adapter', () => tf.sum(adapter.forward(encoded, training).prediction) as tf.Scalar, adapter.trainableVariables()],
];
console.log('MIDG parts, forward + backward, wasm 1 thread, batch 32, d = 64, 4 heads, K = 4');
for (const [name, loss, variables] of parts) {
  const call = () => tf.tidy(() => void tf.variableGrads(loss, variables));
  for (let i = 0; i < 5; i++) call();
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const elapsed = startStopwatch();
    for (let i = 0; i < 10; i++) call();
    best = Math.min(best, elapsed().cpuMs / 10);
  }
  const kernels = (await tf.profile(call)).kernels.length;
  console.log(`${name.padEnd(16)} ${best.toFixed(1).padStart(6)} CPU ms  ${String(kernels).padStart(5)} kernels`);
}
