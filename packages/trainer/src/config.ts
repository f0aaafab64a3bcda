import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { domainFromPath, parseDatasetName } from '@midg/features';
import type { ConfigRecord, ConfigValue, RunSpec } from './contract';
import { sourceNames } from './sources';

/** A model's config file: defaults plus per-dataset (source domain) overrides, as in MMSA. */
export interface ModelConfigFile {
  defaults: ConfigRecord;
  datasets: Record<string, ConfigRecord>;
}

function isConfigValue(value: unknown): value is ConfigValue {
  return typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean';
}

function asConfigRecord(value: unknown, where: string): ConfigRecord {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where} must be a mapping of key: value`);
  const record: ConfigRecord = {};
  for (const [key, entry] of Object.entries(value)) {
    if (!isConfigValue(entry)) throw new Error(`${where}.${key} must be a number, string or boolean`);
    record[key] = entry;
  }
  return record;
}

/** Reads a `defaults:` / `datasets:` YAML config file. */
export function loadConfigFile(path: string | URL): ModelConfigFile {
  const where = String(path);
  const raw: unknown = parseYaml(readFileSync(path, 'utf8'));
  if (typeof raw !== 'object' || raw === null) throw new Error(`${where}: expected defaults: and datasets: sections`);
  const { defaults, datasets } = raw as { defaults?: unknown; datasets?: unknown };
  const perDataset: Record<string, ConfigRecord> = {};
  for (const [domain, section] of Object.entries(asConfigRecordMap(datasets, `${where} datasets`))) {
    perDataset[domain] = asConfigRecord(section, `${where} datasets.${domain}`);
  }
  return { defaults: asConfigRecord(defaults, `${where} defaults`), datasets: perDataset };
}

function asConfigRecordMap(value: unknown, where: string): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where} must be a mapping`);
  return value as Record<string, unknown>;
}

export const TRAINING_CONFIG: ModelConfigFile = loadConfigFile(new URL('../configs/training.yaml', import.meta.url));

/** The domain whose per-dataset section applies: the (first) source domain, derived from the dataset name alone. */
export function domainOfDatasetName(name: string): string {
  const ref = parseDatasetName(sourceNames(name)[0]!);
  if (ref.kind === 'synthetic') return ref.domain;
  if (ref.kind === 'mmsa') return domainFromPath(ref.path);
  return domainFromPath(ref.alias);
}

/** Converts a `--set key=value` string to the type of the key's default. */
export function coerceConfigValue(key: string, text: string, like: ConfigValue): ConfigValue {
  if (typeof like === 'number') {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) throw new Error(`config key "${key}" needs a number, got "${text}"`);
    return value;
  }
  if (typeof like === 'boolean') {
    if (text === 'true' || text === 'false') return text === 'true';
    throw new Error(`config key "${key}" needs true or false, got "${text}"`);
  }
  return text;
}

/**
 * Merges training defaults ← model defaults ← model's section for the source domain ← overrides.
 * Unknown keys and wrongly typed values are errors naming the key.
 */
export function mergeConfig(model: string, file: ModelConfigFile, sourceDomain: string, overrides: ConfigRecord): ConfigRecord {
  const base: ConfigRecord = { ...TRAINING_CONFIG.defaults, ...file.defaults };
  const merged: ConfigRecord = { ...base };
  // A per-dataset section may only override known keys with values of the same type (a typo is an error, not a no-op).
  for (const [key, value] of Object.entries(file.datasets[sourceDomain] ?? {})) {
    if (base[key] === undefined) throw new Error(`config for model ${model}, dataset section "${sourceDomain}": unknown key "${key}"`);
    if (typeof value !== typeof base[key]) {
      throw new Error(`config for model ${model}, dataset section "${sourceDomain}": "${key}" needs a ${typeof base[key]}, got ${JSON.stringify(value)}`);
    }
    merged[key] = value;
  }
  for (const [key, value] of Object.entries(overrides)) {
    const like = base[key];
    if (like === undefined) {
      throw new Error(`unknown config key "${key}" for model ${model}; known keys: ${Object.keys(base).sort().join(', ')}`);
    }
    merged[key] = typeof value === 'string' && typeof like !== 'string' ? coerceConfigValue(key, value, like) : value;
    if (typeof merged[key] !== typeof like) {
      throw new Error(`config key "${key}" for model ${model} needs a ${typeof like}, got ${JSON.stringify(value)}`);
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

/** The stable key of a run: a hash of model, data, seed and the fully resolved config. */
export function runKeyOf(spec: RunSpec, resolvedConfig: ConfigRecord): string {
  const identity = { model: spec.model, source: spec.source, target: spec.target, seed: spec.seed, config: resolvedConfig };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 16);
}

/** A numeric config value within [min, max] (integer when asked); anything else is one clear error naming the key. */
export function configNumber(config: ConfigRecord, key: string, range: { min?: number; max?: number; integer?: boolean } = {}): number {
  const { min = -Infinity, max = Infinity, integer = false } = range;
  const value = config[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'a whole number' : 'a number';
    throw new Error(`config key "${key}" must be ${kind} in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A config value that must be one of `choices`. */
export function configChoice<T extends string>(config: ConfigRecord, key: string, choices: readonly T[]): T {
  const value = config[key];
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new Error(`config key "${key}" must be one of ${choices.join(' | ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}
