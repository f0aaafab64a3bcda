export * from './contract';
export { TRAINING_CONFIG_DEFAULTS, canonicalJson, domainOfDatasetName, loadConfigFile, mergeConfig, runKeyOf, type ModelConfigFile } from './config';
export {
  booleanKey,
  checkedValue,
  choiceKey,
  coerceValue,
  keyProblem,
  numberKey,
  parseConfig,
  stringKey,
  variantKeys,
  type ConfigOf,
  type ConfigSchema,
  type BooleanRule,
  type KeyRule,
  type NumberRule,
  type StringRule,
} from './schema';
export { LR_SCHEDULES, TRAINING_SCHEMA, type LrSchedule as LrScheduleName, type TrainingConfig } from './training-config';
export {
  defineModel,
  type AdaptationOutcome,
  type Batch,
  type DataInfo,
  type LossBreakdown,
  type ModelConfig,
  type ModelDefinition,
  type ParameterGroup,
  type SentimentModel,
  type StepContext,
  type TargetInputs,
  type UnlabeledBatch,
  type UnlabeledData,
} from './model';
export { getModel, listModels, registerModels, resolveRun, resolveRunConfig, runKey, type ResolvedRun } from './registry';
export { dataInfoOf, trainRun, trainStep, type TrainOptions } from './train';
export { GroupOptimizer, clipByGlobalNorm, clipByValue, createSchedule, type GradientClipping, type LrSchedule } from './optimizer';
export { FlatAdam, type FlatAdamOptions, type FlatAdamStep } from './flat-adam';
export { REFERENCE_SHAPES, benchmarkTrainingStep, randomBenchmarkData, type StepBenchmarkOptions, type StepBenchmarkResult } from './bench';
export {
  kernelTimesByName,
  measureCall,
  modelOnRandomBatch,
  parseBenchArgs,
  printKernelTimes,
  startStopwatch,
  type BenchArgs,
  type BenchArgSpec,
  type CallTiming,
  type Elapsed,
  type KernelProfile,
  type KernelTotal,
  type ProfiledKernel,
  type RandomBatchModel,
} from './step-timing';
export { loadCheckpoint, saveCheckpoint, type CheckpointManifest } from './checkpoint';
export { batchIndices, groupIdsOf, groupKeyOf, makeBatch, makeUnlabeledBatch, disposeBatch, predictSplit, scoreSplit, scoreTargetSplitWithPredictions, splitPredictionsOf, unlabeledData, VIDEO_SEPARATOR, type ScoredTargetSplit, type TrainingView } from './data';
export { mulberry32, shuffledOrder } from './random';
export { evaluateCheckpoint, type CheckpointEvaluation } from './evaluate';
export { SOURCE_SEPARATOR, poolSplit, sourceNames, type PooledSplit } from './sources';
