import { getModel, type ConfigValue } from '@midg/trainer';
import type { RunGroup } from './grouping';

// Test-time adaptation methods (a model definition with `usesTargetInputs`, e.g. CASP) see unlabeled target inputs
// after source training, so they are not domain generalization: every table marks them and puts them in a row group
// of their own, below the DG methods.

export const TARGET_INPUTS_MARK = 'uses unlabeled target inputs';

/** Whether the registered model adapts on target inputs; unknown names (e.g. an old run's model) count as DG. */
export function usesTargetInputs(model: string): boolean {
  try {
    return getModel(model).usesTargetInputs === true;
  } catch {
    return false;
  }
}

/** The model's name as tables show it: marked when it uses target inputs. */
export function modelLabel(model: string): string {
  return usesTargetInputs(model) ? `${model} (${TARGET_INPUTS_MARK})` : model;
}

/** The row groups' titles in models × pairs tables (used only when both kinds are present). */
export const DG_GROUP_TITLE = 'Domain generalization (no target data)';
export const TARGET_INPUTS_GROUP_TITLE = `Test-time adaptation (${TARGET_INPUTS_MARK})`;

function inputsSeen(adaptOn: ConfigValue | undefined): string {
  if (adaptOn === 'test') return "the target's test-split inputs (adaptOn=test; transductive: the inputs it is then scored on)";
  if (adaptOn === 'train') return "the target's train-split inputs (adaptOn=train)";
  return "the target's inputs";
}

/**
 * What a table says under it about the marked models among `groups`: which target inputs each one adapted on, and
 * that it is grouped apart. Undefined when no such model is in the table.
 */
export function targetInputsNote(groups: RunGroup[], grouped: boolean): string | undefined {
  const marked = groups.filter((group) => usesTargetInputs(group.model));
  if (marked.length === 0) return undefined;
  const byModel = new Map<string, Set<string>>();
  for (const group of marked) byModel.set(group.model, (byModel.get(group.model) ?? new Set()).add(inputsSeen(group.config.adaptOn)));
  const models = [...byModel.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([model, seen]) => `${model} adapted on ${[...seen].sort().join(' or ')}, never on target labels`);
  const placement = grouped ? ' Their rows form a group of their own below the domain-generalization methods; bold marks the best within each group.' : '';
  return `Marked "${TARGET_INPUTS_MARK}": test-time adaptation after source training, not domain generalization: ${models.join('; ')}.${placement}`;
}
