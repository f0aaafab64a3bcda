import type { SweepMember } from '../db';
import { buildGridTable, gridKeyGroups } from './grid';
import type { ResultTable } from './model';
import { buildTable1 } from './table1';
import { buildTable2 } from './table2';
import { buildTable3 } from './table3';

// Builds the paper's tables from a sweep's runs. Only finished ('done') runs contribute numbers; every run of a
// table that is not done is named in the table's notes, and methods or pairs without any finished run are left out.
//
// The parts: grouping.ts (which runs form a cell or row), cells.ts (mean ± std cells, best marks), notes.ts (what a
// table says under it), labels.ts (dataset and pair labels), variants.ts (the config keys Table 2 varies), and a
// file per table: table1.ts (cross-domain), table2.ts (ablations), table3.ts (in-domain), grid.ts (swept keys).

export { buildGridTable, gridKeyGroups } from './grid';
export { meanValidMae } from './grouping';
export { datasetLabeler } from './labels';
export { buildTable1 } from './table1';
export { buildTable2 } from './table2';
export { buildTable3 } from './table3';
export { ablationOf, modalitiesOf } from './variants';

/** Every table the sweep has runs for: 1, 2, 3, then a grid per swept key group. */
export function buildAllTables(members: SweepMember[], sweep: string): ResultTable[] {
  return [
    buildTable1(members, sweep),
    buildTable2(members, sweep),
    buildTable3(members, sweep),
    ...gridKeyGroups(members).map((keys) => buildGridTable(members, keys, sweep)),
  ].filter((table): table is ResultTable => table !== undefined);
}
