import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainResult } from '@midg/trainer';
import type { Executor, ExecutorEvent, LaunchContext, LaunchItem } from '../executor';
import { CliSlurm, type SlurmClient } from './client';
import { failure, findResult, readEvents, readResult } from './run-dir';
import { runDir } from './script';
import { prepareArray } from './submit';
import { readState, type SlurmArrayState, type SlurmExecutorOptions, type Task } from './types';
import { sleep } from '../../sleep';

export { arrayScript } from './submit';
export type { SlurmArrayState, SlurmExecutorOptions, SlurmState } from './types';

export function createSlurmExecutor(options: SlurmExecutorOptions): Executor {
  const client = options.client ?? new CliSlurm();
  let maxArraySize: number | undefined;
  return {
    name: 'slurm',
    slots: options.parallel,
    launch: (batch, context) =>
      launchSlurm(options, client, batch, context, async () => {
        maxArraySize ??= await client.maxArraySize();
        return maxArraySize;
      }),
  };
}


const taskId = (jobId: string, index: number): string => `${jobId}_${index}`;

async function* launchSlurm(
  options: SlurmExecutorOptions,
  client: SlurmClient,
  batch: readonly LaunchItem[],
  context: LaunchContext,
  arraySize: () => Promise<number>,
): AsyncIterable<ExecutorEvent> {
  const { workDir } = options;
  const pollMs = options.pollMs ?? 10_000;
  const graceMs = options.resultGraceMs ?? 60_000;
  const state = readState(context.savedState);
  const save = (): Promise<void> => context.saveState({ executor: 'slurm', arrays: state.arrays.filter((array) => array.tasks.some(Boolean)) });
  const settle = async (task: Pick<Task, 'jobId' | 'index'>): Promise<void> => {
    const array = state.arrays.find((candidate) => candidate.jobId === task.jobId);
    if (array) array.tasks[task.index] = null;
    state.arrays = state.arrays.filter((candidate) => candidate.tasks.some(Boolean));
    await save();
  };
  const tracked = new Map<string, Task>();

  /** The events of a task that ended with a result file. */
  function* succeeded(task: Task, result: TrainResult, now: number): Iterable<ExecutorEvent> {
    if (!task.started) yield { kind: 'started', key: task.key, attempt: task.attempt };
    for (const event of readEvents(task)) yield { kind: 'epoch', key: task.key, attempt: task.attempt, event };
    const durationMs = task.end?.elapsedMs ?? (Number.isFinite(result.durationMs) ? result.durationMs : now - task.startedAt);
    yield { kind: 'finished', key: task.key, attempt: task.attempt, outcome: { ok: true, result, durationMs } };
  }

  // 1. What earlier processes of this sweep left: results written while nobody watched, tasks still queued or running,
  //    and tasks that ended unwatched without a result.
  const byKey = new Map(batch.map((item) => [item.run.key, item]));
  const open = new Map<string, { array: SlurmArrayState; index: number; attempt: number }>();
  for (const array of state.arrays) {
    if (array.jobId === null) {
      array.jobId = (await client.findJob(array.jobName)) ?? null;
      if (array.jobId === null) array.tasks = []; // never submitted
    }
    array.tasks.forEach((task, index) => {
      if (task && byKey.has(task[0])) open.set(task[0], { array, index, attempt: task[1] });
    });
  }
  state.arrays = state.arrays.filter((array) => array.jobId !== null && array.tasks.some(Boolean));
  let queued: Map<string, unknown> | undefined = new Map();
  if (open.size > 0) {
    const jobs = [...new Set([...open.values()].map((entry) => entry.array.jobId!))];
    for (let tries = 1; ; tries++) {
      queued = await client.queue(jobs);
      if (queued || tries === 5) break;
      await sleep(pollMs, context.signal);
    }
    // Without knowing which tasks still run, resubmitting could run them twice.
    if (!queued) throw new Error(`squeue does not answer, so the sweep cannot tell which of job ${jobs.join(', ')}'s tasks still run; try again later`);
  }
  const toSubmit: LaunchItem[] = [];
  let ingested = 0;
  let reattached = 0;
  for (const item of batch) {
    const { key } = item.run;
    const earlier = open.get(key);
    const found = findResult(workDir, key);
    const result = found && readResult(found.dir, key);
    if (found && result) {
      const task: Task = { key, attempt: found.attempt, jobId: earlier?.array.jobId ?? '', index: earlier?.index ?? -1, dir: found.dir, started: false, startedAt: Date.now(), offset: 0 };
      yield* succeeded(task, result, Date.now());
      ingested += 1;
      if (earlier) await settle({ jobId: earlier.array.jobId!, index: earlier.index });
      continue;
    }
    if (earlier) {
      const jobId = earlier.array.jobId!;
      const task: Task = { key, attempt: earlier.attempt, jobId, index: earlier.index, dir: runDir(workDir, key, earlier.attempt), started: false, startedAt: Date.now(), offset: 0 };
      if (queued.has(taskId(jobId, earlier.index))) {
        tracked.set(taskId(jobId, earlier.index), task);
        reattached += 1;
        continue;
      }
      // Ended while nobody watched, without a result: a failed attempt of the earlier process.
      task.end = await client.taskEnd(jobId, earlier.index);
      yield { kind: 'started', key, attempt: task.attempt };
      yield { kind: 'finished', key, attempt: task.attempt, outcome: failure(task, workDir, options.resources, Date.now()), earlier: true };
      await settle(task);
      continue;
    }
    toSubmit.push(item);
  }
  if (ingested > 0) yield { kind: 'note', message: `slurm: recorded ${ingested} result(s) written while the sweep was away` };
  if (reattached > 0) {
    const jobs = [...new Set([...tracked.values()].map((task) => task.jobId))].join(', ');
    yield { kind: 'note', message: `slurm: reattached to job ${jobs} (${reattached} task(s) still queued or running)` };
  }

  // 2. Submit the rest, in arrays of at most MaxArraySize tasks.
  if (toSubmit.length > 0) {
    const size = await arraySize();
    for (let start = 0; start < toSubmit.length; start += size) {
      const chunk = toSubmit.slice(start, start + size);
      const batchId = `${Date.now().toString(36)}${start > 0 ? `-${start / size}` : ''}`;
      const prepared = prepareArray(options, context.sweep, batchId, chunk);
      const array: SlurmArrayState = { batch: batchId, jobName: prepared.jobName, jobId: null, tasks: chunk.map((item) => [item.run.key, item.attempt]) };
      state.arrays.push(array);
      await save();
      try {
        array.jobId = await client.submit(prepared.scriptFile);
      } catch (error) {
        state.arrays = state.arrays.filter((candidate) => candidate !== array);
        await save();
        throw error;
      }
      await save();
      chunk.forEach((item, index) => {
        tracked.set(taskId(array.jobId!, index), {
          key: item.run.key,
          attempt: item.attempt,
          jobId: array.jobId!,
          index,
          dir: runDir(workDir, item.run.key, item.attempt),
          started: false,
          startedAt: Date.now(),
          offset: 0,
        });
      });
      yield { kind: 'note', message: `slurm: submitted job ${array.jobId}: ${chunk.length} run(s), --array=0-${chunk.length - 1}%${options.parallel} (work dir ${workDir})` };
    }
  }

  // 3. Watch: squeue for what is queued or running, the run directories for epochs and results.
  let squeueFailures = 0;
  while (tracked.size > 0) {
    if (context.signal.aborted) break;
    const live = await client.queue([...new Set([...tracked.values()].map((task) => task.jobId))]);
    if (!live) {
      squeueFailures += 1;
      if (squeueFailures === 3) yield { kind: 'note', message: 'slurm: squeue is not answering; still trying (Ctrl-C cancels the jobs)' };
    } else {
      squeueFailures = 0;
      const now = Date.now();
      for (const [id, task] of [...tracked]) {
        const queuedTask = live.get(id);
        if (queuedTask && queuedTask.state !== 'PENDING' && !task.started) {
          task.started = true;
          task.startedAt = now;
          yield { kind: 'started', key: task.key, attempt: task.attempt };
        }
        if (task.started) for (const event of readEvents(task)) yield { kind: 'epoch', key: task.key, attempt: task.attempt, event };
        if (queuedTask) continue;
        // Gone from the queue: ended.
        const result = existsSync(join(task.dir, 'result.json')) ? readResult(task.dir, task.key) : undefined;
        if (!task.goneSince) {
          task.goneSince = now;
          if (!result) task.end = await client.taskEnd(task.jobId, task.index);
        }
        if (!result) {
          const completed = !task.end || task.end.state === 'COMPLETED';
          // A task that ended well may still have its result file on its way through the shared filesystem.
          if (completed && now - task.goneSince < graceMs) continue;
          if (!task.started) yield { kind: 'started', key: task.key, attempt: task.attempt };
          for (const event of readEvents(task)) yield { kind: 'epoch', key: task.key, attempt: task.attempt, event };
          yield { kind: 'finished', key: task.key, attempt: task.attempt, outcome: failure(task, workDir, options.resources, now) };
        } else {
          yield* succeeded(task, result, now);
        }
        tracked.delete(id);
        await settle(task);
      }
    }
    if (tracked.size > 0) await sleep(pollMs, context.signal);
  }

  // 4. Interrupted: cancel what this launch watches; its runs go back to pending (the runner), its tasks are forgotten.
  if (context.signal.aborted && tracked.size > 0) {
    const jobs = [...new Set([...tracked.values()].map((task) => task.jobId))];
    try {
      await client.cancel(jobs);
      for (const task of tracked.values()) {
        const array = state.arrays.find((candidate) => candidate.jobId === task.jobId);
        if (array) array.tasks[task.index] = null;
      }
      state.arrays = state.arrays.filter((array) => array.tasks.some(Boolean));
      await save();
      yield { kind: 'note', message: `slurm: cancelled job ${jobs.join(', ')}` };
    } catch (error) {
      yield { kind: 'note', message: `slurm: could not cancel job ${jobs.join(', ')} (${(error as Error).message}); the next run of this sweep reattaches to it` };
    }
  }
}
