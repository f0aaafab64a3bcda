import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { openStore, type ResultsStore, type SweepMember } from '../db';
import { runCommand } from '../errors';
import {
  buildGridTable,
  buildTable1,
  buildTable2,
  buildTable3,
  compareWithRow,
  gridKeyGroups,
  hasRow,
  loadSweep,
  missingRowError,
  renderTables,
  writeSweepTables,
  type ResultTable,
  type TableFormat,
} from '../tables';

type TableChoice = '1' | '2' | '3' | 'grid';

interface TablesArgs {
  db: string;
  sweep?: string;
  table?: TableChoice;
  keys?: string;
  format: TableFormat;
  compare?: string;
  out?: string;
  'out-dir'?: string;
}

const WHAT: Record<Exclude<TableChoice, 'grid'>, string> = {
  '1': 'cross-domain runs with ablation none and all modalities (tav)',
  '2': 'ablation or modality-ablation runs',
  '3': 'in-domain runs (source = target) with ablation none and all modalities',
};

function gridTables(members: SweepMember[], keys: string | undefined, sweep: string): ResultTable[] {
  const available = gridKeyGroups(members);
  const wanted = keys === undefined ? available : [keys.split(',').map((key) => key.trim()).filter(Boolean)];
  const tables = wanted.map((group) => buildGridTable(members, group, sweep)).filter((table): table is ResultTable => table !== undefined);
  if (tables.length === 0) {
    const listed = available.map((group) => group.join(',')).join('; ') || 'none';
    throw new Error(`sweep ${sweep} has no grid${keys ? ` over ${keys}` : ''}; its swept key groups: ${listed}`);
  }
  return tables;
}

function buildRequested(choice: TableChoice, members: SweepMember[], keys: string | undefined, sweep: string): ResultTable[] {
  if (choice === 'grid') return gridTables(members, keys, sweep);
  const table = { '1': buildTable1, '2': buildTable2, '3': buildTable3 }[choice](members, sweep);
  if (!table) throw new Error(`sweep ${sweep} has no ${WHAT[choice]}, so Table ${choice} is empty`);
  return [table];
}

export const tablesCommand: CommandModule<object, TablesArgs> = {
  command: 'tables',
  describe: "build the paper's tables (mean ± std over seeds) from the results database",
  builder: (y: Argv) =>
    y
      .option('db', { type: 'string', default: 'results/midg.sqlite', describe: 'results database: an SQLite file or a postgresql:// URL' })
      .option('sweep', { type: 'string', describe: 'sweep name (default: the latest started sweep)' })
      .option('table', { type: 'string', choices: ['1', '2', '3', 'grid'] as const, describe: '1: domain generalization, 2: ablations, 3: in-domain, grid: a swept key' })
      .option('keys', { type: 'string', describe: 'with --table grid: the swept keys, e.g. alpha,beta or experts (default: every grid)' })
      .option('format', { choices: ['md', 'latex', 'csv'] as const, default: 'md' as const, describe: 'Markdown, LaTeX or CSV' })
      .option('compare', {
        type: 'string',
        describe: 'mark (*) each value that differs from this row (a model, ablation, modality or grid setting) at p < 0.05: paired sign-flip test over seeds',
      })
      .option('out', { type: 'string', describe: 'write to this file instead of stdout' })
      .option('out-dir', { type: 'string', describe: 'write every table as .md, .csv and .tex files here' })
      .conflicts('out-dir', ['table', 'out', 'keys', 'compare'])
      .check((args) => {
        if (args.table === undefined && args['out-dir'] === undefined) throw new Error('choose --table 1|2|3|grid, or --out-dir for all tables');
        if (args.keys !== undefined && args.table !== 'grid') throw new Error('--keys goes with --table grid');
        return true;
      })
      .example('$0 tables --table 1', 'Table 1 of the latest sweep, as Markdown')
      .example('$0 tables --sweep paper --table 2 --format latex --out table2.tex', 'the ablation table for a paper')
      .example('$0 tables --table grid --keys alpha,beta', 'target ACC/MAE over the alpha × beta grid')
      .example('$0 tables --table 1 --compare late-fusion', 'mark the values that differ significantly from late fusion')
      .example('$0 tables --out-dir results/tables', 'every table in every format') as unknown as Argv<TablesArgs>,
  handler: (args) =>
    runCommand(async () => {
      // The tables module still types its store as ResultsStore; it only reads.
      const store = (await openStore(args.db, { readonly: true })) as ResultsStore;
      try {
        if (args['out-dir'] !== undefined) {
          const paths = await writeSweepTables(store, args.sweep, args['out-dir']);
          process.stdout.write(paths.length > 0 ? `${paths.join('\n')}\n` : '');
          if (paths.length === 0) process.stderr.write('no finished or planned runs to tabulate in this sweep\n');
          return;
        }
        const { sweep, members } = await loadSweep(store, args.sweep);
        const built = buildRequested(args.table!, members, args.keys, sweep.name);
        const compare = args.compare;
        // Of several grids, those that have the row are compared; a row no table has is an error naming the rows.
        const comparable = compare === undefined ? [] : built.filter((table) => hasRow(table, compare));
        if (compare !== undefined && comparable.length === 0) throw missingRowError(built, compare);
        const tables = compare === undefined ? built : built.map((table) => (comparable.includes(table) ? compareWithRow(table, compare) : table));
        const text = renderTables(tables, args.format);
        if (args.out === undefined) {
          process.stdout.write(text);
        } else {
          mkdirSync(dirname(args.out), { recursive: true });
          writeFileSync(args.out, text);
        }
      } finally {
        await store.close();
      }
    }),
};
