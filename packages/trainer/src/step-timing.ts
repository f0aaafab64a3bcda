/**
 * The small harness the speed scripts share (apps/orchestrator/bench/model-step.ts, the packages' *.bench.ts and bench/ files):
 * their command-line arguments, wall + CPU timing with the tensor count around it, tf.profile's kernels summed by
 * kernel name, and a model set up on one random batch. One copy here, so every script measures and prints the same way.
 */
import * as tf from '@tensorflow/tfjs';
import { REFERENCE_SHAPES, randomBenchmarkData, type StepBenchmarkOptions } from './bench';
import type { ConfigRecord } from './contract';
import type { TrainingView } from './data';
import type { DataInfo, SentimentModel } from './model';
import { GroupOptimizer } from './optimizer';
import { resolveRun } from './registry';
import type { TrainingConfig } from './training-config';

/** What a bench script accepts besides `--set key=value`: numeric options with their defaults, boolean flags, string options. */
export interface BenchArgSpec<N extends string, F extends string, S extends string> {
  numbers?: Record<N, number>;
  flags?: readonly F[];
  strings?: readonly S[];
}

export interface BenchArgs<N extends string, F extends string, S extends string> {
  /** The `--set key=value` pairs. Values stay strings: resolveRun types them against the config schema, as `midg train --set` does. */
  overrides: ConfigRecord;
  numbers: Record<N, number>;
  flags: Record<F, boolean>;
  strings: Partial<Record<S, string>>;
}

/**
 * Parses a bench script's arguments (`process.argv.slice(2)`): `--set key=value` (repeatable), `--<number> N`,
 * `--<flag>`, `--<string> value`. An unknown argument or a missing value throws with the usage, so a typo is not
 * silently measured with the defaults.
 */
export function parseBenchArgs<N extends string = never, F extends string = never, S extends string = never>(
  script: string,
  args: readonly string[],
  spec: BenchArgSpec<N, F, S> = {},
): BenchArgs<N, F, S> {
  const numbers = { ...spec.numbers } as Record<N, number>;
  const flagNames: readonly string[] = spec.flags ?? [];
  const stringNames: readonly string[] = spec.strings ?? [];
  const flags = Object.fromEntries(flagNames.map((f) => [f, false])) as Record<F, boolean>;
  const strings: Partial<Record<S, string>> = {};
  const overrides: ConfigRecord = {};
  const usage = [
    ...stringNames.map((s) => `--${s} <value>`),
    ...Object.keys(numbers).map((n) => `--${n} N`),
    ...flagNames.map((f) => `--${f}`),
    '--set key=value ...',
  ].join(' ');
  const fail = (problem: string): never => {
    throw new Error(`${script}: ${problem} (usage: ${usage})`);
  };
  const isNumber = (name: string): name is N => Object.hasOwn(numbers, name);
  const isFlag = (name: string): name is F => flagNames.includes(name);
  const isString = (name: string): name is S => stringNames.includes(name);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const name = arg.startsWith('--') ? arg.slice(2) : '';
    const value = (): string => args[++i] ?? fail(`${arg} needs a value`);
    if (name === 'set') {
      const pair = value();
      const at = pair.indexOf('=');
      if (at <= 0) fail(`--set expects key=value, got "${pair}"`);
      overrides[pair.slice(0, at)] = pair.slice(at + 1);
    } else if (isNumber(name)) {
      const n = Number(value());
      if (!Number.isFinite(n)) fail(`${arg} expects a number, got "${args[i]}"`);
      numbers[name] = n;
    } else if (isFlag(name)) {
      flags[name] = true;
    } else if (isString(name)) {
      strings[name] = value();
    } else {
      fail(`unknown argument ${arg}`);
    }
  }
  return { overrides, numbers, flags, strings };
}

/** Wall and CPU milliseconds since a start. */
export interface Elapsed {
  wallMs: number;
  /** This process's CPU time (user + system, process.cpuUsage): waiting for a core does not count. */
  cpuMs: number;
}

/**
 * Starts a wall + CPU clock; the returned function reads the time since. CPU time is the figure to compare on a
 * shared machine, where wall time includes waiting for a core.
 */
export function startStopwatch(): () => Elapsed {
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpuStart);
    return { wallMs: performance.now() - wallStart, cpuMs: (used.user + used.system) / 1000 };
  };
}

/** measureCall's figures: wall and CPU ms per unit, and the live tensor count before and after. */
export interface CallTiming extends Elapsed {
  units: number;
  tensorsBefore: number;
  tensorsAfter: number;
}

/**
 * Runs fn once (awaited; fn must force its results, e.g. read a loss back) and prints `what: W ms wall, C ms CPU
 * [each (per)]; tensors A → B`, the times per unit of `per` units (say, the steps of an epoch). The tensor count
 * after should equal the count before: growth is a leak.
 */
export async function measureCall(what: string, fn: () => unknown, per = 1): Promise<CallTiming> {
  const tensorsBefore = tf.memory().numTensors;
  const elapsed = startStopwatch();
  await fn();
  const { wallMs, cpuMs } = elapsed();
  const timing = { wallMs: wallMs / per, cpuMs: cpuMs / per, units: per, tensorsBefore, tensorsAfter: tf.memory().numTensors };
  const each = per > 1 ? ` each (${per})` : '';
  console.log(`${what}: ${timing.wallMs.toFixed(1)} ms wall, ${timing.cpuMs.toFixed(1)} ms CPU${each}; tensors ${tensorsBefore} → ${timing.tensorsAfter}`);
  return timing;
}

/** What tf.profile resolves to (tf.js exports no name for it). */
export type KernelProfile = Awaited<ReturnType<typeof tf.profile>>;
/** One kernel call of a tf.profile. */
export type ProfiledKernel = KernelProfile['kernels'][number];

/** One kernel name's calls and summed kernel time in a profile. */
export interface KernelTotal {
  name: string;
  calls: number;
  ms: number;
}

/**
 * The kernels of a tf.profile summed by kernel name, most time (or, with `by: 'calls'`, most calls) first. A step
 * runs thousands of small kernels, so which names take the time and how many calls each makes is what a profile is
 * read for. The "unnamed scope" entries (a customGrad op) are left out: their time is that of the kernels they ran,
 * which are counted themselves.
 */
export function kernelTimesByName(info: { kernels: readonly ProfiledKernel[] }, by: 'time' | 'calls' = 'time'): KernelTotal[] {
  const byName = new Map<string, KernelTotal>();
  for (const kernel of info.kernels) {
    if (kernel.name === 'unnamed scope') continue;
    const entry = byName.get(kernel.name) ?? { name: kernel.name, calls: 0, ms: 0 };
    entry.calls += 1;
    entry.ms += Number(kernel.kernelTimeMs);
    byName.set(kernel.name, entry);
  }
  return [...byName.values()].sort(by === 'time' ? (a, b) => b.ms - a.ms : (a, b) => b.calls - a.calls);
}

/** Prints `what: N kernels` and the top kernel names of a profile (kernelTimesByName), one line each with calls and ms. */
export function printKernelTimes(what: string, info: { kernels: readonly ProfiledKernel[] }, options: { top?: number; by?: 'time' | 'calls' } = {}): void {
  console.log(`${what}: ${info.kernels.length} kernels`);
  for (const { name, calls, ms } of kernelTimesByName(info, options.by).slice(0, options.top ?? 14)) {
    console.log(`  ${name.padEnd(24)} ${String(calls).padStart(6)} calls ${ms.toFixed(1).padStart(9)} ms`);
  }
}

/** A model and its optimizer on one fixed batch of random data: what modelOnRandomBatch returns. */
export interface RandomBatchModel {
  model: SentimentModel;
  optimizer: GroupOptimizer;
  config: ConfigRecord;
  training: TrainingConfig;
  view: TrainingView;
  info: DataInfo;
  indices: Int32Array;
}

/**
 * A registered model (config resolved as for a synth:mosi run, seed 1) with its optimizer, on one fixed batch of
 * random data of the given shapes (randomBenchmarkData; the paper's reference shapes by default): the setup of the
 * scripts that time a step in pieces or profile its kernels, which need the model itself rather than
 * benchmarkTrainingStep's figures. The caller disposes model and optimizer.
 */
export function modelOnRandomBatch(options: { model: string; overrides: ConfigRecord; batchSize: number; shapes?: StepBenchmarkOptions['shapes'] }): RandomBatchModel {
  const { view, info, indices } = randomBenchmarkData(options.shapes ?? REFERENCE_SHAPES, options.batchSize);
  const { definition, config, training } = resolveRun({ model: options.model, source: 'synth:mosi', target: 'synth:mosi', seed: 1, backend: tf.getBackend(), overrides: options.overrides });
  const model = definition.create(config, info, 1);
  return { model, optimizer: new GroupOptimizer(model, training), config, training, view, info, indices };
}
