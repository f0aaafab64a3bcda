import { currentOwner, SweepTakenOverError, SWEEP_LEASE_MS, type ResultsWriter, type RunHostInfo, type RunState, type SweepOwner } from '../db';
import type { PlannedRun } from './expand';
import type { Executor, ExecutorEvent, ExecutorOutcome, LaunchItem } from './executors/executor';
import { sleep } from './sleep';

/** The part of the results store a sweep writes through. */
export type SweepStore = ResultsWriter;

export type SweepEndStatus = 'done' | 'failed' | 'interrupted';

export interface SweepCounts {
  total: number;
  done: number;
  failed: number;
  running: number;
  /** Not yet done or finally failed (the running ones included). */
  left: number;
  /** How many may run at once (the executor's slots). */
  workers: number;
  /** The most that have run at once so far (a cluster may give fewer than the slots), for the ETA. */
  peakRunning?: number;
  /** Mean wall time of the attempts that ended in this sweep; undefined before the first. */
  meanAttemptMs: number | undefined;
}

export type SweepEvent =
  | { kind: 'start'; counts: SweepCounts; alreadyDone: number; waiting: number; executor: string }
  | { kind: 'started'; counts: SweepCounts; run: PlannedRun; attempt: number }
  | {
      kind: 'finished';
      counts: SweepCounts;
      run: PlannedRun;
      attempt: number;
      outcome: 'done' | 'retry' | 'failed';
      durationMs: number;
      reason?: string;
    }
  | { kind: 'note'; counts: SweepCounts; message: string }
  | { kind: 'end'; counts: SweepCounts; status: SweepEndStatus };

export interface SweepOptions {
  name: string;
  specPath: string;
  /** The spec as written, stored with the sweep. */
  spec: unknown;
  runs: PlannedRun[];
  /** Extra attempts for a failed run. */
  retries: number;
  executor: Executor;
  host: RunHostInfo;
  /** This process as the sweep's owner (default: a new one). */
  owner?: SweepOwner;
  /** How long another sweep's silence must last before its claims are taken (default SWEEP_LEASE_MS). */
  leaseMs?: number;
  /** How often this process tells the store it is alive (default a quarter of the lease). */
  heartbeatMs?: number;
  /** How often runs held by another live sweep are looked at again (default 10 s). */
  waitPollMs?: number;
  /** Aborting stops the sweep: the executor stops its attempts and their runs go back to 'pending'. */
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

/** `exit 3: midg: error: ...`, `killed by SIGKILL` or the executor's own reason: why an attempt failed, in one line. */
export function failureReason(outcome: Extract<ExecutorOutcome, { ok: false }>): string {
  const lastLine = outcome.stderrTail.trim().split('\n').pop()?.trim() ?? '';
  if (outcome.reason) return outcome.reason;
  const how = outcome.signal ? `killed by ${outcome.signal}` : `exit ${outcome.exitCode ?? '?'}`;
  return lastLine ? `${how}: ${lastLine}` : how;
}


/**
 * Runs a sweep: links every planned run to it, skips runs already done, claims the rest (runs another live sweep is
 * running are waited for, not run twice), and hands them to the executor in waves: the first wave is every claimed
 * run, each later wave the retries of the one before and the runs another sweep has let go. Every store write is here.
 */
export async function runSweep(store: SweepStore, options: SweepOptions): Promise<SweepSummary> {
  const owner = options.owner ?? currentOwner();
  const leaseMs = options.leaseMs ?? SWEEP_LEASE_MS;
  const { executor } = options;
  const sweep = await store.startSweep({ name: options.name, specPath: options.specPath, spec: options.spec, executor: executor.name, owner, leaseMs });
  let executorState = sweep.executorState;

  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  let fatal: unknown;
  // A beat that fails for a passing reason (the database restarting) is only late; one refused means another process
  // runs the sweep now, and this one must stop writing.
  const heartbeat = setInterval(() => {
    store.heartbeat(sweep.id, owner).catch((error: unknown) => {
      if (!(error instanceof SweepTakenOverError)) return;
      fatal ??= error;
      stop.abort();
    });
  }, options.heartbeatMs ?? leaseMs / 4);

  const byKey = new Map(options.runs.map((run) => [run.key, run]));
  const ids = new Map<string, number>();
  const triesLeft = new Map<string, number>();
  const queue: LaunchItem[] = [];
  const waiting = new Set<string>();
  const durations: number[] = [];
  const failed: RunFailureSummary[] = [];
  const running = new Set<string>();
  let done = 0;
  let alreadyDone = 0;
  let peakRunning = 0;
  const counts = (): SweepCounts => ({
    total: options.runs.length,
    done,
    failed: failed.length,
    running: running.size,
    left: options.runs.length - done - failed.length,
    workers: executor.slots,
    peakRunning,
    meanAttemptMs: durations.length === 0 ? undefined : durations.reduce((sum, ms) => sum + ms, 0) / durations.length,
  });
  const emit = options.onEvent ?? (() => undefined);

  /** Claims what it can of the runs; the claimed ones are queued with their next attempt, the rest wait. */
  const claim = async (keys: string[]): Promise<void> => {
    const claimed = new Set(await store.claimRuns(sweep.id, keys.map((key) => ids.get(key)!), { leaseMs }));
    const states = new Map((await store.runStates([...claimed])).map((state) => [state.id, state]));
    for (const key of keys) {
      const state = states.get(ids.get(key)!);
      if (!state) {
        waiting.add(key);
        continue;
      }
      waiting.delete(key);
      triesLeft.set(key, options.retries + 1);
      queue.push({ run: byKey.get(key)!, attempt: state.attempts + 1 });
    }
  };

  /** Runs another sweep held: done ones count, freed ones are claimed. */
  const lookAgain = async (): Promise<void> => {
    const states = await store.runStates([...waiting].map((key) => ids.get(key)!));
    const keyOf = new Map([...ids].map(([key, id]) => [id, key]));
    for (const state of states.filter((candidate: RunState) => candidate.status === 'done')) {
      const key = keyOf.get(state.id)!;
      waiting.delete(key);
      done += 1;
      emit({ kind: 'finished', counts: counts(), run: byKey.get(key)!, attempt: state.attempts, outcome: 'done', durationMs: 0, reason: 'finished by another sweep' });
    }
    if (waiting.size > 0) await claim([...waiting]);
  };

  const handle = async (event: ExecutorEvent): Promise<void> => {
    if (event.kind === 'note') {
      emit({ kind: 'note', counts: counts(), message: event.message });
      return;
    }
    const run = byKey.get(event.key);
    const runId = ids.get(event.key);
    if (!run || runId === undefined) return;
    if (event.kind === 'started') {
      await store.markRunning(runId, event.attempt, options.host);
      running.add(run.key);
      peakRunning = Math.max(peakRunning, running.size);
      emit({ kind: 'started', counts: counts(), run, attempt: event.attempt });
      return;
    }
    if (event.kind === 'epoch') {
      await store.recordEpoch(runId, event.event);
      return;
    }
    const { outcome, attempt } = event;
    // An attempt found finished without having been seen starting (Slurm, while the host was away) starts now.
    if (!running.has(run.key)) await store.markRunning(runId, attempt, options.host);
    running.delete(run.key);
    if (outcome.ok) {
      await store.completeRun(runId, outcome.result);
      durations.push(outcome.durationMs);
      done += 1;
      emit({ kind: 'finished', counts: counts(), run, attempt, outcome: 'done', durationMs: outcome.durationMs });
      return;
    }
    const reason = failureReason(outcome);
    const tries = triesLeft.get(run.key) ?? 1;
    const final = !event.earlier && tries <= 1;
    if (!event.earlier) {
      durations.push(outcome.durationMs);
      triesLeft.set(run.key, tries - 1);
    }
    const { exitCode, signal, stderrTail, durationMs } = outcome;
    await store.failRun(runId, { exitCode, signal, stderrTail, durationMs, attempt, final, reason });
    if (final) failed.push({ run, attempts: attempt, reason });
    else queue.push({ run, attempt: attempt + 1 });
    emit({ kind: 'finished', counts: counts(), run, attempt, outcome: final ? 'failed' : 'retry', durationMs, reason });
  };

  try {
    for (const run of options.runs) {
      for (const { study, grid } of run.memberships) {
        const state = await store.ensureRun(sweep.id, { key: run.key, spec: run.spec, config: run.config, study, grid });
        ids.set(run.key, state.id);
        if (state.status === 'done') triesLeft.set(run.key, 0);
      }
    }
    const notDone = options.runs.filter((run) => triesLeft.get(run.key) !== 0).map((run) => run.key);
    alreadyDone = options.runs.length - notDone.length;
    done = alreadyDone;
    await claim(notDone);
    emit({ kind: 'start', counts: counts(), alreadyDone, waiting: waiting.size, executor: executor.name });

    const context = {
      sweep: options.name,
      signal: stop.signal,
      get savedState() {
        return executorState;
      },
      saveState: async (state: unknown) => {
        executorState = state;
        await store.saveExecutorState(sweep.id, state);
      },
    };
    while (!stop.signal.aborted && fatal === undefined) {
      if (queue.length === 0) {
        if (waiting.size === 0) break;
        await sleep(options.waitPollMs ?? 10_000, stop.signal);
        if (!stop.signal.aborted) await lookAgain();
        continue;
      }
      const wave = queue.splice(0);
      for await (const event of executor.launch(wave, context)) {
        await handle(event);
        if (fatal !== undefined) break;
      }
      if (waiting.size > 0 && !stop.signal.aborted) await lookAgain();
    }
  } catch (error) {
    fatal ??= error;
  } finally {
    clearInterval(heartbeat);
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (fatal !== undefined) {
    // Best effort: the store that just failed may refuse these too.
    await store.releaseRuns(sweep.id).then(() => store.finishSweep(sweep.id, 'failed')).catch(() => undefined);
    throw fatal;
  }
  const status: SweepEndStatus = stop.signal.aborted ? 'interrupted' : failed.length > 0 ? 'failed' : 'done';
  await store.releaseRuns(sweep.id);
  await store.finishSweep(sweep.id, status);
  running.clear();
  emit({ kind: 'end', counts: counts(), status });
  return { sweepId: sweep.id, status, total: options.runs.length, alreadyDone, done, failed };
}
