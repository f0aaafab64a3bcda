import { DataError } from './dataset';

/** Domains the synthetic benchmark and the per-dataset configs know by name. */
export const KNOWN_DOMAINS = ['mosi', 'mosei', 'sims'] as const;

/** The parsed form of a dataset name; see `resolveDataset`. */
export type DatasetRef =
  | { kind: 'synthetic'; domain: string; preset: string; name: string }
  | { kind: 'mmsa'; path: string; name: string }
  | { kind: 'named'; alias: string; name: string };

/**
 * Parses `synth:<domain>[:<preset>]`, `mmsa:<path>` or a bare alias defined in a datasets config file.
 * Only the syntax is checked here; existence is checked when the dataset is loaded.
 */
export function parseDatasetName(name: string): DatasetRef {
  const trimmed = name.trim();
  if (trimmed.startsWith('synth:')) {
    const [, domain = '', preset = 'tiny', ...rest] = trimmed.split(':');
    if (!domain || rest.length > 0) {
      throw new DataError(`bad dataset name "${name}": expected synth:<mosi|mosei|sims>[:<tiny|paper|v2>]`);
    }
    return { kind: 'synthetic', domain, preset, name: `synth:${domain}:${preset}` };
  }
  if (trimmed.startsWith('mmsa:')) {
    const path = trimmed.slice('mmsa:'.length);
    if (!path) throw new DataError(`bad dataset name "${name}": expected mmsa:<path to an MMSA .pkl file>`);
    return { kind: 'mmsa', path, name: trimmed };
  }
  if (!/^[A-Za-z][\w.-]*$/.test(trimmed)) {
    throw new DataError(
      `unknown dataset "${name}": use synth:<domain>[:<preset>], mmsa:<path>, or a name from the datasets config`,
    );
  }
  return { kind: 'named', alias: trimmed, name: trimmed };
}

/** Guesses the domain (mosi / mosei / sims / custom) from a file path. */
export function domainFromPath(path: string): string {
  // The segment nearest the file wins: /data/MOSEI/Processed/x.pkl is MOSEI.
  for (const segment of path.toLowerCase().split(/[\\/]/).reverse()) {
    for (const domain of ['mosei', 'sims', 'mosi']) if (segment.includes(domain)) return domain;
  }
  return 'custom';
}
