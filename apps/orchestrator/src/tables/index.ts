import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResultsStore, SweepMember, SweepRecord } from '../db';
import { buildAllTables } from './build';
import { FILE_EXTENSION, TABLE_FORMATS, renderTable } from './render';

export { buildAllTables, buildGridTable, buildTable1, buildTable2, buildTable3, gridKeyGroups } from './build';
export { renderTable, renderTables, TABLE_FORMATS, type TableFormat } from './render';
export { compareWithRow, hasRow, missingRowError, SIGNIFICANCE_LEVEL, SIGNIFICANCE_MARK } from './compare';
export type { ResultTable } from './model';

/** The named sweep (or the latest one) and its members; a missing sweep is an error naming what exists. */
export async function loadSweep(store: ResultsStore, name: string | undefined): Promise<{ sweep: SweepRecord; members: SweepMember[] }> {
  const sweep = await store.findSweep(name);
  if (!sweep) {
    const known = (await store.listSweeps()).map((s) => s.name);
    throw new Error(
      name === undefined
        ? `results database ${store.file} has no sweeps yet`
        : `no sweep "${name}" in ${store.file}; sweeps: ${known.join(', ') || '(none)'}`,
    );
  }
  return { sweep, members: await store.sweepMembers(sweep.id) };
}

/** Writes every table the sweep has runs for as .md, .csv and .tex files in outDir; returns their paths. */
export async function writeSweepTables(store: ResultsStore, sweep: string | undefined, outDir: string): Promise<string[]> {
  const { sweep: record, members } = await loadSweep(store, sweep);
  mkdirSync(outDir, { recursive: true });
  const paths: string[] = [];
  for (const table of buildAllTables(members, record.name)) {
    for (const format of TABLE_FORMATS) {
      const path = join(outDir, `${table.name}.${FILE_EXTENSION[format]}`);
      writeFileSync(path, renderTable(table, format));
      paths.push(path);
    }
  }
  return paths;
}
