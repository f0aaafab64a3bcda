/**
 * Trainable parameter counts of models at the bench's reference input (text 50×768, audio 50×74, vision 50×35):
 * the numbers the PyTorch mirrors in tools/bench/torch/ check theirs against.
 *
 *   npx tsx apps/orchestrator/bench/param-counts.ts <model> [key=value ...]     e.g. late-fusion hiddenDim=64
 *
 * Prints one JSON object: model, config overrides, tensors, values (and per-tensor shapes with --shapes).
 */
import { useBackend } from '@midg/backend';
import { REFERENCE_SHAPES, randomBenchmarkData, resolveRun, type ConfigRecord } from '@midg/trainer';
import '../src/models';

const [model, ...rest] = process.argv.slice(2);
if (!model) throw new Error('usage: param-counts.ts <model> [key=value ...] [--shapes]');
const overrides: ConfigRecord = {};
const showShapes = rest.includes('--shapes');
for (const pair of rest.filter((arg) => arg !== '--shapes')) {
  const [key, value] = pair.split('=');
  if (!key || value === undefined) throw new Error(`param-counts: expected key=value, got "${pair}"`);
  overrides[key] = value;
}
await useBackend('wasm', { threads: 1 });
const { definition, config } = resolveRun({ model, source: 'synth:mosi', target: 'synth:mosi', seed: 1, backend: 'wasm', overrides });
const { info } = randomBenchmarkData(REFERENCE_SHAPES, 2);
const instance = definition.create({ ...config, modalities: 'tav' }, info, 1);
const variables = instance.trainableVariables();
const result = {
  model,
  overrides,
  tensors: variables.length,
  values: variables.reduce((sum, v) => sum + v.size, 0),
  ...(showShapes ? { shapes: variables.map((v) => v.shape) } : {}),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
instance.dispose();
