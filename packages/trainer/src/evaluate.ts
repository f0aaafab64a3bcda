import { alignTargetToSource, datasetMetricFamily, labelScale, parseModalities, resolveDataset, type DimAlignment, type MetricFamily, type ResolveOptions } from '@midg/features';
import { loadCheckpoint, restoreWeights } from './checkpoint';
import type { MetricRecord } from './contract';
import { scoreTargetSplit } from './data';
import { getModel } from './registry';

export interface CheckpointEvaluation {
  target: string;
  split: 'train' | 'valid' | 'test';
  /** The target's metric family (declared, or from its label range). */
  metricFamily: MetricFamily;
  /** MMSA metrics of the family, with `Majority_acc_2` (the majority-class ACC of the split) after the ACC. */
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
    const metricFamily = datasetMetricFamily(target);
    return { target: targetName, split, metricFamily, metrics: await scoreTargetSplit(model, view, labelScale(target), metricFamily) };
  } finally {
    model.dispose();
  }
}
