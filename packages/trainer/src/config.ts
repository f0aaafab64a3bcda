import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { domainFromPath, parseDatasetName } from '@midg/features';
import type { ConfigRecord, ConfigValue, RunSpec } from './contract';
import { checkedValue, keyProblem, type ConfigSchema } from './schema';
import { sourceNames } from './sources';
import { TRAINING_SCHEMA } from './training-config';

/** A model's config file: defaults plus per-dataset (source domain) overrides, as in MMSA. */
export interface ModelConfigFile {
  defaults: ConfigRecord;
  datasets: Record<string, ConfigRecord>;
}

function asMapping(value: unknown, where: string): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where} must be a mapping of key: value`);
  return value as Record<string, unknown>;
}

/** Every entry of a config section, each checked against the schema. */
function checkedSection(schema: ConfigSchema, value: unknown, where: string): ConfigRecord {
  const record: ConfigRecord = {};
  for (const [key, entry] of Object.entries(asMapping(value, where))) {
    const problem = keyProblem(schema, key, entry);
    if (problem) throw new Error(`${where}: ${problem}`);
    record[key] = entry as ConfigValue;
  }
  return record;
}

/**
 * Reads a `defaults:` / `datasets:` YAML config file and checks it against `schema`: every key of the schema has a
 * default (the file may also override the training keys), and every dataset section uses known keys and values.
 */
export function loadConfigFile(path: string | URL, schema: ConfigSchema): ModelConfigFile {
  const where = String(path);
  const raw = asMapping(parseYaml(readFileSync(path, 'utf8')), `${where}`);
  const full = { ...TRAINING_SCHEMA, ...schema };
  const defaults = checkedSection(full, raw.defaults, `${where} defaults`);
  const missing = Object.keys(schema).filter((key) => defaults[key] === undefined);
  if (missing.length > 0) throw new Error(`${where} defaults: no default for ${missing.join(', ')}`);
  const datasets: Record<string, ConfigRecord> = {};
  for (const [domain, section] of Object.entries(asMapping(raw.datasets, `${where} datasets`))) {
    datasets[domain] = checkedSection(full, section, `${where} datasets.${domain}`);
  }
  return { defaults, datasets };
}

/** The domain whose per-dataset section applies: the (first) source domain, derived from the dataset name alone. */
export function domainOfDatasetName(name: string): string {
  const ref = parseDatasetName(sourceNames(name)[0]!);
  if (ref.kind === 'synthetic') return ref.domain;
  if (ref.kind === 'mmsa') return domainFromPath(ref.path);
  return domainFromPath(ref.alias);
}

/**
 * Merges training defaults ← model defaults ← the model's section for the source domain ← overrides, checking
 * each override against the schema (strings from `--set` are coerced). Unknown keys and bad values are one error
 * naming the key and what is allowed.
 */
export function mergeConfig(model: string, schema: ConfigSchema, file: ModelConfigFile, sourceDomain: string, overrides: ConfigRecord): ConfigRecord {
  const full = { ...TRAINING_SCHEMA, ...schema };
  const merged: ConfigRecord = { ...TRAINING_CONFIG_DEFAULTS, ...file.defaults, ...(file.datasets[sourceDomain] ?? {}) };
  for (const [key, value] of Object.entries(overrides)) {
    try {
      merged[key] = checkedValue(full, key, value);
    } catch (error) {
      throw new Error(`config for model ${model}: ${(error as Error).message}`);
    }
  }
  return merged;
}

/** Canonical JSON: keys sorted at every level, so equal configs hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The stable key of a run: a hash of model, data, seed, backend and the fully resolved config. */
export function runKeyOf(spec: RunSpec, resolvedConfig: ConfigRecord): string {
  const identity = { model: spec.model, source: spec.source, target: spec.target, seed: spec.seed, backend: spec.backend, config: resolvedConfig };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 16);
}

export const TRAINING_CONFIG: ModelConfigFile = loadConfigFile(new URL('../configs/training.yaml', import.meta.url), TRAINING_SCHEMA);
/** The trainer's defaults (configs/training.yaml). */
export const TRAINING_CONFIG_DEFAULTS: ConfigRecord = TRAINING_CONFIG.defaults;
