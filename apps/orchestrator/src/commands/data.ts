import type { CommandModule } from 'yargs';

// Filled in by the data-layer work: `midg data inspect <dataset>` and `midg data synth`.
export const dataCommand: CommandModule = {
  command: 'data <command>',
  describe: 'inspect datasets and write the synthetic benchmark',
  builder: (y) => y.demandCommand(1),
  handler: () => {},
};
