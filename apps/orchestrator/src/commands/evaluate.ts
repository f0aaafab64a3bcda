import type { Argv, CommandModule } from 'yargs';
import { useBackend } from '@midg/backend';
import { evaluateCheckpoint } from '@midg/trainer';
import { runCommand } from '../errors';
import { backendOption } from '../options';
import { formatMetrics } from './train';

interface EvalArgs {
  checkpoint: string;
  target?: string;
  split: 'train' | 'valid' | 'test';
  datasets?: string;
  backend?: string;
  json: boolean;
}

export const evalCommand: CommandModule<object, EvalArgs> = {
  command: 'eval <checkpoint>',
  describe: 'evaluate a saved checkpoint (default: its run target test split)',
  builder: (y: Argv) =>
    y
      .positional('checkpoint', { type: 'string', demandOption: true, describe: 'directory written by train --checkpoint-dir' })
      .option('target', { type: 'string', describe: 'dataset to evaluate on (default: the run target)' })
      .option('split', { type: 'string', choices: ['train', 'valid', 'test'] as const, default: 'test' as const, describe: 'which split of the dataset to score' })
      .option('datasets', { type: 'string', describe: 'datasets config file for aliases (default: $MIDG_DATASETS, else ./datasets.yaml)' })
      .option('backend', backendOption())
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
      .example(
        '$0 eval results/checkpoints/mosi --target synth:sims:tiny',
        'score on another domain the run saved by: midg train --source synth:mosi:tiny --checkpoint-dir results/checkpoints/mosi',
      ) as unknown as Argv<EvalArgs>,
  handler: (args) =>
    runCommand(async () => {
      await useBackend(args.backend);
      const evaluation = await evaluateCheckpoint(args.checkpoint, {
        split: args.split,
        ...(args.target ? { target: args.target } : {}),
        ...(args.datasets ? { resolve: { datasetsConfig: args.datasets } } : {}),
      });
      process.stdout.write(
        args.json
          ? `${JSON.stringify(evaluation)}\n`
          : `${evaluation.target} ${evaluation.split} (${evaluation.metricFamily === 'sims' ? 'SIMS' : 'MOSI/MOSEI'} metrics): ${formatMetrics(evaluation.metrics)}\n`,
      );
    }),
};
