import type { EpochEvent, TrainResult } from '@midg/trainer';
import type { PlannedRun } from '../expand';

// The seam between a sweep and where its runs execute, shaped like Hydra's launcher: the runner (runner.ts) decides
// what runs and keeps retries, counts, progress and every store write; an executor only runs a batch of attempts
// and tells what happened, as events. One file (or folder) per executor: local.ts, slurm/.

/** One attempt of one planned run. */
export interface LaunchItem {
  run: PlannedRun;
  /** The attempt number (1 for a run's first). */
  attempt: number;
}

/** How an attempt ended. */
export type ExecutorOutcome =
  | { ok: true; result: TrainResult; durationMs: number }
  | {
      ok: false;
      exitCode: number | null;
      signal: string | null;
      /** The end of what the attempt wrote to stderr (and, on a cluster, the scheduler's own messages). */
      stderrTail: string;
      durationMs: number;
      /** The cause in one line when the executor knows it (`slurm TIMEOUT: ...`); else the exit code and stderr tell. */
      reason?: string;
    };

export type ExecutorEvent =
  /** The attempt began executing (a queued Slurm task started). `attempt` may be an earlier process's (Slurm reattach). */
  | { kind: 'started'; key: string; attempt: number }
  | { kind: 'epoch'; key: string; attempt: number; event: EpochEvent }
  /**
   * The attempt ended. `earlier` marks an attempt of an earlier process of the sweep that ended unwatched (the host
   * was killed): it is recorded, but does not use up one of this process's tries.
   */
  | { kind: 'finished'; key: string; attempt: number; outcome: ExecutorOutcome; earlier?: boolean }
  /** Something the user should see (a submission, a reattach), one line. */
  | { kind: 'note'; message: string };

export interface LaunchContext {
  /** The sweep's name (Slurm names its jobs after it). */
  sweep: string;
  /**
   * Aborted when the sweep is interrupted (Ctrl-C, SIGTERM): the executor stops what it started (kills its processes,
   * cancels its jobs) and ends without a 'finished' event for the attempts it stopped. Ending the iteration early
   * without an abort (the runner failed) leaves work that can be found again, where the executor can (Slurm jobs).
   */
  signal: AbortSignal;
  /** What this executor saved for this sweep, in this process or an earlier one; null when nothing. */
  savedState: unknown;
  /** Saves state with the sweep in the results store, so that a rerun after a crash finds the work again. */
  saveState(state: unknown): Promise<void>;
}

export interface Executor {
  /** `local`, `slurm`: stored with the sweep. */
  readonly name: string;
  /** How many attempts run at once, for the ETA. */
  readonly slots: number;
  /**
   * Runs every item of the batch and yields their events: for each item, 'started' before its 'epoch's, then exactly
   * one 'finished' (unless the launch is aborted). Events of different items interleave.
   */
  launch(batch: readonly LaunchItem[], context: LaunchContext): AsyncIterable<ExecutorEvent>;
}

/** The run-spec file a worker reads: the planned spec and the planned key (the worker refuses a key that differs). */
export function runSpecJson(run: PlannedRun): string {
  return `${JSON.stringify({ ...run.spec, key: run.key })}\n`;
}
