/**
 * Sweep utilisation: how busy the cores are during a sweep. Runs `midg sweep` (the real command, into a fresh
 * SQLite database) and compares its wall time with the sum of its runs' times. Prints figures; not a test.
 *
 *   npx tsx apps/orchestrator/bench/sweep-utilisation.ts [--spec experiments/ci.yaml] [--workers N] [--configs before,after]
 *                                                         [--midg <apps/orchestrator/bin/midg.js of another checkout>]
 *
 * Without --workers the sweep is started without it too, so its default (the number of cores) is what is measured;
 * the most runs seen running at once is printed beside it. Figures:
 *   utilisation   = Σ run time / (sweep wall × workers), run time = finished − started as the sweep recorded it
 *   epoch share   = Σ epoch training-step time / (sweep wall × workers): the cores' time spent training
 *   peak memory   = the highest total resident set size of the sweep's process tree (host and workers), sampled
 *                   every 250 ms from /proc, and the largest per-run peak a worker reported (when it reports one)
 * Configurations: measure.ts (before: one process per run, no dataset cache; after: the default now).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIGURATIONS, configOption, machineLine, midgOption, option, runCliSweep } from './measure';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const spec = resolve(option('spec') ?? join(REPO_ROOT, 'experiments/ci.yaml'));
const workersOption = option('workers');
if (workersOption !== undefined && !(Number.isInteger(Number(workersOption)) && Number(workersOption) >= 1)) {
  throw new Error(`--workers must be a whole number ≥ 1, got ${workersOption}`);
}
const workers = workersOption === undefined ? availableParallelism() : Number(workersOption);
const configurations = configOption('before,after');
const midg = midgOption();
const work = mkdtempSync(join(tmpdir(), 'midg-utilisation-'));

/** The most intervals open at once. */
function peakOverlap(intervals: [number, number][]): number {
  const edges = intervals.flatMap(([start, end]) => [[start, 1] as const, [end, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, delta] of edges) peak = Math.max(peak, (open += delta));
  return peak;
}

console.log(`sweep utilisation: ${spec}, ${midg}; ${machineLine()}`);
try {
  for (const config of configurations) {
    const sweep = await runCliSweep({ midg, dir: join(work, config), spec, config, ...(workersOption ? { workers } : {}) });
    const intervals: [number, number][] = sweep.runs.map((run) => [run.startedAt, run.finishedAt]);
    const runSum = intervals.reduce((sum, [start, end]) => sum + (end - start), 0);
    const epochSum = sweep.runs.reduce((sum, run) => sum + run.epochMs.reduce((total, ms) => total + ms, 0), 0);
    const span = Math.max(...intervals.map(([, end]) => end)) - Math.min(...intervals.map(([start]) => start));
    const capacity = sweep.wallMs * workers;
    const percent = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(0)} %`;
    console.log(`\n${config}: ${CONFIGURATIONS[config].describe}`);
    console.log(`  ${sweep.runs.length} runs, workers ${workersOption ?? `default (${workers} = cores)`}, at most ${peakOverlap(intervals)} running at once`);
    console.log(
      `  sweep wall ${(sweep.wallMs / 1000).toFixed(1)} s (first run start → last run end ${(span / 1000).toFixed(1)} s); ` +
        `Σ run time ${(runSum / 1000).toFixed(1)} s; Σ epoch time ${(epochSum / 1000).toFixed(1)} s`,
    );
    console.log(`  utilisation Σ run / (wall × workers) = ${percent(runSum, capacity)}; over the runs' span ${percent(runSum, span * workers)}`);
    console.log(`  epoch share Σ epoch / (wall × workers) = ${percent(epochSum, capacity)}`);
    const reported = sweep.runs.map((run) => run.peakRssBytes).filter((bytes): bytes is number => bytes !== null);
    const perRun = reported.length > 0 ? `; largest per-run peak RSS a worker reported ${(Math.max(...reported) / 2 ** 20).toFixed(0)} MiB` : '';
    console.log(`  peak memory of the sweep's processes ${(sweep.peakRssBytes / 2 ** 20).toFixed(0)} MiB${perRun}`);
    if (sweep.cpuMs !== undefined) console.log(`  CPU time of the sweep (host and workers) ${(sweep.cpuMs / 1000).toFixed(1)} s`);
  }
  console.log(`\n${machineLine()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
