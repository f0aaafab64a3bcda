import type { ConfigRecord, RunSpec } from './contract';
import { domainOfDatasetName, mergeConfig, runKeyOf } from './config';
import type { ModelDefinition } from './model';

const models = new Map<string, ModelDefinition>();

/** Adds a model under its name; a second registration of the same name is a programming error. */
export function registerModel(definition: ModelDefinition): void {
  if (models.has(definition.name)) throw new Error(`model "${definition.name}" is registered twice`);
  models.set(definition.name, definition);
}

export function listModels(): ModelDefinition[] {
  return [...models.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function getModel(name: string): ModelDefinition {
  const definition = models.get(name);
  if (!definition) throw new Error(`unknown model "${name}"; available: ${[...models.keys()].sort().join(', ')}`);
  return definition;
}

/** The fully resolved config of a run (what its key hashes). */
export function resolveRunConfig(spec: RunSpec): ConfigRecord {
  const definition = getModel(spec.model);
  return mergeConfig(spec.model, definition.config, domainOfDatasetName(spec.source), spec.overrides);
}

export function runKey(spec: RunSpec): string {
  return runKeyOf(spec, resolveRunConfig(spec));
}
