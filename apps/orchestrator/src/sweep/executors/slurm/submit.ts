import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSpecJson, type LaunchItem } from '../executor';
import { renderArrayScript, runDir, type ArrayScript } from './script';
import type { SlurmExecutorOptions } from './types';

/** Writes the array's run directories, task list and script; returns the script file. */
export function prepareArray(options: SlurmExecutorOptions, sweep: string, batchId: string, chunk: readonly LaunchItem[]): { jobName: string; scriptFile: string } {
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
