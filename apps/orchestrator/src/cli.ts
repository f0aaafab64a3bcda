import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { benchCommand } from './commands/bench';
import { dataCommand } from './commands/data';
import { dbCommand } from './commands/db';
import { evalCommand } from './commands/evaluate';
import { modelsCommand } from './commands/models';
import { queryCommand } from './commands/query';
import { sweepCommand } from './commands/sweep';
import { tablesCommand } from './commands/tables';
import { trainCommand } from './commands/train';
import './models';

await yargs(hideBin(process.argv))
  .scriptName('midg')
  .usage('$0 <command> [options]\n\nDomain generalization for multimodal sentiment analysis: MIDG and its baselines.')
  .command(dataCommand)
  .command(trainCommand)
  .command(evalCommand)
  .command(benchCommand)
  .command(modelsCommand)
  .command(sweepCommand)
  .command(queryCommand)
  .command(tablesCommand)
  .command(dbCommand)
  .example('$0 data inspect synth:mosi:tiny', 'look at a dataset')
  .example('$0 train --source synth:mosi:tiny --target synth:mosei:tiny', 'one cross-domain run')
  .example('$0 sweep --spec experiments/default.yaml', 'the default sweep (also: npx nx run orchestrator:sweep)')
  .example('$0 tables --table 1', 'Table 1 from the latest sweep')
  .demandCommand(1, 'choose a command')
  .strict()
  .recommendCommands()
  .fail((message, error) => {
    process.stderr.write(`midg: error: ${error?.message ?? message}\n`);
    process.exit(1);
  })
  .help()
  .alias('h', 'help')
  .wrap(Math.min(120, process.stdout.columns ?? 120))
  .parseAsync();
