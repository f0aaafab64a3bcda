import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResultsStore, RunHostInfo } from '../db';
import type { PlannedRun } from './expand';
import { runWorker, type WorkerOutcome } from './worker';

/** The part of the results store a sweep writes through (an in-memory recorder stands in for it in tests). */
export type SweepStore = Pick<
  ResultsStore,
  'startSweep' | 'finishSweep' | 'ensureRun' | 'markRunning' | 'recordEpoch' | 'completeRun' | 'failRun' | 'resetInterruptedRuns'
>;

export type SweepEndStatus = 'done' | 'failed' | 'interrupted';

export interface SweepCounts {
  total: number;
  done: number;
  failed: number;
  running: number;
  /** Not yet done or finally failed (the running ones included). */
  left: number;
  workers: number;
  /** Mean wall time of the attempts that ended in this sweep; undefined before the first. */
  meanAttemptMs: number | undefined;
}

export type SweepEvent =
  | { kind: 'start'; counts: SweepCounts; alreadyDone: number }
  | { kind: 'started'; counts: SweepCounts; run: PlannedRun; attempt: number }
  | { kind: 'finished'; counts: SweepCounts; run: PlannedRun; attempt: number; outcome: 'done' | 'retry' | 'failed'; durationMs: number; reason?: string }
  | { kind: 'end'; counts: SweepCounts; status: SweepEndStatus };

export interface SweepOptions {
  name: string;
  specPath: string;
  /** The spec as written, stored with the sweep. */
  spec: unknown;
  runs: PlannedRun[];
  workers: number;
  /** Extra attempts for a failed run. */
  retries: number;
  workerCommand: readonly string[];
  /** Each run's checkpoint goes to `<checkpointRoot>/<run key>`. */
  checkpointRoot?: string;
  datasets?: string;
  host: RunHostInfo;
  /** Aborting stops the sweep: workers are killed and their runs go back to 'pending'. */
  signal?: AbortSignal;
  onEvent?: (event: SweepEvent) => void;
}

export interface RunFailureSummary {
  run: PlannedRun;
  attempts: number;
  reason: string;
}

export interface SweepSummary {
  sweepId: number;
  status: SweepEndStatus;
  total: number;
  /** Done before this sweep started (skipped). */
  alreadyDone: number;
  done: number;
  failed: RunFailureSummary[];
}

interface Job {
  run: PlannedRun;
  runId: number;
  attempt: number;
  /** Attempts left in this sweep, this one included. */
  triesLeft: number;
}

/** `exit 3: midg: error: ...` or `killed by SIGKILL`: why an attempt failed, in one line. */
export function failureReason(outcome: Extract<WorkerOutcome, { ok: false }>): string {
  const lastLine = outcome.stderrTail.trim().split('\n').pop()?.trim() ?? '';
  const how = outcome.signal ? `killed by ${outcome.signal}` : `exit ${outcome.exitCode ?? '?'}`;
  return lastLine ? `${how}: ${lastLine}` : how;
}

/**
 * Runs a sweep: links every planned run to it, skips runs already done, puts runs a killed sweep left 'running'
 * back to 'pending', then runs the rest in a pool of worker processes. This process is the only writer.
 */
export async function runSweep(store: SweepStore, options: SweepOptions): Promise<SweepSummary> {
  const sweep = await store.startSweep({ name: options.name, specPath: options.specPath, spec: options.spec });
  const states = new Map<string, { id: number; status: string; attempts: number }>();
  for (const run of options.runs) {
    for (const { study, grid } of run.memberships) {
      states.set(run.key, await store.ensureRun(sweep.id, { key: run.key, spec: run.spec, config: run.config, study, grid }));
    }
  }
  await store.resetInterruptedRuns(sweep.id);

  const queue: Job[] = [];
  for (const run of options.runs) {
    const state = states.get(run.key)!;
    if (state.status !== 'done') queue.push({ run, runId: state.id, attempt: state.attempts + 1, triesLeft: options.retries + 1 });
  }
  const alreadyDone = options.runs.length - queue.length;
  const durations: number[] = [];
  let done = alreadyDone;
  let running = 0;
  const failed: RunFailureSummary[] = [];
  const counts = (): SweepCounts => ({
    total: options.runs.length,
    done,
    failed: failed.length,
    running,
    left: options.runs.length - done - failed.length,
    workers: options.workers,
    meanAttemptMs: durations.length === 0 ? undefined : durations.reduce((sum, ms) => sum + ms, 0) / durations.length,
  });
  const emit = options.onEvent ?? (() => undefined);
  emit({ kind: 'start', counts: counts(), alreadyDone });

  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  let fatal: unknown;
  const specDir = mkdtempSync(join(tmpdir(), 'midg-sweep-'));

  const attempt = async (job: Job): Promise<void> => {
    const { run, runId } = job;
    const runSpecFile = join(specDir, `${run.key}.json`);
    writeFileSync(runSpecFile, JSON.stringify(run.spec));
    await store.markRunning(runId, job.attempt, options.host);
    running += 1;
    emit({ kind: 'started', counts: counts(), run, attempt: job.attempt });
    // Epoch rows are written in arrival order and all land before the run's outcome; a failed write stops the sweep.
    let epochWrites = Promise.resolve();
    const outcome = await runWorker({
      command: options.workerCommand,
      runSpecFile,
      ...(options.checkpointRoot ? { checkpointDir: join(options.checkpointRoot, run.key) } : {}),
      ...(options.datasets ? { datasets: options.datasets } : {}),
      cancelSignal: stop.signal,
      onEpoch: (event) => {
        epochWrites = epochWrites.then(() => store.recordEpoch(runId, event));
        epochWrites.catch(() => stop.abort());
      },
    });
    running -= 1;
    await epochWrites;
    if (outcome.ok) {
      await store.completeRun(runId, outcome.result);
      durations.push(outcome.durationMs);
      done += 1;
      emit({ kind: 'finished', counts: counts(), run, attempt: job.attempt, outcome: 'done', durationMs: outcome.durationMs });
      return;
    }
    // A worker killed because the sweep is stopping did not fail; its run goes back to 'pending' below.
    if (stop.signal.aborted) return;
    durations.push(outcome.durationMs);
    const final = job.triesLeft <= 1;
    const { exitCode, signal, stderrTail, durationMs } = outcome;
    await store.failRun(runId, { exitCode, signal, stderrTail, durationMs, attempt: job.attempt, final });
    const reason = failureReason(outcome);
    if (final) failed.push({ run, attempts: job.attempt, reason });
    else queue.push({ ...job, attempt: job.attempt + 1, triesLeft: job.triesLeft - 1 });
    emit({ kind: 'finished', counts: counts(), run, attempt: job.attempt, outcome: final ? 'failed' : 'retry', durationMs, reason });
  };

  const pool = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      const job = queue.shift();
      if (!job) return;
      try {
        await attempt(job);
      } catch (error) {
        // The store failed: nothing more can be recorded, so stop every worker.
        fatal ??= error;
        stop.abort();
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.workers, queue.length)) }, pool));
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    rmSync(specDir, { recursive: true, force: true });
  }
  if (fatal !== undefined) {
    // Best effort: the store that just failed may refuse these too.
    await store.resetInterruptedRuns(sweep.id).then(() => store.finishSweep(sweep.id, 'failed')).catch(() => undefined);
    throw fatal;
  }
  const status: SweepEndStatus = stop.signal.aborted ? 'interrupted' : failed.length > 0 ? 'failed' : 'done';
  if (status === 'interrupted') await store.resetInterruptedRuns(sweep.id);
  await store.finishSweep(sweep.id, status);
  emit({ kind: 'end', counts: counts(), status });
  return { sweepId: sweep.id, status, total: options.runs.length, alreadyDone, done, failed };
}
