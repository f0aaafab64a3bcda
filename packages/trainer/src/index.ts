import './builtin-models';

export * from './contract';
export { canonicalJson, coerceConfigValue, domainOfDatasetName, loadConfigFile, mergeConfig, type ModelConfigFile } from './config';
export type { Batch, DataInfo, LossBreakdown, ModelDefinition, SentimentModel } from './model';
export { getModel, listModels, registerModel, resolveRunConfig, runKey } from './registry';
