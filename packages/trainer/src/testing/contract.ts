/**
 * The contract every registered model must keep, as one node:test suite that any package can run against its
 * own models (the app runs it over every registered model, on every installed backend):
 * - `total` equals the configured weighted sum of the logged parts (`lossWeights`);
 * - `predict` ignores labels (NaN labels give the same predictions) and is deterministic in eval mode;
 * - no tensor leaks across training steps;
 * - the same seed gives the same result, another seed does not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { generateSyntheticDomain, type Dataset } from '@midg/features';
import type { ConfigRecord } from '../contract';
import { disposeBatch, makeBatch, type TrainingView } from '../data';
import { dataInfoOf, trainStep } from '../train';
import { GroupOptimizer } from '../optimizer';
import { registerModels, resolveRun } from '../registry';
import type { ModelDefinition, SentimentModel } from '../model';

export interface ContractOptions {
  /** Overrides that keep the model small and quick (merged over its defaults). */
  overrides?: ConfigRecord;
  /** The backend name recorded in the run spec. */
  backend: string;
}

let cached: Dataset | undefined;
function tinyDataset(): Dataset {
  cached ??= generateSyntheticDomain('mosi', { preset: 'tiny' });
  return cached;
}

function build(definition: ModelDefinition, options: ContractOptions, seed: number): { model: SentimentModel; view: TrainingView; optimizer: GroupOptimizer; training: ReturnType<typeof resolveRun>['training'] } {
  const dataset = tinyDataset();
  const { config, training } = resolveRun({ model: definition.name, source: 'synth:mosi:tiny', target: 'synth:mosi:tiny', seed, backend: options.backend, overrides: options.overrides ?? {} });
  const model = definition.create(config, dataInfoOf(dataset), seed);
  const view: TrainingView = { split: dataset.splits.train, modalities: dataset.modalities, labelScale: 3 };
  return { model, view, optimizer: new GroupOptimizer(model, training), training };
}

const rows = (count: number, offset = 0) => Int32Array.from({ length: count }, (_, i) => i + offset);

async function values(tensor: tf.Tensor): Promise<number[]> {
  return Array.from(await tensor.data());
}

/** Trains `steps` steps from a fresh model and returns eval-mode predictions on a fixed batch. */
async function trainedPredictions(definition: ModelDefinition, options: ContractOptions, seed: number, steps: number): Promise<number[]> {
  const { model, view, optimizer, training } = build(definition, options, seed);
  try {
    for (let step = 0; step < steps; step++) {
      tf.dispose(Object.values(trainStep(model, optimizer, view, rows(8, step * 8), { step, epoch: 1, progress: 0 }, training)));
    }
    const batch = makeBatch(view, rows(8, 100));
    const predictions = model.predict(batch);
    const out = await values(predictions);
    tf.dispose(predictions);
    disposeBatch(batch);
    return out;
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

export function modelContractSuite(definition: ModelDefinition, options: ContractOptions): void {
  registerModels([definition]);
  describe(`model contract: ${definition.name} (${options.backend})`, () => {
    it('total equals the weighted sum of the logged parts', async () => {
      const { model, view, optimizer } = build(definition, options, 7);
      try {
        const batch = makeBatch(view, rows(8));
        const { total, parts } = model.losses(batch, { step: 0, epoch: 1, progress: 0 });
        const weights = model.lossWeights();
        assert.ok(Object.keys(weights).length > 0, 'lossWeights names at least one part');
        let expected = 0;
        for (const [name, weight] of Object.entries(weights)) {
          assert.ok(parts[name], `lossWeights names "${name}", which is not a logged part (${Object.keys(parts).join(', ')})`);
          expected += weight * (await values(parts[name]))[0]!;
        }
        const actual = (await values(total))[0]!;
        assert.ok(Number.isFinite(actual), `total is finite (${actual})`);
        assert.ok(Math.abs(actual - expected) <= 1e-5 * Math.max(1, Math.abs(expected)), `total ${actual} = Σ weight·part ${expected}`);
        tf.dispose([total, ...Object.values(parts)]);
        disposeBatch(batch);
      } finally {
        optimizer.dispose();
        model.dispose();
      }
    });

    it('predict ignores labels and is deterministic in eval mode', async () => {
      const { model, view, optimizer } = build(definition, options, 7);
      try {
        const batch = makeBatch(view, rows(8));
        const first = await values(model.predict(batch));
        const nanLabels = { ...batch, labels: tf.fill([8], NaN) as tf.Tensor1D };
        const second = await values(model.predict(nanLabels));
        assert.deepEqual(second, first);
        assert.ok(first.every(Number.isFinite), 'predictions are finite');
        tf.dispose(nanLabels.labels);
        disposeBatch(batch);
      } finally {
        optimizer.dispose();
        model.dispose();
      }
    });

    it('leaks no tensors across training steps', () => {
      const { model, view, optimizer, training } = build(definition, options, 7);
      try {
        const counts: number[] = [];
        for (let step = 0; step < 4; step++) {
          tf.dispose(Object.values(trainStep(model, optimizer, view, rows(8, step * 8), { step, epoch: 1, progress: step / 4 }, training)));
          counts.push(tf.memory().numTensors);
        }
        // Optimizer slots appear at the first step; from the second on the count must stay flat.
        assert.equal(counts[3], counts[1], `tensors after each step: ${counts.join(', ')}`);
      } finally {
        optimizer.dispose();
        model.dispose();
      }
    });

    it('the same seed gives the same result, another seed does not', async () => {
      const a = await trainedPredictions(definition, options, 11, 2);
      const b = await trainedPredictions(definition, options, 11, 2);
      const c = await trainedPredictions(definition, options, 12, 2);
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, c);
    });
  });
}
