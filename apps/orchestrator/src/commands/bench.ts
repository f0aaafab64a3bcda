import type { Argv, CommandModule } from 'yargs';
import { useBackend } from '@midg/backend';
import { REFERENCE_SHAPES, benchmarkTrainingStep } from '@midg/trainer';
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
      .example('$0 bench --model midg', 'batch 32; text 50×768, audio 50×74, vision 50×35; the model\'s default config') as unknown as Argv<BenchArgs>,
  handler: (args) =>
    runCommand(async () => {
      const backend = await useBackend(args.backend, { threads: args.threads });
      // Each model at its own defaults (MIDG's are the reference d=64, 4 heads, K=4); the input shapes are the paper's.
      const overrides = parseSetPairs(args.set);
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
