import type { ConfigValue } from '@midg/trainer';
import type { RunRecord } from '../db';
import { isDone, type RunGroup } from './grouping';
import { MAJORITY_MARK, familyOf, formatHeadline, majorityOf, metricNameOf, type HeadlineColumn, type MetricFamily } from './headline';

// What a table says under it: the metrics' legend, seeds and data used, which configurations were selected, and
// every run that did not finish.

/** Collects what a table must say under it: seeds, datasets, metric families, selections, and what is missing. */
export class NotesCollector {
  private readonly seeds = new Set<number>();
  private readonly datasets = new Set<string>();
  /** Per target: its metric family (as its finished runs recorded it, else guessed from its name) and majority ACCs. */
  private readonly targets = new Map<string, { family: MetricFamily; majorities: Set<number>; done: boolean }>();
  readonly selections: string[] = [];
  readonly missing: string[] = [];

  use(runs: RunRecord[]): void {
    for (const run of runs) {
      this.datasets.add(run.source).add(run.target);
      const family = familyOf(run.target, run.test);
      const target = this.targets.get(run.target) ?? { family, majorities: new Set<number>(), done: false };
      if (isDone(run)) {
        this.seeds.add(run.seed);
        target.family = family;
        target.done = true;
        const majority = majorityOf(run.test);
        if (majority !== undefined) target.majorities.add(majority);
      }
      this.targets.set(run.target, target);
    }
  }

  /** The majority-class ACC of each target's test split, and what the ‡ mark on an ACC means. */
  private majorityNote(): string | undefined {
    const targets = [...this.targets.entries()].filter(([, target]) => target.done).sort(([a], [b]) => a.localeCompare(b));
    if (targets.length === 0) return undefined;
    const shown = (values: Set<number>): string => {
      const sorted = [...new Set([...values].map((value) => formatHeadline('ACC', value)))].sort((a, b) => Number(a) - Number(b));
      return sorted.length === 1 ? sorted[0]! : `${sorted[0]}–${sorted[sorted.length - 1]}`;
    };
    const recorded = targets.filter(([, target]) => target.majorities.size > 0);
    const unrecorded = targets.filter(([, target]) => target.majorities.size === 0).map(([name]) => name);
    const parts = recorded.map(([name, target]) => `${name} ${shown(target.majorities)} (${metricNameOf('ACC', target.family)})`);
    return (
      `Majority-class ACC (a constant predictor that always says the most frequent class of the target's test labels): ${parts.join(', ') || 'not recorded'}` +
      (recorded.length > 0 ? `; ${MAJORITY_MARK} marks an ACC at or below it, no better than that constant` : '') +
      (unrecorded.length > 0 ? `; not recorded by the runs on ${unrecorded.join(', ')} (they predate Majority_acc_2; re-run them to get it)` : '') +
      '.'
    );
  }

  /** Notes a cell or row whose runs are not all done; returns whether anything is missing. */
  missingRuns(what: string, runs: RunRecord[]): boolean {
    const absent = runs.filter((run) => !isDone(run)).sort((a, b) => a.seed - b.seed);
    if (absent.length === 0) return false;
    this.missing.push(`${what}: ${absent.length} of ${runs.length} runs missing (${absent.map(describeAbsentRun).join('; ')}).`);
    return true;
  }

  notes(columns: readonly HeadlineColumn[]): string[] {
    const seeds = [...this.seeds].sort((a, b) => a - b);
    const majority = columns.includes('ACC') ? this.majorityNote() : undefined;
    return [
      legend(columns, [...new Set([...this.targets.values()].map((target) => target.family))]),
      ...(majority ? [majority] : []),
      `Mean ± sample standard deviation (n−1) over seeds ${seeds.join(', ') || '(none finished)'}; a cell marked (n=k) has fewer finished seeds than the others; a single seed shows no std.`,
      describeData([...this.datasets]),
      ...this.selections,
      ...(this.missing.length > 0 ? this.missing : ['Missing: none; every run of this table finished.']),
    ];
  }
}

function describeAbsentRun(run: RunRecord): string {
  if (run.status === 'failed') {
    const reason = run.signal ? `killed by ${run.signal}` : `exit ${run.exitCode ?? '?'}`;
    const lastLine = (run.stderrTail ?? '').trim().split('\n').pop()?.trim() ?? '';
    return `seed ${run.seed} failed after ${run.attempts} attempt(s), ${reason}${lastLine ? `: ${lastLine.slice(0, 120)}` : ''}`;
  }
  if (run.status === 'running') return `seed ${run.seed} still running or interrupted`;
  return `seed ${run.seed} never ran`;
}

function legend(columns: readonly HeadlineColumn[], families: MetricFamily[]): string {
  const familyName: Record<MetricFamily, string> = { mosi: 'MOSI/MOSEI targets', sims: 'SIMS targets' };
  const scaled = (column: HeadlineColumn): string => (column === 'ACC' || column === 'F1' ? ' (×100)' : '');
  const parts = families.sort().map((family) => `${familyName[family]}: ${columns.map((column) => `${column} = ${metricNameOf(column, family)}${scaled(column)}`).join(', ')}`);
  return `Metrics (MMSA names) on the target's test split — ${parts.join('; ')}.`;
}

function describeData(names: string[]): string {
  const synthetic = names.filter((name) => name.startsWith('synth:')).sort();
  const files = names.filter((name) => name.startsWith('mmsa:')).map((name) => name.slice('mmsa:'.length)).sort();
  const aliases = names.filter((name) => !name.startsWith('synth:') && !name.startsWith('mmsa:')).sort();
  const parts = [
    ...(synthetic.length ? [`synthetic presets ${synthetic.join(', ')}`] : []),
    ...(files.length ? [`MMSA feature files ${files.join(', ')}`] : []),
    ...(aliases.length ? [`datasets-config entries ${aliases.join(', ')}`] : []),
  ];
  return `Data: ${parts.join('; ')}.`;
}

function formatConfigValue(value: ConfigValue | undefined): string {
  return value === undefined ? '(unset)' : String(value);
}

/** `key=value` for the keys whose values differ between the groups, as they are in `group` (for selection notes). */
export function distinguishingSettings(group: RunGroup, among: RunGroup[]): string {
  const keys = [...new Set(among.flatMap((other) => Object.keys(other.config)))].sort();
  const differing = keys.filter((key) => new Set(among.map((other) => formatConfigValue(other.config[key]))).size > 1);
  return differing.map((key) => `${key}=${formatConfigValue(group.config[key])}`).join(', ');
}
