import type { Argv, CommandModule } from 'yargs';
import { useBackend } from '@midg/backend';
import { REFERENCE_SHAPES, benchmarkTrainingStep, getModel } from '@midg/trainer';
import { runCommand } from '../errors';
import { backendOption } from '../options';
import { parseSetPairs } from './train';

interface BenchArgs {
  model: string;
  batch: number;
  steps: number;
  warmup: number;
  threads: number;
  set: string[];
  backend?: string;
  json: boolean;
}

const REFERENCE_MODEL = { hiddenDim: 64, heads: 4, experts: 4 };

export const benchCommand: CommandModule<object, BenchArgs> = {
  command: 'bench',
  describe: 'measure training-step throughput (samples/s) at the reference configuration',
  builder: (y: Argv) =>
    y
      .option('model', { type: 'string', default: 'midg', describe: 'model to time (see `midg models`)' })
      .option('batch', { type: 'number', default: 32, describe: 'samples per training step' })
      .option('steps', { type: 'number', default: 20, describe: 'timed steps' })
      .option('warmup', { type: 'number', default: 3, describe: 'untimed steps first (kernel set-up, optimizer slots)' })
      .option('threads', { type: 'number', default: 1, describe: 'wasm threads' })
      .option('set', { type: 'string', array: true, default: [], describe: 'config override key=value (repeatable)' })
      .option('backend', backendOption())
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
      .example('$0 bench --model midg', 'batch 32; text 50×768, audio 50×74, vision 50×35; d=64, 4 heads, K=4') as unknown as Argv<BenchArgs>,
  handler: (args) =>
    runCommand(async () => {
      const backend = await useBackend(args.backend, { threads: args.threads });
      // The reference sizes, for the keys this model has (a baseline may have no experts).
      const known = getModel(args.model).config.defaults;
      const reference = Object.entries(REFERENCE_MODEL).filter(([key]) => key in known);
      const overrides = { ...Object.fromEntries(reference), ...parseSetPairs(args.set) };
      const result = await benchmarkTrainingStep({
        model: args.model,
        overrides,
        batchSize: args.batch,
        shapes: REFERENCE_SHAPES,
        warmupSteps: args.warmup,
        timedSteps: args.steps,
      });
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ model: args.model, threads: args.threads, ...result })}\n`);
        return;
      }
      process.stdout.write(
        `${args.model} training step on ${backend} (${args.threads} thread${args.threads === 1 ? '' : 's'}), batch ${result.batchSize}, ` +
          `text 50×768 / audio 50×74 / vision 50×35: ${result.samplesPerSecond.toFixed(1)} samples/s ` +
          `(${result.msPerStep.toFixed(1)} ms/step over ${result.steps} steps)\n`,
      );
    }),
};
