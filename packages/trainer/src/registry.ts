import type { ConfigRecord, RunSpec } from './contract';
import { domainOfDatasetName, mergeConfig, runKeyOf } from './config';
import type { ModelDefinition } from './model';
import { parseConfig } from './schema';
import { TRAINING_SCHEMA, type TrainingConfig } from './training-config';

const models = new Map<string, ModelDefinition>();

/**
 * Makes models known by name. The app registers its explicit list once (apps/orchestrator/src/models.ts); a
 * package's tests register what they use. Registering the same definition again is a no-op; another definition
 * under a taken name is a programming error.
 */
export function registerModels(definitions: readonly ModelDefinition[]): void {
  for (const definition of definitions) {
    const known = models.get(definition.name);
    if (known && known !== definition) throw new Error(`two different models are registered as "${definition.name}"`);
    models.set(definition.name, definition);
  }
}

export function listModels(): ModelDefinition[] {
  return [...models.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function getModel(name: string): ModelDefinition {
  const definition = models.get(name);
  if (!definition) throw new Error(`unknown model "${name}"; available: ${[...models.keys()].sort().join(', ') || '(none registered)'}`);
  return definition;
}

/** A run with its config merged and checked once: the flat record (what the key hashes) and the trainer's typed view. */
export interface ResolvedRun {
  spec: RunSpec;
  definition: ModelDefinition;
  config: ConfigRecord;
  training: TrainingConfig;
  key: string;
}

export function resolveRun(spec: RunSpec): ResolvedRun {
  const definition = getModel(spec.model);
  const config = mergeConfig(spec.model, definition.schema, definition.config, domainOfDatasetName(spec.source), spec.overrides);
  const training = parseConfig(TRAINING_SCHEMA, pick(config, Object.keys(TRAINING_SCHEMA)), `model ${spec.model}`);
  definition.validate(config);
  return { spec, definition, config, training, key: runKeyOf(spec, config) };
}

function pick(record: ConfigRecord, keys: string[]): ConfigRecord {
  return Object.fromEntries(keys.map((key) => [key, record[key]!]));
}

/** The fully resolved config of a run (what its key hashes). */
export function resolveRunConfig(spec: RunSpec): ConfigRecord {
  return resolveRun(spec).config;
}

export function runKey(spec: RunSpec): string {
  return resolveRun(spec).key;
}
