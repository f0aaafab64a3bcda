import type { Argv, CommandModule } from 'yargs';
import { copyResults, isPostgresUrl, openStore, redactUrl } from '../db';
import { runCommand } from '../errors';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

interface CopyArgs {
  from: string;
  to: string;
}

/** A database location for comparing two: a resolved file path, or the URL as given. */
function identity(location: string): string {
  return isPostgresUrl(location) ? location.replace(/\/+$/, '') : resolve(location);
}

const shown = (location: string): string => (isPostgresUrl(location) ? redactUrl(location) : location);

const copyCommand: CommandModule<object, CopyArgs> = {
  command: 'copy',
  describe: 'merge every sweep and run of one results database into another, by sweep name and run key (idempotent)',
  builder: (y: Argv) =>
    y
      .option('from', { type: 'string', demandOption: true, describe: 'source database: an SQLite file or a postgresql:// URL (read only)' })
      .option('to', { type: 'string', demandOption: true, describe: 'target database: an SQLite file (created if missing) or a postgresql:// URL' })
      .example('$0 db copy --from results/midg.sqlite --to postgresql://me@dbhost/midg', 'the laptop runs into the cluster database')
      .example('$0 db copy --from postgresql://me@dbhost/midg --to results/cluster.sqlite', 'a local copy of the cluster database') as unknown as Argv<CopyArgs>,
  handler: (args) =>
    runCommand(async () => {
      if (identity(args.from) === identity(args.to)) throw new Error('--from and --to are the same database');
      const from = await openStore(args.from, { readonly: true });
      try {
        const to = await openStore(args.to);
        try {
          const summary = await copyResults(from, to);
          const { sweeps, runs } = summary;
          process.stdout.write(
            `${shown(args.from)} → ${shown(args.to)}: ` +
              `runs ${runs.inserted} new, ${runs.replaced} upgraded, ${runs.unchanged} unchanged; ` +
              `sweeps ${sweeps.inserted} new, ${sweeps.unchanged} already there; ${summary.linksAdded} sweep links added\n`,
          );
        } finally {
          await to.close();
        }
      } finally {
        await from.close();
      }
    }),
};

interface MigrateArgs {
  db: string;
}

// Read-only commands (tables, query) never change a database, so a database from an older version is upgraded here.
const migrateCommand: CommandModule<object, MigrateArgs> = {
  command: 'migrate',
  describe: 'upgrade a results database to this version\'s schema (what opening it for writing does; idempotent)',
  builder: (y: Argv) =>
    y
      .option('db', { type: 'string', demandOption: true, describe: 'an SQLite file or a postgresql:// URL' })
      .example('$0 db migrate --db results/midg.sqlite', 'then midg tables / midg query read it') as unknown as Argv<MigrateArgs>,
  handler: (args) =>
    runCommand(async () => {
      if (!isPostgresUrl(args.db) && !existsSync(args.db)) throw new Error(`results database ${args.db} does not exist`);
      const store = await openStore(args.db);
      await store.close();
      process.stdout.write(`${shown(args.db)}: schema up to date\n`);
    }),
};

export const dbCommand: CommandModule = {
  command: 'db',
  describe: 'results database tools: copy (merge one database into another), migrate (upgrade an older database)',
  builder: (y: Argv) => y.command(copyCommand).command(migrateCommand).demandCommand(1, 'choose a db command: copy, migrate'),
  handler: () => {},
};
