import type { SweepMember } from '../db';
import { TABLE23_COLUMNS } from './cells';
import type { ResultTable } from './model';
import { buildModelsByPairs } from './table1';

// Table 3: methods × in-domain datasets, laid out as Table 1.

export function buildTable3(members: SweepMember[], sweep: string): ResultTable | undefined {
  return buildModelsByPairs(members, {
    name: 'table3',
    title: 'Table 3: In-domain results, trained and tested on the same dataset',
    crossDomain: false,
    columns: TABLE23_COLUMNS,
    sweep,
  });
}
