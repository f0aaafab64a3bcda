import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { QueuedTask, SlurmClient, TaskEnd } from '../executors/slurm/client';

// A Slurm stand-in for the Slurm executor's unit tests: it runs an array's tasks as local bash processes of the very
// script the executor wrote (at most %C at once), and lets a test end a task the way Slurm would (time limit, memory,
// node failure) or forget finished jobs (no accounting, MinJobAge passed). The real cluster is in the e2e tests.

interface FakeTask {
  jobId: string;
  index: number;
  state: 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TIMEOUT' | 'OUT_OF_MEMORY' | 'NODE_FAIL';
  process?: ChildProcess;
  output: string;
  exitCode: number | null;
  signal: string | null;
  reason: string | null;
  startedAt?: number;
  endedAt?: number;
  /** A fault asked for before the task ended: the end state it gets when its process dies. */
  fault?: FakeTask['state'];
}

interface FakeJob {
  id: string;
  name: string;
  script: string;
  parallel: number;
  tasks: FakeTask[];
}

const MESSAGES: Partial<Record<FakeTask['state'], string>> = {
  TIMEOUT: 'DUE TO TIME LIMIT',
  NODE_FAIL: 'DUE TO NODE FAILURE, SEE SLURMCTLD LOG FOR DETAILS',
};

export class FakeSlurm implements SlurmClient {
  private readonly jobs: FakeJob[] = [];
  private nextId = 100;
  /** Every submitted script, in order. */
  readonly submitted: string[] = [];
  /** Finished jobs Slurm no longer tells about (scontrol forgot them; there is no sacct). */
  forgetFinished = false;
  squeueDown = false;

  constructor(private readonly options: { maxArraySize?: number; env?: NodeJS.ProcessEnv } = {}) {}

  async check(): Promise<void> {}

  async maxArraySize(): Promise<number> {
    return this.options.maxArraySize ?? 1001;
  }

  async submit(scriptFile: string): Promise<string> {
    const script = readFileSync(scriptFile, 'utf8');
    this.submitted.push(script);
    const directive = (name: string): string => new RegExp(`^#SBATCH --${name}=(.*)$`, 'm').exec(script)?.[1] ?? '';
    const array = /^0-(\d+)%(\d+)$/.exec(directive('array'));
    if (!array) throw new Error(`sbatch: error: fake slurm: bad --array in ${scriptFile}`);
    const id = String(this.nextId++);
    const tasks = Number(array[1]) + 1;
    const job: FakeJob = {
      id,
      name: directive('job-name'),
      script: scriptFile,
      parallel: Number(array[2]),
      tasks: Array.from({ length: tasks }, (_, index) => ({
        jobId: id,
        index,
        state: 'PENDING' as const,
        output: directive('output').replace('%A', id).replace('%a', String(index)),
        exitCode: null,
        signal: null,
        reason: null,
      })),
    };
    this.jobs.push(job);
    this.schedule(job);
    return id;
  }

  private schedule(job: FakeJob): void {
    const running = job.tasks.filter((task) => task.state === 'RUNNING').length;
    for (const task of job.tasks.filter((candidate) => candidate.state === 'PENDING').slice(0, Math.max(0, job.parallel - running))) {
      mkdirSync(dirname(task.output), { recursive: true });
      const fd = openSync(task.output, 'a');
      task.state = 'RUNNING';
      task.startedAt = Date.now();
      task.process = spawn('bash', [job.script], {
        stdio: ['ignore', fd, fd],
        env: { ...process.env, ...this.options.env, SLURM_ARRAY_TASK_ID: String(task.index), SLURM_ARRAY_JOB_ID: job.id, SLURM_JOB_ID: `${job.id}${task.index}` },
      });
      closeSync(fd);
      task.process.on('exit', (code, signal) => {
        task.endedAt = Date.now();
        if (task.fault) {
          task.state = task.fault;
          task.exitCode = 0;
          task.signal = task.fault === 'CANCELLED' ? null : 'SIGKILL';
        } else {
          task.state = code === 0 ? 'COMPLETED' : 'FAILED';
          task.exitCode = code;
          task.signal = signal;
          task.reason = code === 0 ? null : 'NonZeroExitCode';
        }
        task.process = undefined;
        this.schedule(job);
      });
    }
  }

  /** Ends a running task the way Slurm would: its process is killed, Slurm's line goes to its output, the state sticks. */
  fail(key: { jobId: string; index: number }, state: 'TIMEOUT' | 'OUT_OF_MEMORY' | 'NODE_FAIL'): void {
    const task = this.task(key.jobId, key.index);
    if (!task.process) throw new Error(`fake slurm: task ${key.jobId}_${key.index} is not running`);
    task.fault = state;
    task.reason = state === 'NODE_FAIL' ? 'NodeDown' : null;
    const message = MESSAGES[state]
      ? `slurmstepd: error: *** JOB ${task.jobId}${task.index} ON fake CANCELLED AT 2026-01-01T00:00:00 ${MESSAGES[state]} ***\n`
      : `slurmstepd: error: Detected 1 oom_kill event in StepId=${task.jobId}${task.index}.batch. Some of the step tasks have been OOM Killed.\n`;
    appendFileSync(task.output, message);
    task.process.kill('SIGKILL');
  }

  /** Tasks currently running, as `{ jobId, index }`. */
  running(): { jobId: string; index: number }[] {
    return this.jobs.flatMap((job) => job.tasks.filter((task) => task.state === 'RUNNING').map(({ jobId, index }) => ({ jobId, index })));
  }

  private task(jobId: string, index: number): FakeTask {
    const task = this.jobs.find((job) => job.id === jobId)?.tasks[index];
    if (!task) throw new Error(`fake slurm: no task ${jobId}_${index}`);
    return task;
  }

  async queue(jobIds: readonly string[]): Promise<Map<string, QueuedTask> | undefined> {
    if (this.squeueDown) return undefined;
    const tasks = new Map<string, QueuedTask>();
    for (const job of this.jobs.filter((candidate) => jobIds.includes(candidate.id))) {
      for (const task of job.tasks) {
        if (task.state === 'PENDING' || task.state === 'RUNNING') tasks.set(`${job.id}_${task.index}`, { state: task.state, reason: 'None' });
      }
    }
    return tasks;
  }

  async findJob(name: string): Promise<string | undefined> {
    return this.jobs.find((job) => job.name === name && job.tasks.some((task) => task.state === 'PENDING' || task.state === 'RUNNING'))?.id;
  }

  async cancel(jobIds: readonly string[]): Promise<void> {
    for (const job of this.jobs.filter((candidate) => jobIds.includes(candidate.id))) {
      for (const task of job.tasks) {
        if (task.state === 'PENDING') task.state = 'CANCELLED';
        if (task.process) {
          task.fault = 'CANCELLED';
          task.process.kill('SIGKILL');
        }
      }
    }
  }

  async taskEnd(jobId: string, index: number): Promise<TaskEnd | undefined> {
    if (this.forgetFinished) return undefined;
    const task = this.task(jobId, index);
    if (task.state === 'PENDING' || task.state === 'RUNNING') return undefined;
    return { state: task.state, reason: task.reason, exitCode: task.exitCode, signal: task.signal, elapsedMs: (task.endedAt ?? 0) - (task.startedAt ?? 0) };
  }

  /** Waits until every task of every job has ended. */
  async settle(): Promise<void> {
    while (this.jobs.some((job) => job.tasks.some((task) => task.state === 'PENDING' || task.state === 'RUNNING'))) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
