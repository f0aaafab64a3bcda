import type { SlurmResources } from '../../spec';
import type { SlurmClient, TaskEnd } from './client';

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

export interface Task {
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

export function readState(saved: unknown): SlurmState {
  const state = saved as Partial<SlurmState> | null;
  if (state && state.executor === 'slurm' && Array.isArray(state.arrays)) return { executor: 'slurm', arrays: state.arrays };
  return { executor: 'slurm', arrays: [] };
}
