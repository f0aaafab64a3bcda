import { alignTargetToSource, labelScale, parseModalities, resolveDataset, type DimAlignment, type ResolveOptions } from '@midg/features';
import { loadCheckpoint, restoreWeights } from './checkpoint';
import type { MetricRecord } from './contract';
import { scoreSplit } from './data';
import { getModel } from './registry';

export interface CheckpointEvaluation {
  target: string;
  split: 'train' | 'valid' | 'test';
  metrics: MetricRecord;
}

/** Rebuilds a model from its checkpoint and evaluates it on a dataset split (default: the run's target test split). */
export async function evaluateCheckpoint(
  dir: string,
  options: { target?: string; split?: 'train' | 'valid' | 'test'; resolve?: Omit<ResolveOptions, 'modalities'> } = {},
): Promise<CheckpointEvaluation> {
  const { manifest, snapshot } = loadCheckpoint(dir);
  const model = getModel(manifest.spec.model).create(manifest.config, manifest.info, manifest.spec.seed);
  try {
    restoreWeights(model.trainableVariables(), snapshot);
    const targetName = options.target ?? manifest.spec.target;
    const split = options.split ?? 'test';
    const modalities = parseModalities(String(manifest.config.modalities));
    const loaded = resolveDataset(targetName, { ...options.resolve });
    const sourceShape = { ...loaded, name: manifest.spec.source, dims: manifest.info.dims, modalities };
    const target = alignTargetToSource(sourceShape, { ...loaded, modalities }, String(manifest.config.dimAlignment) as DimAlignment);
    const view = { split: target.splits[split], modalities, labelScale: labelScale(target) };
    return { target: targetName, split, metrics: await scoreSplit(model, view, labelScale(target), target.domain) };
  } finally {
    model.dispose();
  }
}
