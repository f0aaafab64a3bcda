import { canonicalJson, type ConfigRecord, type ConfigValue } from '@midg/trainer';
import type { RunRecord, SweepMember } from '../db';
import { usesTargetInputs } from './target-inputs';
import { variantOf, type VariantKey } from './variants';

// Which runs form a cell or a row: runs grouped by setting, the setting model selection picks, and row order.

/** Runs of one model on one pair with one resolved config: the seeds of one setting. */
export interface RunGroup {
  model: string;
  source: string;
  target: string;
  config: ConfigRecord;
  runs: RunRecord[];
}

export function isDone(run: RunRecord): boolean {
  return run.status === 'done';
}

export function uniqueRuns(members: SweepMember[]): RunRecord[] {
  return [...new Map(members.map((member) => [member.run.id, member.run])).values()];
}

export function groupByConfig(runs: RunRecord[]): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  for (const run of runs) {
    const id = canonicalJson([run.model, run.source, run.target, run.config]);
    const group = groups.get(id) ?? { model: run.model, source: run.source, target: run.target, config: run.config, runs: [] };
    group.runs.push(run);
    groups.set(id, group);
  }
  return [...groups.values()];
}

export function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(keyOf(item), [...(out.get(keyOf(item)) ?? []), item]);
  return out;
}

export function pairId(source: string, target: string): string {
  return JSON.stringify([source, target]);
}

/** Mean source-validation MAE over a group's finished seeds (the training-domain model-selection score). */
export function meanValidMae(runs: RunRecord[]): number | undefined {
  const values = runs.filter(isDone).map((run) => run.valid.MAE).filter((value): value is number => value !== undefined && Number.isFinite(value));
  return values.length === 0 ? undefined : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** The group with the lowest mean source-validation MAE; groups without a finished run cannot be chosen. */
export function selectByValidMae(groups: RunGroup[]): RunGroup | undefined {
  let best: { group: RunGroup; mae: number } | undefined;
  for (const group of groups) {
    const mae = meanValidMae(group.runs);
    if (mae !== undefined && (best === undefined || mae < best.mae)) best = { group, mae };
  }
  return best?.group;
}

/**
 * Among the configs of one model and pair, the set that differs only in the variant's key, covering the most values
 * of it (then the most finished runs): an ablation row compares like with like.
 */
export function comparableSet(groups: RunGroup[], variant: VariantKey): Map<string, RunGroup> {
  const families = groupBy(groups, (group) => canonicalJson({ ...group.config, [variant.key]: null }));
  let best: { members: RunGroup[]; covered: number; done: number } | undefined;
  for (const members of families.values()) {
    const covered = members.filter((group) => group.runs.some(isDone)).length;
    const done = members.reduce((sum, group) => sum + group.runs.filter(isDone).length, 0);
    if (!best || covered > best.covered || (covered === best.covered && done > best.done)) best = { members, covered, done };
  }
  return new Map((best?.members ?? []).map((group) => [variantOf(variant, group.config), group]));
}

/** This toolkit's own methods: MIDG as the paper has it, and midg-dg (docs/method.md). */
const PROPOSED = new Set(['midg', 'midg-dg']);

export function modelOrder(a: string, b: string): number {
  // Methods that use target inputs come after every DG method (their own row group); among the DG methods the
  // proposed ones (midg, then midg-dg) go last, as in the paper.
  if (usesTargetInputs(a) !== usesTargetInputs(b)) return usesTargetInputs(a) ? 1 : -1;
  if (PROPOSED.has(a) !== PROPOSED.has(b)) return PROPOSED.has(a) ? 1 : -1;
  return a.localeCompare(b);
}

export function compareValues(a: ConfigValue, b: ConfigValue): number {
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
}
