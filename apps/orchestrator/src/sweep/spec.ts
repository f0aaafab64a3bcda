import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_BACKEND, listBackends } from '@midg/backend';
import { parseDatasetName } from '@midg/features';
import { sourceNames } from '@midg/trainer';
import type { ConfigRecord } from '@midg/trainer';

// A sweep spec file (YAML or JSON; the format is documented in docs/sweeps.md and atop experiments/default.yaml).
// This file checks its shape; expand.ts checks every config key and value against the models' schemas.

export const EXECUTORS = ['local', 'slurm'] as const;
export type ExecutorName = (typeof EXECUTORS)[number];

/** Slurm resources of every task of the sweep's job arrays (docs/cluster.md). */
export interface SlurmResources {
  partition?: string;
  time?: string;
  cpus?: number;
  mem?: string;
  gres?: string;
  account?: string;
  /** Further `#SBATCH` lines, verbatim (e.g. `--qos=short`). */
  extra?: string[];
}

export interface DatasetPair {
  source: string;
  target: string;
}

export interface StudySpec {
  name: string;
  models?: string[];
  seeds?: number[];
  base?: ConfigRecord;
  pairs: DatasetPair[];
  /** Swept keys → their values; the runs take the cartesian product. Values are checked against the key's type later. */
  grid: Record<string, unknown>;
  /** Values of the model's `ablation` key (checked against its schema). */
  ablations?: string[];
  /** Values of the `modalities` key. */
  modalities?: string[];
}

export interface SweepSpec {
  name: string;
  description?: string;
  models: string[];
  seeds?: number[];
  retries: number;
  /** Tensor backend of every run (part of each run key). */
  backend: string;
  executor: ExecutorName;
  slurm: SlurmResources;
  base: ConfigRecord;
  studies: StudySpec[];
}

const nonEmptyList = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item, { error: `expected a non-empty list of ${what}` }).min(1, { error: `expected a non-empty list of ${what}` });

const name = (what: string) =>
  z.string({ error: `expected ${what}` }).regex(/^[\w.-]+$/, { error: `expected ${what} (letters, digits, _ . -)` });

/** A dataset name; `several` also accepts pooled sources `a+b` (only sources can be pooled). */
const datasetName = (several: boolean) =>
  z.string({ error: 'expected a dataset name' }).superRefine((text, ctx) => {
    try {
      for (const name of several ? sourceNames(text) : [text]) parseDatasetName(name);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });

const PAIR_SYNTAX = 'expected "source -> target" or { source: ..., target: ... }';

/** `A -> B` (or `A → B`) into source and target; undefined unless both sides are non-empty. */
export function splitPair(text: string): DatasetPair | undefined {
  const parts = text.split(/->|→/).map((part) => part.trim());
  return parts.length === 2 && parts[0] && parts[1] ? { source: parts[0], target: parts[1] } : undefined;
}

/** `A -> B` (or `A → B`) or `{ source, target }`. */
const pair = z
  .unknown()
  .transform((value, ctx): DatasetPair | typeof z.NEVER => {
    if (typeof value === 'string') {
      const split = splitPair(value);
      if (split) return split;
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      return value as DatasetPair;
    }
    ctx.addIssue({ code: 'custom', message: PAIR_SYNTAX });
    return z.NEVER;
  })
  .pipe(z.strictObject({ source: datasetName(true), target: datasetName(false) }, { error: PAIR_SYNTAX }));

const configValue = z.union([z.number(), z.string(), z.boolean()], { error: 'expected a number, string or boolean' });
const overrides = z.record(z.string(), configValue, { error: 'expected a mapping of config key: value' });
const seeds = nonEmptyList(z.number({ error: 'expected an integer seed' }).int({ error: 'expected an integer seed' }), 'integer seeds');
const models = nonEmptyList(z.string({ error: 'expected a model name' }), 'model names');

const study = z.strictObject(
  {
    name: name('a study name'),
    models: models.optional(),
    seeds: seeds.optional(),
    base: overrides.optional(),
    pairs: nonEmptyList(pair, 'dataset pairs'),
    grid: z.record(z.string(), z.unknown(), { error: 'expected a mapping of config key: [values]' }).default({}),
    ablations: nonEmptyList(z.string({ error: 'expected an ablation name' }), 'ablations').optional(),
    modalities: nonEmptyList(z.string({ error: 'expected modalities such as t, ta or tav' }), 'modality sets').optional(),
  },
  { error: 'expected a study mapping with name and pairs' },
);

const sweep = z.strictObject(
  {
    name: name('a sweep name'),
    description: z.string({ error: 'expected text' }).optional(),
    models: models.default(['midg']),
    seeds: seeds.optional(),
    retries: z.number({ error: 'expected a whole number ≥ 0' }).int({ error: 'expected a whole number ≥ 0' }).min(0, { error: 'expected a whole number ≥ 0' }).default(0),
    backend: z
      .string({ error: 'expected a backend name' })
      .refine((value) => listBackends().some((b) => b.name === value), { error: () => `expected one of ${listBackends().map((b) => b.name).join(', ')}` })
      .default(DEFAULT_BACKEND),
    executor: z.enum(EXECUTORS, { error: `expected one of ${EXECUTORS.join(', ')}` }).default('local'),
    slurm: z
      .strictObject(
        {
          partition: z.string({ error: 'expected a partition name' }).optional(),
          time: z.string({ error: 'expected a time limit such as 02:00:00' }).optional(),
          cpus: z.number({ error: 'expected a whole number ≥ 1' }).int({ error: 'expected a whole number ≥ 1' }).min(1, { error: 'expected a whole number ≥ 1' }).optional(),
          mem: z.string({ error: 'expected memory such as 8G' }).optional(),
          gres: z.string({ error: 'expected a gres such as gpu:1' }).optional(),
          account: z.string({ error: 'expected an account name' }).optional(),
          extra: z.array(z.string({ error: 'expected sbatch options as text' }), { error: 'expected a list of sbatch options' }).optional(),
        },
        { error: 'expected a mapping of slurm resources' },
      )
      .default({}),
    base: overrides.default({}),
    studies: nonEmptyList(study, 'studies'),
  },
  { error: 'expected a mapping with name and studies' },
);

/** `studies[1].grid.alpha` from zod's path. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const [first] = issue.keys;
    const where = formatKeyPath([...issue.path, first!]);
    return `${where}: unknown key${issue.keys.length > 1 ? ` (also ${issue.keys.slice(1).join(', ')})` : ''}`;
  }
  return `${formatKeyPath(issue.path) || '(top level)'}: ${issue.message}`;
}

/** Checks the shape of an already parsed spec; where names the file in the error. */
export function parseSweepSpec(raw: unknown, where: string): SweepSpec {
  const parsed = sweep.safeParse(raw);
  if (!parsed.success) throw new Error(`${where}: ${describeIssue(parsed.error.issues[0]!)}`);
  const spec = parsed.data;
  const studyNames = new Set<string>();
  for (const [index, entry] of spec.studies.entries()) {
    if (studyNames.has(entry.name)) throw new Error(`${where}: studies[${index}].name: duplicate study name "${entry.name}"`);
    studyNames.add(entry.name);
    if (!entry.seeds && !spec.seeds) throw new Error(`${where}: studies[${index}].seeds: no seeds (set seeds at the top or in the study)`);
  }
  return spec;
}

/** Reads and checks a YAML or JSON spec file (JSON is YAML). */
export function loadSweepSpec(file: string): { spec: SweepSpec; raw: unknown } {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    throw new Error(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : message}`);
  }
  return { spec: parseSweepSpec(raw, file), raw };
}
