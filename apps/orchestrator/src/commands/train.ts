import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { useBackend } from '@midg/backend';
import { trainRun, type ConfigRecord, type EpochEvent, type RunSpec } from '@midg/trainer';
import { runCommand } from '../errors';
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

function readRunSpec(file: string): RunSpec {
  const spec = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunSpec>;
  for (const key of ['model', 'source', 'target'] as const) {
    if (typeof spec[key] !== 'string') throw new Error(`run spec ${file}: "${key}" must be a string`);
  }
  if (typeof spec.seed !== 'number') throw new Error(`run spec ${file}: "seed" must be a number`);
  return { model: spec.model!, source: spec.source!, target: spec.target!, seed: spec.seed, overrides: spec.overrides ?? {} };
}

export function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([name, value]) => `${name}=${value.toFixed(4)}`)
    .join('  ');
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'train one model on a source dataset and report target test metrics',
  builder: (y: Argv) =>
    y
      .option('model', { type: 'string', default: 'midg', describe: 'model name (see `midg models`)' })
      .option('source', { type: 'string', describe: 'training dataset (synth:mosi:tiny, mmsa:<path>, or an alias); a+b pools several sources' })
      .option('target', { type: 'string', describe: 'evaluation dataset (defaults to the source)' })
      .option('seed', { type: 'number', default: 1111 })
      .option('set', { type: 'string', array: true, default: [], describe: 'config override key=value (repeatable)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON result object' })
      .option('events', { type: 'boolean', default: false, describe: 'with --json: one JSON line per epoch first' })
      .option('run-spec', { type: 'string', describe: 'read model/source/target/seed/overrides from a JSON RunSpec file' })
      .option('checkpoint-dir', { type: 'string', describe: 'write the selected checkpoint here (atomically)' })
      .option('datasets', { type: 'string', describe: 'datasets config file for aliases (default: ./datasets.yaml)' })
      .option('backend', { type: 'string', describe: 'tensor backend: wasm (default), cpu, tensorflow; or MIDG_BACKEND' })
      .example('$0 train --source synth:mosi:tiny --target synth:mosei:tiny --seed 1', 'cross-domain on the synthetic benchmark')
      .example('$0 train --source mmsa:../shared/data/mosi-bclstm/mosi_bclstm.pkl --json', 'in-domain on real MOSI features')
      .example('$0 train --source synth:mosi --set ablation=no-moie --set modalities=ta', 'an ablation')
      .example('$0 train --source synth:mosi:tiny+synth:sims:tiny --target synth:mosei:tiny --set domainLabels=source', 'two sources, source-id domain labels') as unknown as Argv<TrainArgs>,
  handler: (args) =>
    runCommand(async () => {
      const spec: RunSpec = args['run-spec']
        ? readRunSpec(args['run-spec'])
        : (() => {
            if (!args.source) throw new Error('train needs --source (or --run-spec)');
            return { model: args.model, source: args.source, target: args.target ?? args.source, seed: args.seed, overrides: parseSetPairs(args.set) };
          })();
      const backend = await useBackend(args.backend);
      const progress = args.json ? undefined : createProgress(`${spec.model} ${spec.source} → ${spec.target}`);
      const onEpoch = (event: EpochEvent): void => {
        if (args.json && args.events) process.stdout.write(`${JSON.stringify(event)}\n`);
        progress?.epoch(event);
      };
      const result = await trainRun(spec, backend, {
        onEpoch,
        ...(args['checkpoint-dir'] ? { checkpointDir: args['checkpoint-dir'] } : {}),
        ...(args.datasets ? { resolve: { datasetsConfig: args.datasets } } : {}),
      });
      progress?.stop();
      if (args.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      process.stdout.write(
        `best epoch ${result.bestEpoch}/${result.epochsRun} (${(result.durationMs / 1000).toFixed(1)} s, ${result.backend})\n` +
          `source valid: ${formatMetrics(result.valid)}\n` +
          `target test:  ${formatMetrics(result.test)}\n` +
          (result.expertUsage ? `expert usage: ${result.expertUsage.map((u) => u.toFixed(3)).join(' ')}\n` : ''),
      );
    }),
};
