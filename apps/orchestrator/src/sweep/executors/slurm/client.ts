import { userInfo } from 'node:os';
import { constants } from 'node:os';
import { execa } from 'execa';

// What the Slurm executor asks of Slurm, and the one implementation that asks the real thing through its commands.
// Many clusters run no accounting daemon, so task states come from squeue while a task is queued or running and from
// scontrol (which remembers a finished job for MinJobAge, 5 minutes by default) after; sacct is asked first when it
// answers. Tests may put a stand-in behind the same interface.

/** A task of an array as squeue lists it. */
export interface QueuedTask {
  /** PENDING, RUNNING, COMPLETING, CONFIGURING, SUSPENDED, ... */
  state: string;
  /** squeue's reason (why pending: Resources, Priority, JobArrayTaskLimit, ...). */
  reason: string;
}

/** How a task ended, as far as Slurm still knows. */
export interface TaskEnd {
  /** COMPLETED, FAILED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, CANCELLED, PREEMPTED, BOOT_FAIL, DEADLINE, ... */
  state: string;
  reason: string | null;
  exitCode: number | null;
  signal: string | null;
  /** Run time in ms, when Slurm says. */
  elapsedMs: number | null;
}

export interface SlurmClient {
  /** Fails with one line when the commands are not there or the cluster does not answer. */
  check(): Promise<void>;
  /** Submits a batch script; returns the job id. */
  submit(scriptFile: string): Promise<string>;
  /** The tasks of these array jobs that are still queued or running, by `<job id>_<index>`; undefined when squeue failed. */
  queue(jobIds: readonly string[]): Promise<Map<string, QueuedTask> | undefined>;
  /** The id of a job of this user with this name that is still queued or running. */
  findJob(name: string): Promise<string | undefined>;
  /** Cancels the jobs (every task of each array). */
  cancel(jobIds: readonly string[]): Promise<void>;
  /** How a finished task ended, when Slurm still remembers it. */
  taskEnd(jobId: string, index: number): Promise<TaskEnd | undefined>;
  /** The cluster's MaxArraySize (an array's indexes run from 0 to MaxArraySize - 1). */
  maxArraySize(): Promise<number>;
}

/** Slurm's default MaxArraySize. */
export const DEFAULT_MAX_ARRAY_SIZE = 1001;

function signalName(number: number): string {
  return Object.entries(constants.signals).find(([, value]) => value === number)?.[0] ?? `signal ${number}`;
}

/** `3:0` → exit 3; `0:9` → SIGKILL (Slurm's ExitCode is `<exit code>:<signal>`). */
export function parseExitCode(text: string | undefined): { exitCode: number | null; signal: string | null } {
  const match = /^(\d+):(\d+)$/.exec(text?.trim() ?? '');
  if (!match) return { exitCode: null, signal: null };
  const [code, signal] = [Number(match[1]), Number(match[2])];
  return signal > 0 ? { exitCode: null, signal: signalName(signal) } : { exitCode: code, signal: null };
}

/** `1-02:03:04`, `02:03:04`, `03:04` → ms. */
export function parseDuration(text: string | undefined): number | null {
  const match = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)(?:\.\d+)?$/.exec(text?.trim() ?? '');
  if (!match) return null;
  const [, days, hours, minutes, seconds] = match;
  return (((Number(days ?? 0) * 24 + Number(hours ?? 0)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
}

/** `squeue -h -r -o '%F|%K|%T|%r'` lines → tasks by `<job>_<index>` (pending ranges such as `0-9%2` are skipped). */
export function parseSqueue(output: string): Map<string, QueuedTask> {
  const tasks = new Map<string, QueuedTask>();
  for (const line of output.split('\n')) {
    const [job, index, state, reason] = line.trim().split('|');
    if (!job || !index || !state || !/^\d+$/.test(index)) continue;
    tasks.set(`${job}_${index}`, { state, reason: reason ?? '' });
  }
  return tasks;
}

/** `scontrol -o show job <id>` output (one line per task) → the end of the task with ArrayTaskId index. */
export function parseScontrolJob(output: string, index: number): TaskEnd | undefined {
  for (const line of output.split('\n')) {
    const fields = new Map([...line.matchAll(/(\S+?)=(\S*)/g)].map((match) => [match[1]!, match[2]!]));
    if (fields.get('ArrayTaskId') !== String(index)) continue;
    const state = fields.get('JobState');
    if (!state) return undefined;
    const reason = fields.get('Reason');
    return { state, reason: reason && reason !== 'None' ? reason : null, ...parseExitCode(fields.get('ExitCode')), elapsedMs: parseDuration(fields.get('RunTime')) };
  }
  return undefined;
}

/** `sacct -n -P -X -o State,ExitCode,Elapsed,Reason` output → the task's end (`CANCELLED by 0` → CANCELLED). */
export function parseSacct(output: string): TaskEnd | undefined {
  const line = output.split('\n').find((candidate) => candidate.includes('|'));
  if (!line) return undefined;
  const [state, exit, elapsed, reason] = line.split('|');
  if (!state) return undefined;
  return {
    state: state.split(' ')[0]!,
    reason: reason && reason !== 'None' ? reason : null,
    ...parseExitCode(exit),
    elapsedMs: parseDuration(elapsed),
  };
}

/** Slurm through its commands (sbatch, squeue, scancel, scontrol, sacct) found on PATH. */
export class CliSlurm implements SlurmClient {
  private accounting: boolean | undefined;
  private readonly user = userInfo().username;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  private async run(command: string, args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
    const result = await execa(command, args, { reject: false, env: this.env, stdin: 'ignore', timeout: 60_000 });
    if (result.exitCode === undefined && (result as { code?: string }).code === 'ENOENT') {
      throw new Error(`${command} not found: --executor slurm runs where Slurm's commands (sbatch, squeue, scancel, scontrol) are on PATH, e.g. a login node`);
    }
    return { ok: result.exitCode === 0, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '').trim() };
  }

  async check(): Promise<void> {
    for (const command of ['sbatch', 'squeue', 'scancel', 'scontrol']) await this.run(command, ['--version']);
    const ping = await this.run('squeue', ['-h', '-u', this.user, '-o', '%i']);
    if (!ping.ok) throw new Error(`Slurm does not answer: squeue: ${ping.stderr.split('\n')[0] || 'failed'}`);
  }

  async submit(scriptFile: string): Promise<string> {
    const result = await this.run('sbatch', ['--parsable', scriptFile]);
    const id = result.stdout.trim().split(';')[0] ?? '';
    if (!result.ok || !/^\d+$/.test(id)) throw new Error(`sbatch ${scriptFile}: ${result.stderr.split('\n').pop() || 'failed'}`);
    return id;
  }

  async queue(jobIds: readonly string[]): Promise<Map<string, QueuedTask> | undefined> {
    // Listing the user's jobs rather than `-j <ids>`: squeue fails outright when one of the ids is no longer known.
    const result = await this.run('squeue', ['-h', '-r', '-u', this.user, '-o', '%F|%K|%T|%r']);
    if (!result.ok) return undefined;
    const wanted = new Set(jobIds);
    return new Map([...parseSqueue(result.stdout)].filter(([id]) => wanted.has(id.split('_')[0]!)));
  }

  async findJob(name: string): Promise<string | undefined> {
    const result = await this.run('squeue', ['-h', '-u', this.user, '--name', name, '-o', '%F']);
    return result.ok ? result.stdout.trim().split('\n')[0] || undefined : undefined;
  }

  async cancel(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length === 0) return;
    const result = await this.run('scancel', [...jobIds]);
    if (!result.ok) throw new Error(`scancel ${jobIds.join(' ')}: ${result.stderr.split('\n').pop() || 'failed'}`);
  }

  async taskEnd(jobId: string, index: number): Promise<TaskEnd | undefined> {
    if (this.accounting !== false) {
      const sacct = await this.run('sacct', ['-n', '-P', '-X', '-j', `${jobId}_${index}`, '-o', 'State,ExitCode,Elapsed,Reason']).catch(() => ({ ok: false, stdout: '', stderr: '' }));
      // Without slurmdbd, sacct says "Slurm accounting storage is disabled" (and may still exit 0).
      this.accounting = sacct.ok && !/accounting storage is disabled/i.test(sacct.stdout + sacct.stderr);
      const end = this.accounting ? parseSacct(sacct.stdout) : undefined;
      if (end) return end;
    }
    const scontrol = await this.run('scontrol', ['-o', 'show', 'job', jobId]);
    return scontrol.ok ? parseScontrolJob(scontrol.stdout, index) : undefined;
  }

  async maxArraySize(): Promise<number> {
    const result = await this.run('scontrol', ['show', 'config']);
    const match = /^MaxArraySize\s*=\s*(\d+)/m.exec(result.stdout);
    return match ? Number(match[1]) : DEFAULT_MAX_ARRAY_SIZE;
  }
}
