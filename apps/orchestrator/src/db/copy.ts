import type { ResultsReader, ResultsWriter } from './store';

export interface CopySummary {
  sweeps: { inserted: number; unchanged: number };
  runs: { inserted: number; replaced: number; unchanged: number };
  linksAdded: number;
}

/**
 * Merges every sweep and run of `from` into `to` by sweep name and run key (ResultsWriter, rule 7): runs `to` lacks
 * are added, runs `from` has a better outcome for replace theirs, everything else stays; copying twice changes nothing.
 */
export async function copyResults(from: ResultsReader, to: ResultsWriter, onRun?: (done: number) => void): Promise<CopySummary> {
  const summary: CopySummary = { sweeps: { inserted: 0, unchanged: 0 }, runs: { inserted: 0, replaced: 0, unchanged: 0 }, linksAdded: 0 };
  // Oldest first, so that a sweep name that exists in both keeps the target's own sweep.
  for (const sweep of (await from.listSweeps()).reverse()) summary.sweeps[await to.mergeSweep(sweep)] += 1;
  let done = 0;
  for await (const detail of from.exportRuns()) {
    const merged = await to.mergeRun(detail);
    summary.runs[merged.run] += 1;
    summary.linksAdded += merged.linksAdded;
    onRun?.(++done);
  }
  return summary;
}
