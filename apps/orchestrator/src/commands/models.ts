import type { CommandModule } from 'yargs';
import { TRAINING_SCHEMA, TRAINING_CONFIG_DEFAULTS, listModels, type ConfigSchema } from '@midg/trainer';
import { runCommand } from '../errors';

function keyLines(schema: ConfigSchema, defaults: Record<string, unknown>): string[] {
  return Object.entries(schema).map(([key, rule]) => `    ${key} = ${String(defaults[key])}  (${rule.allowed}${rule.variant ? '; a variant' : ''})`);
}

export const modelsCommand: CommandModule<object, { json: boolean; keys: boolean }> = {
  command: 'models',
  describe: 'list the registered models, their config keys, defaults and allowed values',
  builder: (y) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON array' })
      .option('keys', { type: 'boolean', default: false, describe: "also list the trainer's keys every model shares" }),
  handler: (args) =>
    runCommand(() => {
      const models = listModels();
      if (args.json) {
        const describe = (schema: ConfigSchema) => Object.fromEntries(Object.entries(schema).map(([key, rule]) => [key, rule.allowed]));
        const rows = models.map((m) => ({
          name: m.name,
          description: m.description,
          usesTargetInputs: Boolean(m.usesTargetInputs),
          defaults: m.config.defaults,
          datasets: m.config.datasets,
          allowed: describe(m.schema),
        }));
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      for (const model of models) {
        const defaults = { ...TRAINING_CONFIG_DEFAULTS, ...model.config.defaults };
        const sections = Object.keys(model.config.datasets);
        process.stdout.write(
          `${model.name}: ${model.description}${model.usesTargetInputs ? ' [uses unlabeled target inputs]' : ''}\n` +
            `  keys (default, allowed):\n${keyLines(model.schema, defaults).join('\n')}\n` +
            (sections.length > 0 ? `  per-dataset sections: ${sections.join(', ')}\n` : ''),
        );
      }
      if (args.keys) process.stdout.write(`training keys (every model):\n${keyLines(TRAINING_SCHEMA, TRAINING_CONFIG_DEFAULTS).join('\n')}\n`);
    }),
};
