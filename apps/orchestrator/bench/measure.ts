// What the sweep benchmarks (run-overhead.ts, sweep-utilisation.ts) share: figures, and a sweep run with the real
// `midg sweep` command of any checkout (--midg), read back from its SQLite database.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { resolveDataset } from '@midg/features';
import { MIDG_BIN } from '../src/bin-path';

export interface Spread {
  median: number;
  min: number;
  max: number;
  mean: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, mean: values.reduce((sum, value) => sum + value, 0) / values.length };
}

/** `1.23 s (1.10–1.40)`: median and range, in seconds. */
export function seconds(values: readonly number[]): string {
  const { median, min, max } = spread(values);
  return `${(median / 1000).toFixed(2)} s (${(min / 1000).toFixed(2)}–${(max / 1000).toFixed(2)})`;
}

/** The machine's state, printed with every figure: the cores are shared with other work. */
export function machineLine(): string {
  const [one, five] = loadavg();
  return `${availableParallelism()} cores, load average ${one!.toFixed(1)} (1 min) ${five!.toFixed(1)} (5 min), node ${process.version}`;
}

/** A command-line option's value (`--name value`), or undefined. */
export function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

/**
 * How the sweep's workers run. One process per run is MIDG_WORKER_COMMAND set to the midg CLI (a `midg train` process
 * per run); reused processes are the default (midg run-server). The dataset cache is off with MIDG_DATA_CACHE=off,
 * else a fresh directory, so the sweep's first load of each dataset is a miss. `before` is the sweep before issue
 * #11, `after` what `midg sweep` does by default now. A checkout from before issue #11 ignores both variables: with
 * --midg pointing at it, every configuration measures its one behaviour.
 */
export const CONFIGURATIONS = {
  before: { reuseProcesses: false, dataCache: false, describe: 'one process per run, no dataset cache' },
  cache: { reuseProcesses: false, dataCache: true, describe: 'one process per run, dataset cache' },
  reuse: { reuseProcesses: true, dataCache: false, describe: 'reused worker processes, no dataset cache' },
  after: { reuseProcesses: true, dataCache: true, describe: 'reused worker processes and dataset cache (the default)' },
} as const;
export type ConfigName = keyof typeof CONFIGURATIONS;

export function configOption(fallback: string): ConfigName[] {
  const names = (option('configs') ?? fallback).split(',').map((name) => name.trim());
  for (const name of names) if (!(name in CONFIGURATIONS)) throw new Error(`--configs: unknown ${name}; choose from ${Object.keys(CONFIGURATIONS).join(', ')}`);
  return names as ConfigName[];
}

/** The midg CLI to measure: --midg <path to apps/orchestrator/bin/midg.js of a checkout>, default this one. */
export function midgOption(): string {
  return option('midg') ?? MIDG_BIN;
}

export interface SweepRun {
  source: string;
  /** The host's 'started' and 'finished' times (ms since the epoch). */
  startedAt: number;
  finishedAt: number;
  /** The trainer's own duration (the result's durationMs): data load to checkpoint, in the worker. */
  trainerMs: number;
  /** Training-step time of each epoch (the epoch line's samplesPerSecond over the training set). */
  epochMs: number[];
  /** The worker's peak resident set size for the run, where the checkout records it (else null). */
  peakRssBytes: number | null;
}

export interface SweepMeasurement {
  /** The `midg sweep` command, start to exit. */
  wallMs: number;
  /** CPU time of the command and every process it started (host and workers; undefined off Linux): load-independent. */
  cpuMs: number | undefined;
  /** The highest total resident set size of the command's process tree (host and workers), sampled every 250 ms. */
  peakRssBytes: number;
  runs: SweepRun[];
}

let ticksPerSecond: number | undefined;

/** CPU time (ms) of this process's children that have exited and been waited for, theirs included (Linux /proc). */
async function childCpuMs(): Promise<number | undefined> {
  try {
    ticksPerSecond ??= Number((await execa('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // stat(5) fields 16 and 17 (cutime, cstime); the slice starts at field 3.
    return ((Number(fields[13]) + Number(fields[14])) / ticksPerSecond) * 1000;
  } catch {
    return undefined;
  }
}

/** Resident set size (bytes) of `root` and all its descendants, from /proc (0 elsewhere). */
function treeRss(root: number): number {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // stat(5) fields 4 (ppid) and 24 (resident pages); the slice starts at field 3.
      parent.set(Number(entry), Number(fields[1]));
      rss.set(Number(entry), Number(fields[21]) * 4096);
    } catch {
      // The process ended while we looked.
    }
  }
  let total = 0;
  for (const [pid, bytes] of rss) {
    for (let at: number | undefined = pid; at !== undefined && at > 1; at = parent.get(at)) {
      if (at === root) {
        total += bytes;
        break;
      }
    }
  }
  return total;
}

const trainSizes = new Map<string, number>();
/** Training-set size a run's epochs go over (a pooled a+b source is the sum), capped by maxTrainSamples. */
function trainSize(source: string, maxTrainSamples: number): number {
  if (!trainSizes.has(source)) {
    const sizes = source.split('+').map((name) => resolveDataset(name, { dataCache: false, warn: () => undefined }).splits.train.size);
    trainSizes.set(source, sizes.reduce((sum, size) => sum + size, 0));
  }
  const size = trainSizes.get(source)!;
  return maxTrainSamples > 0 ? Math.min(maxTrainSamples, size) : size;
}

/** Times in the database are UTC `YYYY-MM-DD HH:MM:SS.SSS`. */
const timeOf = (text: string): number => Date.parse(`${text.replace(' ', 'T')}Z`);

/** The done runs of a sweep database, read with SQL that every schema version since the first answers. */
function readRuns(db: string): SweepRun[] {
  const database = new Database(db, { readonly: true });
  try {
    const columns = new Set((database.prepare(`select name from pragma_table_info('run')`).all() as { name: string }[]).map((row) => row.name));
    const peak = columns.has('peakRssBytes') ? 'peakRssBytes' : 'null as peakRssBytes';
    const runs = database.prepare(`select id, source, configJson, startedAt, finishedAt, durationMs, ${peak} from run where status = 'done' order by startedAt`).all() as {
      id: number;
      source: string;
      configJson: string;
      startedAt: string;
      finishedAt: string;
      durationMs: number;
      peakRssBytes: number | null;
    }[];
    const epochs = database.prepare('select samplesPerSecond from epoch_log where runId = ? order by attempt, epoch');
    return runs.map((run) => {
      const size = trainSize(run.source, Number((JSON.parse(run.configJson) as { maxTrainSamples?: number }).maxTrainSamples ?? 0));
      const rates = (epochs.all(run.id) as { samplesPerSecond: number | null }[]).map((row) => row.samplesPerSecond ?? NaN);
      const epochMs = rates.map((rate) => (size / rate) * 1000);
      return { source: run.source, startedAt: timeOf(run.startedAt), finishedAt: timeOf(run.finishedAt), trainerMs: run.durationMs, epochMs, peakRssBytes: run.peakRssBytes };
    });
  } finally {
    database.close();
  }
}

/**
 * Runs `<midg> sweep` on a spec (an object written as JSON into `dir`, or a spec file) into a fresh SQLite database
 * in `dir`, from `dir` as working directory, and reads back its runs.
 */
export async function runCliSweep(options: { midg: string; dir: string; spec: object | string; config: ConfigName; workers?: number }): Promise<SweepMeasurement> {
  const { midg, dir, config } = options;
  mkdirSync(dir, { recursive: true });
  const specFile = typeof options.spec === 'string' ? options.spec : join(dir, 'spec.json');
  if (typeof options.spec !== 'string') writeFileSync(specFile, JSON.stringify(options.spec));
  const db = join(dir, 'sweep.sqlite');
  const { reuseProcesses, dataCache } = CONFIGURATIONS[config];
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', MIDG_DATA_CACHE: dataCache ? join(dir, 'cache') : 'off' };
  if (!reuseProcesses) env.MIDG_WORKER_COMMAND = JSON.stringify([process.execPath, midg]);
  else delete env.MIDG_WORKER_COMMAND;
  const args = [midg, 'sweep', '--spec', specFile, '--db', db, '--tables-dir', join(dir, 'tables'), ...(options.workers ? ['--workers', String(options.workers)] : [])];
  const cpuBefore = await childCpuMs();
  const started = performance.now();
  const child = execa(process.execPath, args, { cwd: dir, env, extendEnv: false, reject: false, all: true });
  let peakRssBytes = 0;
  const sampler = setInterval(() => {
    if (child.pid !== undefined) peakRssBytes = Math.max(peakRssBytes, treeRss(child.pid));
  }, 250);
  const exit = await child;
  clearInterval(sampler);
  const wallMs = performance.now() - started;
  const cpuAfter = await childCpuMs();
  const cpuMs = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  if (exit.exitCode !== 0) throw new Error(`${midg} sweep (${config}) exited ${exit.exitCode}:\n${String(exit.all).slice(-2000)}`);
  return { wallMs, cpuMs, peakRssBytes, runs: readRuns(db) };
}
