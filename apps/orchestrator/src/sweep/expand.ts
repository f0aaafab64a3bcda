import { getModel, resolveRunConfig, runKey, type ConfigRecord, type ConfigValue, type RunSpec } from '@midg/trainer';
import type { StudySpec, SweepSpec } from './spec';

/** A study block a run belongs to, with the values its grid gave the run (ablations and modalities are not grid). */
export interface StudyMembership {
  study: string;
  grid: Record<string, ConfigValue>;
}

/** One distinct run of a sweep: runs with the same key from several studies are one run with several memberships. */
export interface PlannedRun {
  key: string;
  spec: RunSpec;
  config: ConfigRecord;
  memberships: StudyMembership[];
}

const TYPE_NAMES: Record<string, string> = { number: 'numbers', string: 'strings', boolean: 'booleans' };

function fail(where: string, path: string, message: string): never {
  throw new Error(`${where}: ${path}: ${message}`);
}

/** The key's default for this model and source; an unknown key fails with resolveRunConfig's message (listing the known keys). */
function defaultOf(model: string, source: string, key: string, where: string, path: string): ConfigValue {
  const base = { model, source, target: source, seed: 0 };
  const like = resolveRunConfig({ ...base, overrides: {} })[key];
  if (like !== undefined) return like;
  try {
    resolveRunConfig({ ...base, overrides: { [key]: 0 } });
  } catch (error) {
    fail(where, path, (error as Error).message);
  }
  fail(where, path, `unknown config key "${key}" for model ${model}`);
}

function checkOverrides(record: ConfigRecord, model: string, source: string, where: string, path: string): void {
  for (const [key, value] of Object.entries(record)) {
    const like = defaultOf(model, source, key, where, `${path}.${key}`);
    if (typeof value !== typeof like) fail(where, `${path}.${key}`, `expected a ${typeof like} (model ${model})`);
  }
}

function checkGrid(grid: Record<string, unknown>, model: string, source: string, where: string, path: string): Record<string, ConfigValue[]> {
  const checked: Record<string, ConfigValue[]> = {};
  for (const [key, values] of Object.entries(grid)) {
    const like = defaultOf(model, source, key, where, `${path}.${key}`);
    const ok = Array.isArray(values) && values.length > 0 && values.every((value) => typeof value === typeof like);
    if (!ok) fail(where, `${path}.${key}`, `expected a non-empty list of ${TYPE_NAMES[typeof like]}`);
    checked[key] = values as ConfigValue[];
  }
  return checked;
}

/** Every combination of the grid's values, keys in spec order; one empty combination for no grid. */
export function gridCombinations(grid: Record<string, ConfigValue[]>): Record<string, ConfigValue>[] {
  return Object.entries(grid).reduce<Record<string, ConfigValue>[]>(
    (combos, [key, values]) => combos.flatMap((combo) => values.map((value) => ({ ...combo, [key]: value }))),
    [{}],
  );
}

function checkModels(models: string[], where: string, path: string): void {
  for (const [index, model] of models.entries()) {
    try {
      getModel(model);
    } catch (error) {
      fail(where, `${path}[${index}]`, (error as Error).message);
    }
  }
}

/** The runs of one study in expansion order: models × pairs × grid × ablations × modalities × seeds. */
function expandStudy(sweep: SweepSpec, study: StudySpec, index: number, where: string): { spec: RunSpec; grid: Record<string, ConfigValue> }[] {
  const path = `studies[${index}]`;
  const models = study.models ?? sweep.models;
  const seeds = study.seeds ?? sweep.seeds ?? [];
  if (study.models) checkModels(study.models, where, `${path}.models`);
  for (const [list, key] of [['ablations', 'ablation'], ['modalities', 'modalities']] as const) {
    if (study[list] && key in study.grid) fail(where, `${path}.grid.${key}`, `also given as ${path}.${list}; use one of them`);
  }
  const runs: { spec: RunSpec; grid: Record<string, ConfigValue> }[] = [];
  for (const model of models) {
    for (const { source, target } of study.pairs) {
      checkOverrides(sweep.base, model, source, where, 'base');
      checkOverrides(study.base ?? {}, model, source, where, `${path}.base`);
      const grid = checkGrid(study.grid, model, source, where, `${path}.grid`);
      if (study.ablations) defaultOf(model, source, 'ablation', where, `${path}.ablations`);
      if (study.modalities) defaultOf(model, source, 'modalities', where, `${path}.modalities`);
      for (const combo of gridCombinations(grid)) {
        for (const ablation of study.ablations ?? [undefined]) {
          for (const modalities of study.modalities ?? [undefined]) {
            const overrides: ConfigRecord = {
              ...sweep.base,
              ...study.base,
              ...combo,
              ...(ablation === undefined ? {} : { ablation }),
              ...(modalities === undefined ? {} : { modalities }),
            };
            for (const seed of seeds) runs.push({ spec: { model, source, target, seed, overrides }, grid: combo });
          }
        }
      }
    }
  }
  return runs;
}

/**
 * Expands a checked spec into its distinct runs, in spec order. Every run's overrides go through resolveRunConfig,
 * so a key or value the model does not accept is an error naming where in the spec it came from.
 */
export function expandSweep(sweep: SweepSpec, where: string): PlannedRun[] {
  checkModels(sweep.models, where, 'models');
  const byKey = new Map<string, PlannedRun>();
  for (const [index, study] of sweep.studies.entries()) {
    for (const { spec, grid } of expandStudy(sweep, study, index, where)) {
      let config: ConfigRecord;
      try {
        config = resolveRunConfig(spec);
      } catch (error) {
        fail(where, `studies[${index}]`, `${spec.model} ${spec.source} -> ${spec.target}: ${(error as Error).message}`);
      }
      const key = runKey(spec);
      const run = byKey.get(key) ?? { key, spec, config, memberships: [] };
      if (!run.memberships.some((membership) => membership.study === study.name)) run.memberships.push({ study: study.name, grid });
      byKey.set(key, run);
    }
  }
  return [...byKey.values()];
}
