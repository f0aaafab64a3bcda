import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { requestedBackend, useBackend } from '@midg/backend';
import { HEADLINE_METRICS, MAJORITY_METRIC, metricFamilyOfRecord } from '@midg/metrics';
import { trainRun, type ConfigRecord, type EpochEvent, type RunSpec, type TrainResult } from '@midg/trainer';
import { runCommand } from '../errors';
import { backendOption } from '../options';
import { createProgress } from '../progress';

interface TrainArgs {
  model: string;
  source?: string;
  target?: string;
  seed: number;
  set: string[];
  json: boolean;
  events: boolean;
  'run-spec'?: string;
  'checkpoint-dir'?: string;
  datasets?: string;
  backend?: string;
  'run-dir'?: string;
}

/** `--set key=value` pairs; values stay strings and are typed against the config defaults. */
export function parseSetPairs(pairs: string[]): ConfigRecord {
  const record: ConfigRecord = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`bad --set "${pair}": expected key=value`);
    record[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return record;
}

/** A run spec file as the sweep writes it: the RunSpec plus the key it planned (the run is refused if it differs). */
export interface RunSpecFile extends RunSpec {
  key?: string;
}

function readRunSpec(file: string): RunSpecFile {
  let spec: Partial<RunSpecFile>;
  try {
    spec = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunSpecFile>;
  } catch (error) {
    throw new Error(`run spec ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  for (const key of ['model', 'source', 'target', 'backend'] as const) {
    if (typeof spec[key] !== 'string') throw new Error(`run spec ${file}: "${key}" must be a string`);
  }
  if (typeof spec.seed !== 'number') throw new Error(`run spec ${file}: "seed" must be a number`);
  if (spec.key !== undefined && typeof spec.key !== 'string') throw new Error(`run spec ${file}: "key" must be a string`);
  return { model: spec.model!, source: spec.source!, target: spec.target!, seed: spec.seed, backend: spec.backend!, overrides: spec.overrides ?? {}, ...(spec.key ? { key: spec.key } : {}) };
}

/** `--run-dir`: epoch events appended to events.jsonl as they come, the result written to result.json atomically. */
function runDirWriter(dir: string): { epoch(event: EpochEvent): void; result(result: TrainResult): void } {
  mkdirSync(dir, { recursive: true });
  return {
    epoch: (event) => appendFileSync(join(dir, 'events.jsonl'), `${JSON.stringify(event)}\n`),
    result: (result) => {
      const staging = join(dir, `result.json.tmp-${process.pid}`);
      writeFileSync(staging, `${JSON.stringify(result)}\n`);
      renameSync(staging, join(dir, 'result.json'));
    },
  };
}

/**
 * The result with this process's peak resident set size so far (Linux reports maxRSS in KiB): the worker's memory
 * high-water mark for the run, recorded per run by the sweep.
 */
export function withPeakRss(result: TrainResult, maxRssKiB = process.resourceUsage().maxRSS): TrainResult {
  const peakRssBytes = maxRssKiB * 1024;
  return { ...result, peakRssBytes, peakRssMb: peakRssBytes / 2 ** 20 };
}

/**
 * `name=value` pairs. A target record's majority-class ACC (Majority_acc_2) is shown beside its ACC, e.g.
 * `Has0_acc_2=0.5500 (majority class 0.5800; no better than always predicting it)` when the ACC is not above it.
 */
export function formatMetrics(metrics: Record<string, number>): string {
  const family = metricFamilyOfRecord(metrics);
  const acc = family ? HEADLINE_METRICS[family].ACC : undefined;
  const majority = metrics[MAJORITY_METRIC];
  const besideAcc = acc !== undefined && acc in metrics && majority !== undefined;
  return Object.entries(metrics)
    .filter(([name]) => !(besideAcc && name === MAJORITY_METRIC))
    .map(([name, value]) => {
      const text = `${name}=${value.toFixed(4)}`;
      if (!besideAcc || name !== acc) return text;
      const constant = Number(value.toFixed(4)) <= Number(majority.toFixed(4)) ? '; no better than always predicting it' : '';
      return `${text} (majority class ${majority.toFixed(4)}${constant})`;
    })
    .join('  ');
}

/** Which metric set a record is: `MOSI/MOSEI metrics` or `SIMS metrics` (read from its names). */
export function metricSetLabel(metrics: Record<string, number>): string {
  const family = metricFamilyOfRecord(metrics);
  return family === 'sims' ? 'SIMS metrics' : family === 'mosi' ? 'MOSI/MOSEI metrics' : 'metrics';
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'train one model on a source dataset and report target test metrics',
  builder: (y: Argv) =>
    y
      .option('model', { type: 'string', default: 'midg', describe: 'model name (see `midg models`)' })
      .option('source', { type: 'string', describe: 'training dataset (synth:mosi:tiny, mmsa:<path>, or an alias); a+b pools several sources' })
      .option('target', { type: 'string', describe: 'evaluation dataset (defaults to the source)' })
      .option('seed', { type: 'number', default: 1111, describe: 'seed of the weights, dropout and data order' })
      .option('set', { type: 'string', array: true, default: [], describe: 'config override key=value (repeatable)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON result object' })
      .option('events', { type: 'boolean', default: false, describe: 'with --json: one JSON line per epoch first' })
      .option('run-spec', { type: 'string', describe: 'read model/source/target/seed/backend/overrides (and the planned key) from a JSON file' })
      .option('checkpoint-dir', { type: 'string', describe: 'write the selected checkpoint here (atomically)' })
      .option('datasets', { type: 'string', describe: 'datasets config file for aliases (default: $MIDG_DATASETS, else ./datasets.yaml)' })
      .option('backend', backendOption())
      .option('run-dir', { type: 'string', describe: 'also write events.jsonl (per epoch) and result.json (atomically) into this directory' })
      .example('$0 train --source synth:mosi:tiny --target synth:mosei:tiny --seed 1', 'cross-domain on the synthetic benchmark')
      .example('$0 train --source mmsa:data/synth-tiny/sims.pkl --target mmsa:data/synth-tiny/mosi.pkl --json', 'MMSA pickles (written by: midg data synth --out data/synth-tiny)')
      .example('$0 train --source synth:mosi --set ablation=no-moie --set modalities=ta', 'an ablation')
      .example('$0 train --source synth:mosi:tiny+synth:sims:tiny --target synth:mosei:tiny --set domainLabels=source', 'two sources, source-id domain labels') as unknown as Argv<TrainArgs>,
  handler: (args) =>
    runCommand(async () => {
      const { key, ...spec }: RunSpecFile = args['run-spec']
        ? readRunSpec(args['run-spec'])
        : (() => {
            if (!args.source) throw new Error('train needs --source (or --run-spec)');
            const backend = requestedBackend(args.backend);
            return { model: args.model, source: args.source, target: args.target ?? args.source, seed: args.seed, backend, overrides: parseSetPairs(args.set) };
          })();
      await useBackend(spec.backend);
      const runDir = args['run-dir'] ? runDirWriter(args['run-dir']) : undefined;
      const progress = args.json ? undefined : createProgress(`${spec.model} ${spec.source} → ${spec.target}`);
      const onEpoch = (event: EpochEvent): void => {
        if (args.json && args.events) process.stdout.write(`${JSON.stringify(event)}\n`);
        runDir?.epoch(event);
        progress?.epoch(event);
      };
      const result = await trainRun(spec, {
        onEpoch,
        ...(key ? { expectedKey: key } : {}),
        ...(args['checkpoint-dir'] ? { checkpointDir: args['checkpoint-dir'] } : {}),
        ...(args.datasets ? { resolve: { datasetsConfig: args.datasets } } : {}),
      });
      progress?.stop();
      const measured = withPeakRss(result);
      runDir?.result(measured);
      if (args.json) {
        process.stdout.write(`${JSON.stringify(measured)}\n`);
        return;
      }
      process.stdout.write(
        `best epoch ${result.bestEpoch}/${result.epochsRun} (${(result.durationMs / 1000).toFixed(1)} s, ${result.backend})\n` +
          `source valid (${metricSetLabel(result.valid)}): ${formatMetrics(result.valid)}\n` +
          (result.adaptation
            ? `target test before adaptation (${metricSetLabel(result.adaptation.sourceOnlyTest)}): ${formatMetrics(result.adaptation.sourceOnlyTest)}\n` +
              `adapted on: ${result.adaptation.inputs}\n`
            : '') +
          `target test (${metricSetLabel(result.test)}): ${formatMetrics(result.test)}\n` +
          (result.expertUsage ? `expert usage: ${result.expertUsage.map((u) => u.toFixed(3)).join(' ')}\n` : '') +
          `peak RSS ${measured.peakRssMb!.toFixed(0)} MiB\n`,
      );
    }),
};
