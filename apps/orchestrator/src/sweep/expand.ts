import { TRAINING_SCHEMA, checkedValue, getModel, keyProblem, resolveRun, type ConfigRecord, type ConfigSchema, type ConfigValue, type ResolvedRun, type RunSpec } from '@midg/trainer';
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

function fail(where: string, path: string, message: string): never {
  throw new Error(`${where}: ${path}: ${message}`);
}

/** The trainer's keys and the model's own: what a spec may set for this model. */
function schemaOf(model: string): ConfigSchema {
  return { ...TRAINING_SCHEMA, ...getModel(model).schema };
}

function checkValue(schema: ConfigSchema, key: string, value: unknown, model: string, where: string, path: string): ConfigValue {
  const problem = keyProblem(schema, key, value);
  if (problem) fail(where, path, `${problem} (model ${model})`);
  return checkedValue(schema, key, value);
}

function checkOverrides(record: ConfigRecord, model: string, where: string, path: string): void {
  const schema = schemaOf(model);
  for (const [key, value] of Object.entries(record)) checkValue(schema, key, value, model, where, `${path}.${key}`);
}

function checkGrid(grid: Record<string, unknown>, model: string, where: string, path: string): Record<string, ConfigValue[]> {
  const schema = schemaOf(model);
  const checked: Record<string, ConfigValue[]> = {};
  for (const [key, values] of Object.entries(grid)) {
    if (!schema[key]) fail(where, `${path}.${key}`, `${keyProblem(schema, key, undefined)} (model ${model})`);
    if (!Array.isArray(values) || values.length === 0) fail(where, `${path}.${key}`, `expected a non-empty list of values for "${key}"`);
    checked[key] = values.map((value, index) => checkValue(schema, key, value, model, where, `${path}.${key}[${index}]`));
  }
  return checked;
}

/** A study's `ablations:` / `modalities:` lists are values of one key each, checked like grid values. */
function checkVariantList(values: string[] | undefined, key: string, model: string, where: string, path: string): string[] | undefined {
  if (!values) return undefined;
  const schema = schemaOf(model);
  return values.map((value, index) => String(checkValue(schema, key, value, model, where, `${path}[${index}]`)));
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
    checkOverrides(sweep.base, model, where, 'base');
    checkOverrides(study.base ?? {}, model, where, `${path}.base`);
    const grid = checkGrid(study.grid, model, where, `${path}.grid`);
    const ablations = checkVariantList(study.ablations, 'ablation', model, where, `${path}.ablations`);
    const modalitySets = checkVariantList(study.modalities, 'modalities', model, where, `${path}.modalities`);
    for (const { source, target } of study.pairs) {
      for (const combo of gridCombinations(grid)) {
        for (const ablation of ablations ?? [undefined]) {
          for (const modalities of modalitySets ?? [undefined]) {
            const overrides: ConfigRecord = {
              ...sweep.base,
              ...study.base,
              ...combo,
              ...(ablation === undefined ? {} : { ablation }),
              ...(modalities === undefined ? {} : { modalities }),
            };
            for (const seed of seeds) runs.push({ spec: { model, source, target, seed, backend: sweep.backend, overrides }, grid: combo });
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
      let resolved: ResolvedRun;
      try {
        resolved = resolveRun(spec);
      } catch (error) {
        fail(where, `studies[${index}]`, `${spec.model} ${spec.source} -> ${spec.target}: ${(error as Error).message}`);
      }
      const { key, config } = resolved;
      const run = byKey.get(key) ?? { key, spec, config, memberships: [] };
      if (!run.memberships.some((membership) => membership.study === study.name)) run.memberships.push({ study: study.name, grid });
      byKey.set(key, run);
    }
  }
  return [...byKey.values()];
}
