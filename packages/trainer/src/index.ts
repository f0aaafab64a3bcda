import './builtin-models';

export * from './contract';
export { canonicalJson, coerceConfigValue, configChoice, configNumber, domainOfDatasetName, loadConfigFile, mergeConfig, type ModelConfigFile } from './config';
export type { Batch, DataInfo, LossBreakdown, ModelDefinition, SentimentModel } from './model';
export { getModel, listModels, registerModel, resolveRunConfig, runKey } from './registry';
export { dataInfoOf, trainRun, type TrainOptions } from './train';
export { REFERENCE_SHAPES, benchmarkTrainingStep, randomBenchmarkData, type StepBenchmarkOptions, type StepBenchmarkResult } from './bench';
export { loadCheckpoint, saveCheckpoint, type CheckpointManifest } from './checkpoint';
export { batchIndices, makeBatch, disposeBatch, predictSplit, scoreSplit, type TrainingView } from './data';
export { mulberry32, shuffledOrder } from './random';
export { evaluateCheckpoint, type CheckpointEvaluation } from './evaluate';
export { SOURCE_SEPARATOR, poolSplit, sourceNames, type PooledSplit } from './sources';
