import type { ConfigRecord, ConfigValue, EpochEvent, RunSpec, TrainResult } from '@midg/trainer';
import type {
  RunDetail,
  RunFailure,
  RunFilter,
  RunHostInfo,
  RunRecord,
  RunStatus,
  SqlResult,
  SweepMember,
  SweepOwner,
  SweepRecord,
  SweepStatus,
} from './records';

/**
 * How long a sweep's owner stays live without a heartbeat. Owners beat every LEASE/4; a sweep (or a run it claimed)
 * whose owner has been silent longer is taken over. Clocks of the hosts writing one store should agree to well
 * within this.
 */
export const SWEEP_LEASE_MS = 120_000;

export interface SweepStart {
  name: string;
  specPath: string;
  /** The spec as written, kept with the sweep. */
  spec: unknown;
  /** Which executor runs it this time (`local`, `slurm`); kept with the sweep. Default `local`. */
  executor?: string;
  /** The process starting it. Default: a new anonymous owner (a writer that never beats, e.g. a test fixture). */
  owner?: SweepOwner;
  /** How stale another owner's heartbeat must be before this start takes the sweep over (default SWEEP_LEASE_MS). */
  leaseMs?: number;
}

export interface StartedSweep {
  id: number;
  name: string;
  /** What the executor of an earlier process of this sweep saved (e.g. Slurm job ids); null when nothing was saved. */
  executorState: unknown;
}

/** The state of a run as the writer side sees it: enough to plan and claim. */
export interface RunState {
  id: number;
  key: string;
  status: RunStatus;
  attempts: number;
  /** The sweep that holds the run's claim, or null. */
  claimedBy: number | null;
}

export interface NewRun {
  key: string;
  spec: RunSpec;
  config: ConfigRecord;
  study: string;
  grid: Record<string, ConfigValue>;
}

export type MergeOutcome = 'inserted' | 'replaced' | 'unchanged';

export interface RunMerge {
  run: MergeOutcome;
  /** Sweep links the target did not have. */
  linksAdded: number;
}

/** Refused start: another live process runs the sweep. */
export class SweepBusyError extends Error {
  constructor(
    readonly sweep: string,
    readonly owner: SweepOwner,
    readonly lastSeen: Date,
  ) {
    const ago = Math.max(0, Math.round((Date.now() - lastSeen.getTime()) / 1000));
    super(
      `sweep ${sweep} is being run by another process (pid ${owner.pid} on ${owner.host}, last seen ${ago}s ago); ` +
        `wait for it to end, or stop it and run this again`,
    );
  }
}

/** A heartbeat refused: another process has taken the sweep over (this one must stop writing). */
export class SweepTakenOverError extends Error {
  constructor(readonly sweepId: number) {
    super(`sweep ${sweepId} was taken over by another process; this one stops`);
  }
}

/**
 * The writer side of the results store. The rules every implementation keeps (the shared suite in
 * testing/store-suite.ts checks them against each):
 *
 * 1. **Identity.** A run is its key: ensureRun never makes a second row for a key, however many sweeps or processes ask
 *    at once, and a (sweep, run, study) link exists once. A sweep is its name: startSweep under an existing name
 *    resumes that sweep (same id, links kept).
 * 2. **Atomicity.** Every method is one transaction: after a crash each write is there whole or not at all. Writes
 *    issued concurrently, from one process or many, never fail for being concurrent (they wait their turn).
 * 3. **One owner per sweep.** startSweep refuses (SweepBusyError) while the sweep is 'running' under another owner
 *    whose heartbeat is younger than the lease, unless that owner is a process of this host that no longer exists.
 *    The owner calls heartbeat(); finishSweep ends its ownership.
 * 4. **One writer per run.** Only the sweep holding a run's claim writes its attempts. claimRuns gives a sweep every
 *    listed run that is not done and is unclaimed, claimed by that sweep already, or claimed by a sweep that is not
 *    live (finished, or silent past the lease); a run left 'running' by a dead claimant goes back to 'pending'.
 *    Claims are taken row by row atomically, so two sweeps asking for the same run never both get it.
 * 5. **Attempts.** markRunning starts attempt n (clearing the last attempt's exit fields); recordEpoch logs under the
 *    run's current attempt, a repeated (attempt, epoch) replacing the earlier line; completeRun marks it done with its
 *    metrics, its test predictions and its worker's peak RSS (replacing any earlier ones; a malformed prediction set or
 *    RSS is kept as null, see runEvidenceOf) and drops the claim; failRun appends to the failure history and leaves the
 *    run 'pending' (a retry follows) or, when final, 'failed' without a claim.
 * 6. **Release.** releaseRuns(sweep) drops every claim of the sweep; its runs still 'running' go back to 'pending'.
 * 7. **Merging** (midg db copy): mergeSweep adds a sweep by name if missing; mergeRun adds a run by key if missing,
 *    replaces it when the incoming outcome ranks higher (done > failed > pending or running), and otherwise changes
 *    nothing but adding missing links; merging the same data twice changes nothing. A run is carried whole: its
 *    metrics, epochs, artifacts, test predictions and peak RSS.
 */
export interface ResultsWriter {
  startSweep(input: SweepStart): Promise<StartedSweep>;
  /** Keeps the owner live (rule 3); SweepTakenOverError when another process owns the sweep now. */
  heartbeat(sweepId: number, owner: SweepOwner): Promise<void>;
  /** Keeps what the executor needs to find its work again after a crash (e.g. Slurm job ids) with the sweep. */
  saveExecutorState(sweepId: number, state: unknown): Promise<void>;
  finishSweep(sweepId: number, status: Exclude<SweepStatus, 'running'>): Promise<void>;
  /** Ensures a run row for key exists (status 'pending' when new) and links it to the sweep; returns its state. */
  ensureRun(sweepId: number, run: NewRun): Promise<RunState>;
  /** Claims what it can of runIds for the sweep (rule 4); returns the ids claimed. */
  claimRuns(sweepId: number, runIds: readonly number[], options?: { leaseMs?: number }): Promise<number[]>;
  runStates(runIds: readonly number[]): Promise<RunState[]>;
  markRunning(runId: number, attempt: number, info: RunHostInfo): Promise<void>;
  recordEpoch(runId: number, event: EpochEvent): Promise<void>;
  completeRun(runId: number, result: TrainResult): Promise<void>;
  failRun(runId: number, failure: RunFailure): Promise<void>;
  /** Rule 6; returns how many runs went back to 'pending'. */
  releaseRuns(sweepId: number): Promise<number>;
  mergeSweep(sweep: SweepRecord): Promise<'inserted' | 'unchanged'>;
  /** The run's sweeps must be there (mergeSweep first). */
  mergeRun(detail: RunDetail): Promise<RunMerge>;
}

/** The reader side: what `midg query`, `midg tables` and `midg db copy` read. */
export interface ResultsReader {
  /** Where the store is, fit to print: a file path, or a URL without its password. */
  readonly location: string;
  /** @deprecated The same as location; kept until every caller reads location. */
  readonly file: string;
  listSweeps(): Promise<SweepRecord[]>;
  /** The named sweep, or the most recently started one when name is undefined; undefined when there is none. */
  findSweep(name?: string): Promise<SweepRecord | undefined>;
  /** Every (run, study) link of a sweep, runs with their metrics; ordered by run id. */
  sweepMembers(sweepId: number): Promise<SweepMember[]>;
  /** Runs matching every given filter, oldest first, with their metrics. */
  findRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /** One run by id or key (or a unique key prefix of at least 4 characters), with everything recorded about it. */
  getRunDetail(ref: string): Promise<RunDetail | undefined>;
  /** Every run with everything about it, oldest first, a chunk at a time. */
  exportRuns(): AsyncIterable<RunDetail>;
  /** One statement that only reads (SELECT, WITH ... SELECT), in a read-only transaction; anything else is refused. */
  sql(statement: string): Promise<SqlResult>;
  /** Names of the schema migrations applied, oldest first (none for a store without a schema). */
  appliedMigrations(): Promise<string[]>;
  close(): Promise<void>;
}

export interface ResultsStore extends ResultsReader, ResultsWriter {}

export interface OpenOptions {
  /** Open an existing store for reading only (no migration, no file created; writes fail). */
  readonly?: boolean;
}
