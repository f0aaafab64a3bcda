import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_SYNTHETIC_SEED, SYNTHETIC_DOMAINS, SYNTHETIC_PRESETS, generateSyntheticDomain, inspectDataset, resolveDataset, writeMmsa, type SyntheticPreset } from '@midg/features';
import { runCommand } from '../errors';

interface InspectArgs {
  dataset: string;
  datasets?: string;
}

interface SynthArgs {
  preset: string;
  out: string;
  seed: number;
  force: boolean;
}

const inspectCommand: CommandModule<object, InspectArgs> = {
  command: 'inspect <dataset>',
  describe: 'per split: count, shapes, true-length stats, label range/mean/std, NaN/inf counts',
  builder: (y: Argv) =>
    y
      .positional('dataset', { type: 'string', demandOption: true, describe: 'synth:<domain>[:<preset>], mmsa:<path> or an alias' })
      .option('datasets', { type: 'string', describe: 'datasets config file for aliases (default: $MIDG_DATASETS, else ./datasets.yaml)' })
      .example('$0 data inspect mmsa:packages/features/src/pickle/fixtures/mmsa-tiny-unaligned.pkl', 'an MMSA pickle written by numpy (a test fixture)')
      .example('$0 data inspect synth:mosei:paper', 'the paper-sized synthetic MOSEI domain') as unknown as Argv<InspectArgs>,
  handler: (args) =>
    runCommand(() => {
      const dataset = resolveDataset(args.dataset, args.datasets ? { datasetsConfig: args.datasets } : {});
      process.stdout.write(`${inspectDataset(dataset)}\n`);
    }),
};

const synthCommand: CommandModule<object, SynthArgs> = {
  command: 'synth',
  describe: 'write the synthetic MOSI/MOSEI/SIMS domains as MMSA pickles (<out>/<domain>.pkl)',
  builder: (y: Argv) =>
    y
      .option('preset', { type: 'string', default: 'tiny', choices: Object.keys(SYNTHETIC_PRESETS), describe: 'sizes and feature dims: tiny (8 steps, dims 32/12/10), paper (50 steps, 768/74/35, MMSA split sizes) or v2 (tiny\'s dims, 8 speaker-like groups per split, test 2000; docs/synthetic-benchmark.md)' })
      .option('out', { type: 'string', demandOption: true, describe: 'output directory' })
      .option('seed', { type: 'number', default: DEFAULT_SYNTHETIC_SEED, describe: 'seed of the generator (the default is the one synth:<domain> names use)' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite existing files' })
      .example('$0 data synth --preset tiny --out data/synth-tiny', 'then: midg data inspect mmsa:data/synth-tiny/mosi.pkl') as unknown as Argv<SynthArgs>,
  handler: (args) =>
    runCommand(() => {
      const targets = SYNTHETIC_DOMAINS.map((domain) => ({ domain, file: join(args.out, `${domain}.pkl`) }));
      const existing = targets.filter((t) => existsSync(t.file)).map((t) => t.file);
      if (existing.length > 0 && !args.force) throw new Error(`refusing to overwrite ${existing.join(', ')} (pass --force)`);
      mkdirSync(args.out, { recursive: true });
      // All domains go to a staging directory first, so a failure never leaves a partial set behind.
      const staging = join(args.out, `.synth-${process.pid}`);
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging);
      try {
        for (const { domain } of targets) {
          const dataset = generateSyntheticDomain(domain, { preset: args.preset as SyntheticPreset, seed: args.seed });
          writeMmsa(dataset, join(staging, `${domain}.pkl`));
        }
        for (const name of readdirSync(staging)) renameSync(join(staging, name), join(args.out, name));
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
      for (const { file } of targets) process.stdout.write(`wrote ${file}\n`);
    }),
};

export const dataCommand: CommandModule = {
  command: 'data <command>',
  describe: 'inspect datasets and write the synthetic benchmark',
  builder: (y) => y.command(inspectCommand).command(synthCommand).demandCommand(1, 'choose a data command: inspect or synth'),
  handler: () => {},
};
