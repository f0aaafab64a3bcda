import type { SweepMember } from '../db';
import { cellOf, columnsGroup, emptyCell, markBestPerColumn, splitCell } from './cells';
import { groupBy, groupByConfig, meanValidMae, modelOrder, pairId, selectByValidMae, uniqueRuns, type RunGroup } from './grouping';
import type { HeadlineColumn } from './headline';
import { datasetLabeler, pairLabelOf } from './labels';
import type { ResultTable, TableBlock, TableRow } from './model';
import { NotesCollector, distinguishingSettings } from './notes';
import { DG_GROUP_TITLE, TARGET_INPUTS_GROUP_TITLE, modelLabel, targetInputsNote, usesTargetInputs } from './target-inputs';
import { isBaselineConfig } from './variants';

// Table 1: methods × cross-domain pairs. Table 3 (in-domain) has the same layout and is built here too.

/**
 * Models × pairs of one kind (cross-domain for Table 1, in-domain for Table 3): unablated, all modalities.
 * Where a model has several configs on a pair, the one with the best mean source-validation MAE is shown.
 */
export function buildModelsByPairs(
  members: SweepMember[],
  options: { name: string; title: string; crossDomain: boolean; columns: readonly HeadlineColumn[]; sweep: string },
): ResultTable | undefined {
  const runs = uniqueRuns(members).filter((run) => (run.source !== run.target) === options.crossDomain && isBaselineConfig(run.config, run.model));
  if (runs.length === 0) return undefined;
  const notes = new NotesCollector();
  notes.use(runs);
  const label = datasetLabeler(runs.flatMap((run) => [run.source, run.target]));
  // Every pair here is cross-domain (source ≠ target) or every one in-domain, as options.crossDomain says.
  const pairLabel = (source: string, target: string): string => pairLabelOf(label, source, target);
  const groups = groupByConfig(runs);
  const byModelPair = groupBy(groups, (group) => JSON.stringify([group.model, group.source, group.target]));

  const chosen = new Map<string, RunGroup>();
  let selected = false;
  for (const [id, candidates] of byModelPair) {
    const [model, source, target] = JSON.parse(id) as [string, string, string];
    const what = `${model} ${pairLabel(source, target)}`;
    const group = selectByValidMae(candidates);
    if (!group) {
      notes.missingRuns(what, candidates.flatMap((candidate) => candidate.runs));
      continue;
    }
    chosen.set(id, group);
    notes.missingRuns(what, group.runs);
    const finished = candidates.filter((candidate) => meanValidMae(candidate.runs) !== undefined);
    if (finished.length > 1) {
      selected = true;
      notes.selections.push(
        `${what}: ${finished.length} configurations; shown ${distinguishingSettings(group, finished)} (mean source-validation MAE ${meanValidMae(group.runs)!.toFixed(4)}).`,
      );
    }
  }

  const pairs = [...new Map(runs.map((run) => [pairId(run.source, run.target), [run.source, run.target] as const])).values()]
    // Pairs keep the order the sweep spec lists them in (the paper's column order when the spec follows it).
    .filter(([source, target]) => [...chosen.values()].some((group) => group.source === source && group.target === target));
  const models = [...new Set([...chosen.values()].map((group) => group.model))].sort(modelOrder);
  const rowsOf = (group: string[]): TableRow[] => {
    const rows = group.map((model) => ({
      key: model,
      labels: [modelLabel(model)],
      cells: pairs.flatMap(([source, target]) => {
        const chosenGroup = chosen.get(JSON.stringify([model, source, target]));
        return splitCell(chosenGroup ? cellOf(chosenGroup.runs, options.columns) : emptyCell(options.columns));
      }),
    }));
    markBestPerColumn(rows);
    return rows;
  };
  // Methods that saw target inputs are a row group of their own, below the DG methods, with their own best marks.
  const adapting = models.filter(usesTargetInputs);
  const generalizing = models.filter((model) => !usesTargetInputs(model));
  const grouped = adapting.length > 0 && generalizing.length > 0;
  const columnGroups = pairs.map(([source, target]) => columnsGroup(pairLabel(source, target), options.columns));
  const blocks: TableBlock[] = [
    ...(generalizing.length > 0
      ? [{ ...(grouped ? { title: DG_GROUP_TITLE } : {}), rowGroup: 'methods', rowHeader: ['Method'], groups: columnGroups, rows: rowsOf(generalizing) }]
      : []),
    ...(adapting.length > 0 ? [{ title: TARGET_INPUTS_GROUP_TITLE, rowGroup: 'methods', rowHeader: ['Method'], groups: columnGroups, rows: rowsOf(adapting) }] : []),
  ];
  const caption = selected
    ? 'Where a method has several configurations for a pair, the one with the best mean source-validation MAE is shown (training-domain validation, as in DomainBed).'
    : undefined;
  const targetNote = targetInputsNote([...chosen.values()], grouped);
  return {
    name: options.name,
    title: `${options.title} (sweep ${options.sweep})`,
    ...(caption ? { caption } : {}),
    blocks,
    notes: [...(targetNote ? [targetNote] : []), ...notes.notes(options.columns)],
  };
}

const TABLE1_COLUMNS = ['ACC', 'F1', 'MAE'] as const;

export function buildTable1(members: SweepMember[], sweep: string): ResultTable | undefined {
  return buildModelsByPairs(members, {
    name: 'table1',
    title: 'Table 1: Domain generalization, target test metrics',
    crossDomain: true,
    columns: TABLE1_COLUMNS,
    sweep,
  });
}
