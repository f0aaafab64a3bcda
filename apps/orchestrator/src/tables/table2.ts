import type { RunRecord, SweepMember } from '../db';
import { TABLE23_COLUMNS, cellOf, columnsGroup, emptyCell, markBestPerColumn, splitCell } from './cells';
import { comparableSet, groupBy, groupByConfig, modelOrder, pairId, uniqueRuns, type RunGroup } from './grouping';
import { datasetLabeler, pairLabelOf } from './labels';
import type { ResultTable, TableBlock, TableRow } from './model';
import { NotesCollector } from './notes';
import { modelLabel, targetInputsNote } from './target-inputs';
import { ABLATION, MODALITIES, variantOf, type VariantKey } from './variants';

// Table 2: ablations. A block per model and variant key, rows the key's settings, columns the pairs that vary it.

const MODALITY_ROWS: { value: string; label: string }[] = [
  { value: 't', label: 'Text' },
  { value: 'a', label: 'Audio' },
  { value: 'v', label: 'Vision' },
  { value: 'ta', label: 'Text+Audio' },
  { value: 'tv', label: 'Text+Vision' },
  { value: 'av', label: 'Audio+Vision' },
  { value: 'tav', label: 'Text+Audio+Vision' },
];
/** Table 2's order: both modules removed first, the full model last. */
const ABLATION_ROWS: { value: string; moie: boolean; adapter: boolean }[] = [
  { value: 'no-moie-no-adapter', moie: false, adapter: false },
  { value: 'no-moie', moie: false, adapter: true },
  { value: 'no-adapter', moie: true, adapter: false },
  { value: 'none', moie: true, adapter: true },
];
const TICK = '✓';
const CROSS = '✗';

/** One block per model: rows are the settings of the variant's key, columns the pairs that vary it. */
function buildVariantBlocks(
  runs: RunRecord[],
  variant: VariantKey,
  rowsSpec: { value: string; labels: string[] }[],
  rowHeader: string[],
  notes: NotesCollector,
  label: (name: string) => string,
  shown: RunGroup[],
): TableBlock[] {
  const { key, baseline } = variant;
  const blocks: TableBlock[] = [];
  const byModel = groupBy(groupByConfig(runs), (group) => group.model);
  for (const model of [...byModel.keys()].sort(modelOrder)) {
    const byPair = groupBy(byModel.get(model)!, (group) => pairId(group.source, group.target));
    const pairs: { label: string; variants: Map<string, RunGroup> }[] = [];
    for (const groups of byPair.values()) {
      // Only pairs where the key was actually varied.
      if (!groups.some((group) => variantOf(variant, group.config) !== baseline)) continue;
      const { source, target } = groups[0]!;
      pairs.push({ label: pairLabelOf(label, source, target), variants: comparableSet(groups, variant) });
    }
    if (pairs.length === 0) continue;
    pairs.sort((a, b) => a.label.localeCompare(b.label));
    const present = rowsSpec.filter((row) => pairs.some((pair) => pair.variants.has(row.value)));
    const rows: TableRow[] = present.map((row) => ({
      key: row.value,
      labels: row.labels,
      cells: pairs.flatMap((pair) => {
        const group = pair.variants.get(row.value);
        if (!group) return splitCell(emptyCell(TABLE23_COLUMNS));
        notes.use(group.runs);
        shown.push(group);
        notes.missingRuns(`${model} ${pair.label} ${key}=${row.value}`, group.runs);
        return splitCell(cellOf(group.runs, TABLE23_COLUMNS));
      }),
    }));
    for (const pair of pairs) {
      const absent = present.filter((row) => !pair.variants.has(row.value)).map((row) => row.value);
      if (absent.length > 0) notes.missing.push(`${model} ${pair.label}: no runs with ${key} ${absent.join(', ')} (comparable to the other rows).`);
    }
    markBestPerColumn(rows);
    blocks.push({
      title: `${variant.title} — ${modelLabel(model)}`,
      rowHeader,
      groups: pairs.map((pair) => columnsGroup(pair.label, TABLE23_COLUMNS)),
      rows,
    });
  }
  return blocks;
}

export function buildTable2(members: SweepMember[], sweep: string): ResultTable | undefined {
  const runs = uniqueRuns(members);
  const label = datasetLabeler(runs.flatMap((run) => [run.source, run.target]));
  const notes = new NotesCollector();
  const shown: RunGroup[] = [];
  const ablationBlocks = buildVariantBlocks(
    runs.filter((run) => variantOf(MODALITIES, run.config) === MODALITIES.baseline),
    ABLATION,
    ABLATION_ROWS.map((row) => ({ value: row.value, labels: [row.moie ? TICK : CROSS, row.adapter ? TICK : CROSS] })),
    ['MoIE', 'CM-Adapter'],
    notes,
    label,
    shown,
  );
  const modalityBlocks = buildVariantBlocks(
    runs.filter((run) => variantOf(ABLATION, run.config) === ABLATION.baseline),
    MODALITIES,
    MODALITY_ROWS.map((row) => ({ value: row.value, labels: [row.label] })),
    ['Modalities'],
    notes,
    label,
    shown,
  );
  const blocks = [...ablationBlocks, ...modalityBlocks];
  if (blocks.length === 0) return undefined;
  // Blocks are per model, and modelOrder puts the methods that use target inputs after the others.
  const targetNote = targetInputsNote(shown, false);
  return {
    name: 'table2',
    title: `Table 2: Ablations (sweep ${sweep})`,
    caption: 'Within a pair, the rows differ only in the ablated modules (or the modalities used); all other config is the same.',
    blocks,
    notes: [...(targetNote ? [targetNote] : []), ...notes.notes(TABLE23_COLUMNS)],
  };
}
