import type { CommandModule } from 'yargs';
import { listModels } from '@midg/trainer';
import { runCommand } from '../errors';

export const modelsCommand: CommandModule<object, { json: boolean }> = {
  command: 'models',
  describe: 'list the registered models and their default config',
  builder: (y) => y.option('json', { type: 'boolean', default: false }),
  handler: (args) =>
    runCommand(() => {
      const models = listModels();
      if (args.json) {
        process.stdout.write(`${JSON.stringify(models.map((m) => ({ name: m.name, description: m.description, defaults: m.config.defaults })))}\n`);
        return;
      }
      for (const model of models) {
        const defaults = Object.entries(model.config.defaults).map(([key, value]) => `${key}=${String(value)}`);
        process.stdout.write(`${model.name}: ${model.description}\n  defaults: ${defaults.join(' ')}\n`);
      }
    }),
};
