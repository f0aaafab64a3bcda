import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DataError, METRIC_FAMILIES, MODALITIES, type Dataset, type MetricFamily, type Modality } from './dataset';
import { cachedMmsaContents, cachedSyntheticDomain, defaultDataCache, selectModalities, type DataCacheOptions } from './cache';
import { mmsaDataset, type MmsaOptions } from './mmsa';
import { parseDatasetName } from './names';
import { DEFAULT_SYNTHETIC_SEED, SYNTHETIC_DOMAINS, SYNTHETIC_PRESETS, type SyntheticDomain, type SyntheticPreset } from './synthetic';

/** One entry of a datasets config file: an alias for a user's MMSA file. */
export interface DatasetAlias {
  path: string;
  /** Names the domain (tables, config sections, domain labels); picks no metrics. */
  domain?: string;
  labelRange?: readonly [number, number];
  /** The metric family; default from the label range ([-1, 1] → sims, [-3, 3] → mosi). */
  metrics?: MetricFamily;
}

const ALIAS_KEYS = ['path', 'domain', 'labelRange', 'metrics'];

export interface ResolveOptions {
  /** Keep only these modalities (modality ablation). Default: all the dataset has. */
  modalities?: Modality[];
  /** Datasets config file; default `$MIDG_DATASETS`, else `./datasets.yaml` when it exists. */
  datasetsConfig?: string;
  /** Seed for synthetic domains (default: the benchmark's fixed seed). */
  syntheticSeed?: number;
  /** Where a loader's warning line goes (default: stderr). */
  warn?: (line: string) => void;
  /** The dataset cache (cache.ts); default defaultDataCache() ($MIDG_DATA_CACHE, else the user's cache dir); false: none. */
  dataCache?: DataCacheOptions | false;
}

/** Parses `t`, `ta`, `tav`, ... into a modality list (order t, a, v). */
export function parseModalities(text: string): Modality[] {
  const letters = [...text.trim()];
  const unknown = letters.filter((letter) => !(MODALITIES as readonly string[]).includes(letter));
  if (letters.length === 0 || unknown.length > 0 || new Set(letters).size !== letters.length) {
    throw new DataError(`bad modalities "${text}": use a non-empty subset of t, a, v such as t, ta or tav`);
  }
  return MODALITIES.filter((m) => letters.includes(m));
}

function defaultDatasetsConfig(): string | undefined {
  if (process.env.MIDG_DATASETS) return process.env.MIDG_DATASETS;
  return existsSync('datasets.yaml') ? 'datasets.yaml' : undefined;
}

/** Reads a datasets config: `alias: { path, domain?, labelRange?, metrics? }`; relative paths are relative to the file. */
export function loadDatasetsConfig(file: string): Record<string, DatasetAlias> {
  if (!existsSync(file)) throw new DataError(`datasets config not found: ${file}`);
  const raw: unknown = parseYaml(readFileSync(file, 'utf8')) ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new DataError(`${file}: expected a mapping of alias: { path: ... }`);
  const aliases: Record<string, DatasetAlias> = {};
  for (const [alias, entry] of Object.entries(raw as Record<string, unknown>)) {
    if (entry !== null && entry !== undefined && (typeof entry !== 'object' || Array.isArray(entry))) {
      throw new DataError(`${file}: ${alias} must be a mapping { path, domain?, labelRange?, metrics? }`);
    }
    const unknown = Object.keys(entry ?? {}).filter((key) => !ALIAS_KEYS.includes(key));
    if (unknown.length > 0) throw new DataError(`${file}: ${alias} has unknown key ${unknown.map((key) => `"${key}"`).join(', ')} (known: ${ALIAS_KEYS.join(', ')})`);
    const { path, domain, labelRange, metrics } = (entry ?? {}) as { path?: unknown; domain?: unknown; labelRange?: unknown; metrics?: unknown };
    if (typeof path !== 'string' || path === '') throw new DataError(`${file}: ${alias}.path must be a file path`);
    if (domain !== undefined && typeof domain !== 'string') throw new DataError(`${file}: ${alias}.domain must be a string`);
    const range = labelRange === undefined ? undefined : labelRange;
    if (range !== undefined && !(Array.isArray(range) && range.length === 2 && range.every(Number.isFinite) && range[0] < range[1])) {
      throw new DataError(`${file}: ${alias}.labelRange must be [min, max]`);
    }
    if (metrics !== undefined && !(METRIC_FAMILIES as readonly unknown[]).includes(metrics)) {
      throw new DataError(`${file}: ${alias}.metrics must be mosi (the MOSI/MOSEI metrics) or sims (the CH-SIMS metrics), not ${JSON.stringify(metrics)}`);
    }
    aliases[alias] = {
      path: isAbsolute(path) ? path : resolvePath(dirname(file), path),
      ...(domain ? { domain } : {}),
      ...(range ? { labelRange: [range[0] as number, range[1] as number] as const } : {}),
      ...(metrics !== undefined ? { metrics: metrics as MetricFamily } : {}),
    };
  }
  return aliases;
}

/** Loads an MMSA file through the dataset cache: only the parse is cached; the options apply on every load. */
function loadMmsaCached(path: string, options: MmsaOptions, cache: DataCacheOptions | undefined): Dataset {
  return mmsaDataset(cachedMmsaContents(path, cache).contents, path, options);
}

/** The one place dataset names become datasets: `synth:<domain>[:<preset>]`, `mmsa:<path>`, or a configured alias. */
export function resolveDataset(name: string, options: ResolveOptions = {}): Dataset {
  const ref = parseDatasetName(name);
  const modalities = options.modalities;
  const cache = options.dataCache === false ? undefined : (options.dataCache ?? defaultDataCache());
  switch (ref.kind) {
    case 'synthetic': {
      if (!(SYNTHETIC_DOMAINS as readonly string[]).includes(ref.domain)) {
        throw new DataError(`unknown synthetic domain "${ref.domain}" in "${name}"; choose one of: ${SYNTHETIC_DOMAINS.join(', ')}`);
      }
      if (!(ref.preset in SYNTHETIC_PRESETS)) {
        throw new DataError(`unknown synthetic preset "${ref.preset}" in "${name}"; choose one of: ${Object.keys(SYNTHETIC_PRESETS).join(', ')}`);
      }
      // Every modality is generated from its own stream, so a subset of the cached domain is the subset generated alone.
      const key = { domain: ref.domain as SyntheticDomain, preset: ref.preset as SyntheticPreset, seed: options.syntheticSeed ?? DEFAULT_SYNTHETIC_SEED };
      const { dataset } = cachedSyntheticDomain(key, cache);
      return modalities ? selectModalities(dataset, modalities) : dataset;
    }
    case 'mmsa':
      return loadMmsaCached(ref.path, { name: ref.name, ...(modalities ? { modalities } : {}), ...(options.warn ? { warn: options.warn } : {}) }, cache);
    case 'named': {
      const file = options.datasetsConfig ?? defaultDatasetsConfig();
      const aliases = file ? loadDatasetsConfig(file) : {};
      const alias = aliases[ref.alias];
      if (!alias) {
        const where = file ? `the datasets config ${file} (known: ${Object.keys(aliases).join(', ') || 'none'})` : 'any datasets config (pass --datasets <file> or set MIDG_DATASETS)';
        throw new DataError(`unknown dataset "${name}": not defined in ${where}`);
      }
      const mmsaOptions: MmsaOptions = {
        name: ref.name,
        ...(alias.domain ? { domain: alias.domain } : {}),
        ...(alias.labelRange ? { labelRange: alias.labelRange } : {}),
        ...(alias.metrics ? { metrics: alias.metrics } : {}),
        ...(modalities ? { modalities } : {}),
        ...(options.warn ? { warn: options.warn } : {}),
      };
      return loadMmsaCached(alias.path, mmsaOptions, cache);
    }
  }
}
