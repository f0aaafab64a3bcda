import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWorker, type WorkerOutcome } from '../worker';
import { Channel } from './channel';
import { runSpecJson, type Executor, type ExecutorEvent, type LaunchContext, type LaunchItem } from './executor';
import { RunServerProcess, type ServedLaunch } from './run-server-client';

export interface LocalExecutorOptions {
  /** Training processes at once. */
  workers: number;
  /** The program and leading arguments, e.g. [node, apps/orchestrator/bin/midg.js]; `train ...` is appended. */
  command: readonly string[];
  /**
   * Each worker process trains one run after another (`<command> run-server`, the midg CLI's long-lived worker)
   * instead of one `<command> train ...` process per run: module loading and backend start-up are paid once per
   * process. Needs a command that implements run-server; default false (MIDG_WORKER_COMMAND programs need not).
   */
  reuseProcesses?: boolean;
  /**
   * With reuseProcesses: a worker process whose peak resident memory (the result's peakRssBytes) is above this after
   * a run is retired, and the next run starts a fresh one. Why: TF.js's wasm heap only grows, and in a long-lived
   * process it creeps up run after run (about 20 MiB per MIDG run on the tiny preset, 1.5 GiB after 90 runs of the
   * default sweep); a fresh process costs about a second. Default DEFAULT_WORKER_RSS_LIMIT_BYTES.
   */
  workerRssLimitBytes?: number;
  /** Each run's checkpoint goes to `<checkpointRoot>/<run key>`. */
  checkpointRoot?: string;
  datasets?: string;
}

/** 1 GiB: a worker above it is replaced after its run (LocalExecutorOptions.workerRssLimitBytes). */
export const DEFAULT_WORKER_RSS_LIMIT_BYTES = 2 ** 30;

/**
 * The local executor: a pool of worker processes on this machine. A run that fails in a reused process retires that
 * process (whatever state the failure left goes with it), as does one that leaves it above the memory limit; the next
 * run starts a fresh one.
 */
export function createLocalExecutor(options: LocalExecutorOptions): Executor {
  return {
    name: 'local',
    slots: options.workers,
    launch: (batch, context) => launchLocal(options, batch, context),
  };
}

async function* launchLocal(options: LocalExecutorOptions, batch: readonly LaunchItem[], context: LaunchContext): AsyncIterable<ExecutorEvent> {
  const events = new Channel<ExecutorEvent>();
  // Stops the workers on an interrupt, and when the consumer stops listening (the runner failed).
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  context.signal.addEventListener('abort', onAbort, { once: true });
  if (context.signal.aborted) stop.abort();
  const specDir = mkdtempSync(join(tmpdir(), 'midg-sweep-'));
  const queue = [...batch];

  const worker = async (): Promise<void> => {
    let server: RunServerProcess | undefined;
    const runOne = async (launch: ServedLaunch): Promise<WorkerOutcome> => {
      if (!options.reuseProcesses) return runWorker({ ...launch, command: options.command, cancelSignal: stop.signal });
      if (!server?.alive) server = new RunServerProcess(options.command, stop.signal);
      const outcome = await server.run(launch);
      const rssLimit = options.workerRssLimitBytes ?? DEFAULT_WORKER_RSS_LIMIT_BYTES;
      if (!outcome.ok || (outcome.result.peakRssBytes ?? 0) > rssLimit) {
        await server.close();
        server = undefined;
      }
      return outcome;
    };
    try {
      while (!stop.signal.aborted) {
        const item = queue.shift();
        if (!item) return;
        const { run, attempt } = item;
        const runSpecFile = join(specDir, `${run.key}.json`);
        writeFileSync(runSpecFile, runSpecJson(run));
        events.push({ kind: 'started', key: run.key, attempt });
        const outcome = await runOne({
          runSpecFile,
          ...(options.checkpointRoot ? { checkpointDir: join(options.checkpointRoot, run.key) } : {}),
          ...(options.datasets ? { datasets: options.datasets } : {}),
          onEpoch: (event) => events.push({ kind: 'epoch', key: run.key, attempt, event }),
        });
        // A worker killed because the sweep is stopping did not fail.
        if (!outcome.ok && stop.signal.aborted) return;
        events.push({ kind: 'finished', key: run.key, attempt, outcome });
      }
    } finally {
      await server?.close();
    }
  };
  const pool = Promise.all(Array.from({ length: Math.max(1, Math.min(options.workers, queue.length)) }, worker)).finally(() => events.close());
  try {
    yield* events;
  } finally {
    stop.abort();
    await pool;
    context.signal.removeEventListener('abort', onAbort);
    rmSync(specDir, { recursive: true, force: true });
  }
}
