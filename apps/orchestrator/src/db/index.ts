import { openStore } from './open';
import type { OpenOptions, ResultsStore as Store } from './store';

export * from './records';
export { SweepBusyError, SweepTakenOverError, SWEEP_LEASE_MS } from './store';
export type { MergeOutcome, NewRun, OpenOptions, ResultsReader, ResultsWriter, RunMerge, RunState, StartedSweep, SweepStart } from './store';
export { openStore } from './open';
export { copyResults, type CopySummary } from './copy';
export { currentOwner, ownerIsLive } from './lease';
export { MemoryStore } from './memory/store';
export { SqliteStore } from './sqlite/store';
export { PostgresStore, isPostgresUrl, redactUrl } from './postgres/store';
export { runReadOnlySql } from './sqlite/sql';

/**
 * `ResultsStore.open(location)`, kept for callers written before openStore; ResultsStore is otherwise the interface
 * (store.ts). New code calls openStore.
 */
export type ResultsStore = Store;
// eslint-disable-next-line @typescript-eslint/no-redeclare
export const ResultsStore = {
  open: (location: string, options?: OpenOptions): Promise<Store> => openStore(location, options),
};
