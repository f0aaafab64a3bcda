import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { dataCommand } from './commands/data';
import { queryCommand } from './commands/query';
import { sweepCommand } from './commands/sweep';
import { tablesCommand } from './commands/tables';

await yargs(hideBin(process.argv))
  .scriptName('midg')
  .usage('$0 <command> [options]\n\nDomain generalization for multimodal sentiment analysis: MIDG and its baselines.')
  .command(dataCommand)
  .command(sweepCommand)
  .command(queryCommand)
  .command(tablesCommand)
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
