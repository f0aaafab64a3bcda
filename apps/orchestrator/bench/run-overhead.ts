/**
 * Per-run overhead of a sweep: everything a run costs besides its epochs (process start, module loading, backend
 * init, data load, model build, scoring, checkpoint and result writes). Prints figures; not a test.
 *
 *   npx tsx apps/orchestrator/bench/run-overhead.ts [--runs 5] [--cases tiny,mosi] [--configs before,after] [--probes 3]
 *                                                    [--midg <apps/orchestrator/bin/midg.js of another checkout>]
 *
 * For each case (tiny: MIDG synth:mosi:tiny → synth:mosei:tiny; mosi: MIDG on the real CMU-MOSI file in-domain) and
 * each configuration (measure.ts: before, cache, reuse, after), `midg sweep` trains N one-epoch runs (seeds 1..N)
 * with one worker, one run at a time, into a fresh SQLite database; each run's
 *   overhead = wall − epoch,
 * wall = finished − started as the sweep recorded it, epoch = the training-step time of its epoch (the epoch line's
 * samplesPerSecond over the training set). The wall splits into the part outside the trainer (process start,
 * modules, backend, run spec and result lines: wall − the result's durationMs) and the trainer's part that is not the
 * epoch (data load, model build, validation and test scoring, checkpoint). With reused processes the first run of a
 * process carries its start; "amortised" spreads the sweep's whole overhead (its wall time, host start and tables
 * included, minus Σ epochs) over its N runs. Then --probes child processes time one worker's start phase by phase
 * (overhead-probe.ts, this checkout only).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { CONFIGURATIONS, configOption, machineLine, midgOption, option, runCliSweep, seconds, spread } from './measure';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MOSI_FILE = resolve(REPO_ROOT, '../shared/data/mosi-bclstm/mosi_bclstm.pkl');
const CASES: Record<string, { source: string; target: string }> = {
  tiny: { source: 'synth:mosi:tiny', target: 'synth:mosei:tiny' },
  mosi: { source: `mmsa:${MOSI_FILE}`, target: `mmsa:${MOSI_FILE}` },
};

function countOption(name: string, fallback: number, least: number): number {
  const text = option(name) ?? String(fallback);
  const value = Number(text);
  if (!Number.isInteger(value) || value < least) throw new Error(`--${name} must be a whole number ≥ ${least}, got ${text}`);
  return value;
}

const runs = countOption('runs', 5, 1);
const probes = countOption('probes', 3, 0);
const cases = (option('cases') ?? 'tiny,mosi').split(',').map((name) => name.trim());
for (const name of cases) if (!(name in CASES)) throw new Error(`--cases: unknown ${name}; choose from ${Object.keys(CASES).join(', ')}`);
const configurations = configOption('before,after');
const midg = midgOption();
const work = mkdtempSync(join(tmpdir(), 'midg-run-overhead-'));

console.log(`run overhead: ${runs} one-epoch MIDG runs per case and configuration, one worker, ${midg}; ${machineLine()}`);
try {
  for (const caseName of cases) {
    const { source, target } = CASES[caseName]!;
    for (const config of configurations) {
      const spec = { name: `overhead-${caseName}-${config}`, models: ['midg'], seeds: Array.from({ length: runs }, (_, i) => i + 1), base: { epochs: 1 }, studies: [{ name: 'overhead', pairs: [`${source} -> ${target}`] }] };
      const sweep = await runCliSweep({ midg, dir: join(work, `${caseName}-${config}`), spec, config, workers: 1 });
      if (sweep.runs.length !== runs) throw new Error(`${caseName}/${config}: ${sweep.runs.length} of ${runs} runs done`);
      const walls = sweep.runs.map((run) => run.finishedAt - run.startedAt);
      const epochs = sweep.runs.map((run) => run.epochMs[0]!);
      const overheads = walls.map((wall, i) => wall - epochs[i]!);
      const outside = sweep.runs.map((run, i) => walls[i]! - run.trainerMs);
      const inTrainer = sweep.runs.map((run, i) => run.trainerMs - epochs[i]!);
      const epochSum = epochs.reduce((sum, ms) => sum + ms, 0);
      const span = sweep.runs[sweep.runs.length - 1]!.finishedAt - sweep.runs[0]!.startedAt;
      console.log(`\n${caseName} (${source} → ${target}), ${config}: ${CONFIGURATIONS[config].describe}`);
      console.log(`  run wall time                         ${seconds(walls)}   median (min–max) over ${runs} runs`);
      console.log(`  epoch, training steps                 ${seconds(epochs)}`);
      console.log(`  overhead = wall − epoch               ${seconds(overheads)}`);
      console.log(`    outside the trainer (start, modules, backend)          ${seconds(outside)}`);
      console.log(`    in the trainer, not the epoch (data, model, scoring)   ${seconds(inTrainer)}`);
      console.log(`  overheads per run in order (s): ${overheads.map((ms) => (ms / 1000).toFixed(2)).join(' ')}`);
      console.log(`  epochs per run in order (s): ${epochs.map((ms) => (ms / 1000).toFixed(2)).join(' ')}`);
      console.log(
        `  sweep: ${(sweep.wallMs / 1000).toFixed(1)} s (first run start → last run end ${(span / 1000).toFixed(1)} s), Σ epochs ${(epochSum / 1000).toFixed(1)} s → ` +
          `amortised overhead ${((sweep.wallMs - epochSum) / runs / 1000).toFixed(2)} s per run (${((span - epochSum) / runs / 1000).toFixed(2)} s over the runs' span)`,
      );
      const cpu = sweep.cpuMs === undefined ? 'n/a' : `${(sweep.cpuMs / runs / 1000).toFixed(2)} s per run`;
      console.log(`  CPU time of the sweep (host and workers) ${cpu}; peak memory of its processes ${(sweep.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
    }
    if (probes > 0) await probe(caseName, source, target);
  }
  console.log(`\n${machineLine()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** One worker's start, phase by phase: median (min–max) wall and median CPU over --probes child processes. */
async function probe(caseName: string, source: string, target: string): Promise<void> {
  const script = fileURLToPath(new URL('./overhead-probe.ts', import.meta.url));
  const samples: { name: string; wallMs: number; cpuMs?: number }[][] = [];
  for (let i = 0; i < probes; i++) {
    const dir = join(work, `probe-${caseName}-${i}`);
    mkdirSync(dir, { recursive: true });
    const child = await execa(process.execPath, ['--import', 'tsx', script, String(Date.now()), source, target, join(dir, 'cache'), join(dir, 'checkpoint')], { cwd: REPO_ROOT });
    samples.push((JSON.parse(child.stdout.trim().split('\n').pop()!) as { phases: { name: string; wallMs: number; cpuMs?: number }[] }).phases);
  }
  console.log(`\n${caseName}: one worker's start, phase by phase (${probes} processes; wall median (min–max), CPU median)`);
  samples[0]!.forEach((phase, index) => {
    const walls = samples.map((sample) => sample[index]!.wallMs);
    const cpus = samples.map((sample) => sample[index]!.cpuMs).filter((ms): ms is number => ms !== undefined);
    const cpu = cpus.length > 0 ? `   CPU ${(spread(cpus).median / 1000).toFixed(2)} s` : '';
    console.log(`  ${phase.name.padEnd(72)} ${seconds(walls)}${cpu}`);
  });
}
