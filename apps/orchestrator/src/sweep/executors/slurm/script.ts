import { join } from 'node:path';
import type { SlurmResources } from '../../spec';

// The batch script of one job array: one task per run attempt. Task i reads line i+1 of the array's task list
// (`<run key> <attempt>`) and runs `midg train` on the run directory <work dir>/<run key>/<attempt>, which holds
// spec.json and receives events.jsonl and result.json. Everything the task prints, and Slurm's own messages about it
// (time limit, memory, node failure), go to <work dir>/logs/<job id>_<index>.out.

export interface ArrayScript {
  /** `midg-<sweep>-<batch>`: also how a job whose id was never recorded is found again. */
  jobName: string;
  workDir: string;
  /** The task list file (`<key> <attempt>` per line). */
  taskList: string;
  tasks: number;
  /** At most this many tasks at once (`%C`). */
  parallel: number;
  resources: SlurmResources;
  /** Where the tasks start (`--chdir`): the directory the sweep was started in, on shared storage. */
  cwd: string;
  /** The worker program and leading arguments: [node, .../midg.js]; `train ...` is appended. */
  command: readonly string[];
  checkpointRoot?: string;
  datasets?: string;
}

/** A word for bash, single-quoted unless plainly safe. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function logFile(workDir: string, jobId: string, index: number): string {
  return join(workDir, 'logs', `${jobId}_${index}.out`);
}

export function runDir(workDir: string, key: string, attempt: number): string {
  return join(workDir, key, String(attempt));
}

export function renderArrayScript(script: ArrayScript): string {
  const { resources } = script;
  const directives = [
    `--job-name=${script.jobName}`,
    `--array=0-${script.tasks - 1}%${script.parallel}`,
    `--output=${join(script.workDir, 'logs', '%A_%a.out')}`,
    `--chdir=${script.cwd}`,
    // A task Slurm kills is a failed attempt that the sweep retries in a fresh run directory, not one Slurm requeues.
    '--no-requeue',
    ...(resources.partition ? [`--partition=${resources.partition}`] : []),
    ...(resources.account ? [`--account=${resources.account}`] : []),
    ...(resources.time ? [`--time=${resources.time}`] : []),
    `--cpus-per-task=${resources.cpus ?? 1}`,
    ...(resources.mem ? [`--mem=${resources.mem}`] : []),
    ...(resources.gres ? [`--gres=${resources.gres}`] : []),
    ...(resources.extra ?? []),
  ];
  const train = [
    ...script.command.map(shellQuote),
    'train',
    '--run-spec',
    '"$RUN_DIR/spec.json"',
    '--run-dir',
    '"$RUN_DIR"',
    ...(script.checkpointRoot ? ['--checkpoint-dir', `${shellQuote(script.checkpointRoot)}/"$KEY"`] : []),
    ...(script.datasets ? ['--datasets', shellQuote(script.datasets)] : []),
  ];
  return [
    '#!/bin/bash',
    ...directives.map((directive) => `#SBATCH ${directive}`),
    '# Written by `midg sweep --executor slurm`: one task per run attempt (docs/cluster.md).',
    'set -euo pipefail',
    `TASK=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" ${shellQuote(script.taskList)})`,
    'KEY=${TASK% *}',
    'ATTEMPT=${TASK#* }',
    `RUN_DIR=${shellQuote(script.workDir)}/"$KEY"/"$ATTEMPT"`,
    'echo "midg: run $KEY attempt $ATTEMPT on $(hostname) (job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID})" >&2',
    `exec ${train.join(' ')}`,
    '',
  ].join('\n');
}
