import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EpochEvent, TrainResult } from '@midg/trainer';
import type { SlurmResources } from '../../spec';
import { STDERR_TAIL_CHARS } from '../../worker';
import { runSpecJson, type Executor, type ExecutorEvent, type ExecutorOutcome, type LaunchContext, type LaunchItem } from '../executor';
import { CliSlurm, type SlurmClient, type TaskEnd } from './client';
import { logFile, renderArrayScript, runDir, type ArrayScript } from './script';

export interface SlurmExecutorOptions {
  /** Run directories, task lists, scripts and logs: on storage the compute nodes share (absolute). */
  workDir: string;
  resources: SlurmResources;
  /** At most this many tasks of an array at once (`--array=...%C`). */
  parallel: number;
  /** The worker program and leading arguments, e.g. [node, .../midg.js]; `train ...` is appended. */
  command: readonly string[];
  /** Where tasks start (the sweep's working directory, which must exist on the compute nodes). */
  cwd: string;
  checkpointRoot?: string;
  datasets?: string;
  /** How often squeue is asked and run directories are read (default 10 s). */
  pollMs?: number;
  /** How long a task Slurm says ended well may take to show its result file (shared filesystems lag; default 60 s). */
  resultGraceMs?: number;
  client?: SlurmClient;
}

/** What the executor keeps with the sweep: the arrays with tasks whose end the sweep has not yet recorded. */
export interface SlurmState {
  executor: 'slurm';
  arrays: SlurmArrayState[];
}

export interface SlurmArrayState {
  batch: string;
  jobName: string;
  /** Null between writing the intent and sbatch answering (a crash there is resolved by the job name). */
  jobId: string | null;
  /** Index → [run key, attempt]; null once the sweep recorded the task's end. */
  tasks: ([string, number] | null)[];
}

interface Task {
  key: string;
  attempt: number;
  jobId: string;
  index: number;
  dir: string;
  started: boolean;
  startedAt: number;
  /** Bytes of events.jsonl already read. */
  offset: number;
  /** When the task was first seen gone from the queue without a result file. */
  goneSince?: number;
  end?: TaskEnd;
}

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

function readState(saved: unknown): SlurmState {
  const state = saved as Partial<SlurmState> | null;
  if (state && state.executor === 'slurm' && Array.isArray(state.arrays)) return { executor: 'slurm', arrays: state.arrays };
  return { executor: 'slurm', arrays: [] };
}

/** The highest attempt of key with a result file in the work dir. */
function findResult(workDir: string, key: string): { attempt: number; dir: string } | undefined {
  const base = join(workDir, key);
  if (!existsSync(base)) return undefined;
  const attempts = readdirSync(base).filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => b - a);
  for (const attempt of attempts) {
    const dir = join(base, String(attempt));
    if (existsSync(join(dir, 'result.json'))) return { attempt, dir };
  }
  return undefined;
}

function readResult(dir: string, key: string): TrainResult | undefined {
  try {
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as TrainResult;
    if (result.event !== 'result' || typeof result.test !== 'object') return undefined;
    if (result.key !== undefined && result.key !== key) return undefined;
    return result;
  } catch {
    return undefined;
  }
}

/** Complete lines of events.jsonl after offset; the offset moves past the last newline only. */
function readEvents(task: Pick<Task, 'dir' | 'offset'>): EpochEvent[] {
  const file = join(task.dir, 'events.jsonl');
  if (!existsSync(file)) return [];
  const size = statSync(file).size;
  if (size <= task.offset) return [];
  const buffer = Buffer.alloc(size - task.offset);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, task.offset);
  } finally {
    closeSync(fd);
  }
  const text = buffer.toString('utf8');
  const end = text.lastIndexOf('\n');
  if (end < 0) return [];
  task.offset += Buffer.byteLength(text.slice(0, end + 1));
  const events: EpochEvent[] = [];
  for (const line of text.slice(0, end).split('\n')) {
    try {
      const event = JSON.parse(line) as EpochEvent;
      if (event.event === 'epoch' && typeof event.epoch === 'number') events.push(event);
    } catch {
      // a torn or foreign line: not an epoch
    }
  }
  return events;
}

function tail(file: string): string {
  if (!existsSync(file)) return '';
  const size = statSync(file).size;
  const length = Math.min(size, STDERR_TAIL_CHARS * 2);
  const buffer = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8').slice(-STDERR_TAIL_CHARS);
}

const EXPLAINED: Record<string, string> = {
  TIMEOUT: 'time limit reached',
  OUT_OF_MEMORY: 'killed for using more memory than it asked for',
  NODE_FAIL: 'its node failed',
  CANCELLED: 'cancelled outside this sweep',
  PREEMPTED: 'preempted',
  BOOT_FAIL: 'its node failed to boot',
  DEADLINE: 'deadline reached',
};

/** The state Slurm's own messages in the task's log point to, when Slurm no longer remembers the task. */
function stateFromLog(log: string): string | undefined {
  if (/DUE TO TIME LIMIT/i.test(log)) return 'TIMEOUT';
  if (/oom[-_ ]kill|out of memory/i.test(log)) return 'OUT_OF_MEMORY';
  if (/DUE TO NODE FAIL/i.test(log)) return 'NODE_FAIL';
  if (/DUE TO PREEMPTION/i.test(log)) return 'PREEMPTED';
  if (/\*\*\* .*CANCELLED AT/i.test(log)) return 'CANCELLED';
  return undefined;
}

/** A task that ended without a result file, as a failed outcome with Slurm's reason. */
function failure(task: Task, workDir: string, resources: SlurmResources, now: number): Extract<ExecutorOutcome, { ok: false }> {
  const log = tail(logFile(workDir, task.jobId, task.index));
  const end = task.end;
  const state = end && end.state !== 'COMPLETED' && end.state !== 'FAILED' ? end.state : (stateFromLog(log) ?? end?.state);
  const where = `job ${task.jobId}_${task.index}`;
  let reason: string | undefined;
  if (state && EXPLAINED[state]) {
    const limit = state === 'TIMEOUT' && resources.time ? ` (--time ${resources.time})` : state === 'OUT_OF_MEMORY' && resources.mem ? ` (--mem ${resources.mem})` : '';
    reason = `slurm ${state}: ${EXPLAINED[state]}${limit}${end?.reason ? `, ${end.reason}` : ''} [${where}]`;
  } else if (state === 'COMPLETED') {
    reason = `slurm COMPLETED but no result file in ${task.dir} [${where}]`;
  } else if (!state) {
    const lastLine = log.trim().split('\n').pop()?.trim();
    reason = `task ended, Slurm no longer says how: ${lastLine || 'no output'} [${where}]`;
  }
  // Otherwise (FAILED with an exit code) the exit code and the log's last line say it, as for a local worker.
  // Slurm's verdict goes under the log when it is more than the exit code (which the log's last line explains).
  const verdict = state && state !== 'FAILED' ? `slurm: ${where} ${state}${end?.reason ? ` (${end.reason})` : ''}\n` : '';
  const stderrTail = `${log}${log && verdict && !log.endsWith('\n') ? '\n' : ''}${verdict}`.slice(-STDERR_TAIL_CHARS);
  return {
    ok: false,
    exitCode: end?.exitCode ?? null,
    signal: end?.signal ?? null,
    stderrTail,
    durationMs: end?.elapsedMs ?? Math.max(0, now - task.startedAt),
    ...(reason ? { reason } : {}),
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
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

/** Writes the array's run directories, task list and script; returns the script file. */
function prepareArray(options: SlurmExecutorOptions, sweep: string, batchId: string, chunk: readonly LaunchItem[]): { jobName: string; scriptFile: string } {
  const { workDir } = options;
  mkdirSync(join(workDir, 'logs'), { recursive: true });
  mkdirSync(join(workDir, 'arrays'), { recursive: true });
  for (const { run, attempt } of chunk) {
    const dir = runDir(workDir, run.key, attempt);
    // Whatever an earlier, cancelled submission of this attempt left there is not this attempt's.
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'spec.json'), runSpecJson(run));
  }
  const script = arrayScript(options, sweep, batchId, chunk.length);
  writeFileSync(script.taskList, chunk.map(({ run, attempt }) => `${run.key} ${attempt}\n`).join(''));
  const scriptFile = join(workDir, 'arrays', `${batchId}.sh`);
  writeFileSync(scriptFile, renderArrayScript(script), { mode: 0o755 });
  return { jobName: script.jobName, scriptFile };
}

/** The script of an array of tasks (also what `--dry-run` prints). */
export function arrayScript(options: SlurmExecutorOptions, sweep: string, batchId: string, tasks: number): ArrayScript {
  return {
    jobName: `midg-${sweep}-${batchId}`,
    workDir: options.workDir,
    taskList: join(options.workDir, 'arrays', `${batchId}.tasks`),
    tasks,
    parallel: options.parallel,
    resources: options.resources,
    cwd: options.cwd,
    command: options.command,
    ...(options.checkpointRoot ? { checkpointRoot: options.checkpointRoot } : {}),
    ...(options.datasets ? { datasets: options.datasets } : {}),
  };
}
