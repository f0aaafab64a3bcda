import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { currentOwner, isPostgresUrl, openStore, redactUrl } from '../db';
import { MIDG_BIN } from '../bin-path';
import { runCommand } from '../errors';
import {
  collectHostInfo,
  createLocalExecutor,
  createSweepReporter,
  describeRun,
  EXECUTORS,
  expandSweep,
  loadSweepSpec,
  runSweep,
  type Executor,
  type ExecutorName,
  type PlannedRun,
  type SlurmResources,
  type SweepSpec,
} from '../sweep';
import { CliSlurm, DEFAULT_MAX_ARRAY_SIZE, type SlurmClient } from '../sweep/executors/slurm/client';
import { arrayScript, createSlurmExecutor, type SlurmExecutorOptions } from '../sweep/executors/slurm/executor';
import { renderArrayScript } from '../sweep/executors/slurm/script';
import { writeSweepTables } from '../tables';

interface SweepArgs {
  spec: string;
  db: string;
  workers?: number;
  resume: boolean;
  retries?: number;
  'dry-run': boolean;
  'tables-dir'?: string;
  datasets?: string;
  executor?: ExecutorName;
  'work-dir'?: string;
  partition?: string;
  time?: string;
  cpus?: number;
  mem?: string;
  gres?: string;
  account?: string;
  sbatch?: string[];
  poll: number;
}

/** Exit codes of a process stopped by SIGINT / SIGTERM, by shell convention. */
const SIGNAL_EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
/** Array tasks at once when --workers is not given (Slurm's fair share decides the rest). */
export const DEFAULT_SLURM_PARALLEL = 100;
const SLURM_FLAGS = ['work-dir', 'partition', 'time', 'cpus', 'mem', 'gres', 'account', 'sbatch'] as const;

/** The worker program: MIDG_WORKER_COMMAND (a JSON array, e.g. ["node","fake-worker.mjs"]) or this CLI itself. */
export function workerCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  const text = env.MIDG_WORKER_COMMAND;
  if (text === undefined || text.trim() === '') return [process.execPath, MIDG_BIN];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((part) => typeof part === 'string' && part !== '')) {
    throw new Error(`MIDG_WORKER_COMMAND must be a JSON array of strings such as ["node","worker.mjs"], got ${text}`);
  }
  return parsed as string[];
}

function printPlan(spec: SweepSpec, runs: PlannedRun[], specPath: string): void {
  const links = runs.flatMap((run) => run.memberships);
  const lines = [`sweep ${spec.name}: ${runs.length} runs (${links.length} study links) from ${specPath}`];
  for (const study of spec.studies) {
    lines.push(`  ${study.name.padEnd(16)} ${links.filter((link) => link.study === study.name).length} runs`);
  }
  const studiesOf = (run: PlannedRun): string => run.memberships.map((membership) => membership.study).join(',');
  const width = Math.max(...runs.map((run) => studiesOf(run).length));
  for (const run of runs) {
    const overrides = Object.entries(run.spec.overrides).map(([key, value]) => `${key}=${String(value)}`).join(' ');
    lines.push(`${run.key}  ${studiesOf(run).padEnd(width)}  ${run.spec.model} ${run.spec.source} -> ${run.spec.target} seed ${run.spec.seed}  ${overrides}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** What `--dry-run --executor slurm` adds: the script of every array a fresh sweep would submit. */
function printSlurmPlan(options: SlurmExecutorOptions, sweep: string, runs: number): void {
  const lines: string[] = [];
  const arrays = Math.ceil(runs / DEFAULT_MAX_ARRAY_SIZE);
  lines.push(
    `slurm: would submit ${arrays} job array(s) for ${runs} run(s) (at most ${DEFAULT_MAX_ARRAY_SIZE} tasks each, Slurm's default MaxArraySize), ` +
      `${options.parallel} at once, work dir ${options.workDir}`,
  );
  for (let start = 0; start < runs; start += DEFAULT_MAX_ARRAY_SIZE) {
    const tasks = Math.min(DEFAULT_MAX_ARRAY_SIZE, runs - start);
    const batch = arrays > 1 ? `dry-run-${start / DEFAULT_MAX_ARRAY_SIZE}` : 'dry-run';
    lines.push(`--- ${join(options.workDir, 'arrays', `${batch}.sh`)} (${tasks} tasks; its task list has one "<run key> <attempt>" line per task)`);
    lines.push(renderArrayScript(arrayScript(options, sweep, batch, tasks)).trimEnd());
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** A repeated option keeps its last value: `nx run orchestrator:sweep --spec x.yaml` overrides the target's default spec. */
function lastValue<T>(value: T | T[]): T {
  return Array.isArray(value) ? value[value.length - 1]! : value;
}

function displayPath(path: string): string {
  if (isPostgresUrl(path)) return redactUrl(path);
  const shown = relative(process.cwd(), path);
  return shown.startsWith('..') ? path : shown || '.';
}

/** The spec's Slurm resources with the command line's over them. */
function slurmResources(spec: SweepSpec, args: SweepArgs): SlurmResources {
  const resources: SlurmResources = { ...spec.slurm };
  for (const key of ['partition', 'time', 'mem', 'gres', 'account'] as const) if (args[key] !== undefined) resources[key] = args[key];
  if (args.cpus !== undefined) resources.cpus = args.cpus;
  if (args.sbatch !== undefined) resources.extra = [...(resources.extra ?? []), ...args.sbatch];
  for (const option of resources.extra ?? []) {
    if (!option.startsWith('-')) throw new Error(`slurm.extra / --sbatch: expected sbatch options such as --qos=short, got "${option}"`);
  }
  return resources;
}

export const sweepCommand: CommandModule<object, SweepArgs> = {
  command: 'sweep',
  describe: 'run a sweep spec: runs in worker processes here (--workers at once) or as Slurm array tasks, logged to the results database, resumable; then the tables',
  builder: (y: Argv) =>
    y
      .option('spec', { type: 'string', demandOption: true, coerce: (value: string | string[]) => lastValue(value), describe: 'sweep spec file (YAML or JSON; see docs/sweeps.md)' })
      .option('db', {
        type: 'string',
        default: 'results/midg.sqlite',
        coerce: (value: string | string[]) => lastValue(value),
        describe: 'results database: an SQLite file, or a postgresql://user@host/database URL (docs/cluster.md)',
      })
      .option('executor', { choices: EXECUTORS, describe: "where runs execute: local processes, or Slurm job arrays (default: the spec's executor, else local)" })
      .option('workers', {
        type: 'number',
        coerce: (value: number | number[]) => lastValue(value),
        describe: `runs at once: local processes (default: cores) or Slurm array tasks (default ${DEFAULT_SLURM_PARALLEL})`,
      })
      .option('resume', { type: 'boolean', default: false, describe: "only finish an earlier sweep of the spec's name: refuse to start one the database does not have (a rerun resumes anyway: done runs are skipped)" })
      .option('retries', { type: 'number', describe: "extra attempts for a failed run (default: the spec's retries)" })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print the expanded runs (and, with slurm, the sbatch script) and exit' })
      .option('tables-dir', { type: 'string', describe: 'where the tables go (default: tables/ beside the database file, or results/tables)' })
      .option('datasets', { type: 'string', describe: 'datasets config for aliases, passed to every run (default: ./datasets.yaml)' })
      .option('work-dir', { type: 'string', group: 'Slurm:', describe: 'run directories on storage the compute nodes share (default: work/<sweep> beside the database file, or results/work/<sweep>)' })
      .option('partition', { type: 'string', group: 'Slurm:', describe: 'sbatch --partition (over the spec\'s slurm.partition)' })
      .option('time', { type: 'string', group: 'Slurm:', describe: 'sbatch --time per run, e.g. 02:00:00' })
      .option('cpus', { type: 'number', group: 'Slurm:', describe: 'sbatch --cpus-per-task (default 1)' })
      .option('mem', { type: 'string', group: 'Slurm:', describe: 'sbatch --mem, e.g. 8G' })
      .option('gres', { type: 'string', group: 'Slurm:', describe: 'sbatch --gres, e.g. gpu:1' })
      .option('account', { type: 'string', group: 'Slurm:', describe: 'sbatch --account' })
      .option('sbatch', { type: 'string', array: true, group: 'Slurm:', describe: 'another sbatch option, verbatim (repeatable), e.g. --sbatch=--qos=short' })
      .option('poll', { type: 'number', default: 10, group: 'Slurm:', describe: 'seconds between looks at squeue and the run directories' })
      .check((args) => {
        if (args.workers !== undefined && (!Number.isInteger(args.workers) || args.workers < 1)) throw new Error(`--workers must be a whole number ≥ 1, got ${args.workers}`);
        if (args.retries !== undefined && (!Number.isInteger(args.retries) || args.retries < 0)) {
          throw new Error(`--retries must be a whole number ≥ 0, got ${args.retries}`);
        }
        if (args.cpus !== undefined && (!Number.isInteger(args.cpus) || args.cpus < 1)) throw new Error(`--cpus must be a whole number ≥ 1, got ${args.cpus}`);
        if (!(args.poll > 0)) throw new Error(`--poll must be a number of seconds > 0, got ${args.poll}`);
        return true;
      })
      .example('$0 sweep --spec experiments/default.yaml', 'the default sweep on the synthetic benchmark, then its tables')
      .example('$0 sweep --spec experiments/table1.yaml --dry-run', 'list the runs a spec expands to')
      .example('$0 sweep --spec experiments/ci.yaml --workers 2 --db results/ci.sqlite', 'a small sweep in its own database')
      .example(
        '$0 sweep --spec experiments/table1.yaml --executor slurm --time 02:00:00 --mem 8G --db postgresql://me@dbhost/midg',
        'on a Slurm cluster, into PostgreSQL (docs/cluster.md)',
      ) as unknown as Argv<SweepArgs>,
  handler: (args) =>
    runCommand(async () => {
      const { spec, raw } = loadSweepSpec(args.spec);
      const runs = expandSweep(spec, args.spec);
      const executorName: ExecutorName = args.executor ?? spec.executor;
      const given = SLURM_FLAGS.filter((flag) => args[flag] !== undefined);
      if (executorName !== 'slurm' && given.length > 0) throw new Error(`--${given[0]} is a Slurm option; it needs --executor slurm`);
      const onUrl = isPostgresUrl(args.db);
      const resultsDir = onUrl ? resolve('results') : dirname(resolve(args.db));
      const tablesDir = resolve(args['tables-dir'] ?? join(resultsDir, 'tables'));
      const checkpointRoot = join(resultsDir, 'checkpoints');
      const datasets = args.datasets ? resolve(args.datasets) : undefined;
      const command = workerCommand();

      let executor: Executor;
      let client: SlurmClient | undefined;
      if (executorName === 'slurm') {
        const workDir = resolve(args['work-dir'] ?? join(resultsDir, 'work', spec.name));
        for (const [what, path] of [['--work-dir', workDir], ['the working directory', process.cwd()]] as const) {
          if (/\s/.test(path)) throw new Error(`${what} ${path} contains whitespace, which #SBATCH lines cannot hold; use another directory`);
        }
        const slurmOptions: SlurmExecutorOptions = {
          workDir,
          resources: slurmResources(spec, args),
          parallel: args.workers ?? DEFAULT_SLURM_PARALLEL,
          command,
          cwd: process.cwd(),
          checkpointRoot,
          ...(datasets ? { datasets } : {}),
          pollMs: args.poll * 1000,
        };
        if (args['dry-run']) {
          printPlan(spec, runs, args.spec);
          printSlurmPlan(slurmOptions, spec.name, runs.length);
          return;
        }
        client = new CliSlurm();
        await client.check();
        executor = createSlurmExecutor({ ...slurmOptions, client });
      } else {
        if (args['dry-run']) {
          printPlan(spec, runs, args.spec);
          return;
        }
        // The midg CLI serves runs in long-lived processes (midg run-server); a MIDG_WORKER_COMMAND program gets one process per run.
        const reuseProcesses = !process.env.MIDG_WORKER_COMMAND?.trim();
        executor = createLocalExecutor({ workers: args.workers ?? availableParallelism(), command, reuseProcesses, checkpointRoot, ...(datasets ? { datasets } : {}) });
      }

      const host = await collectHostInfo();
      const store = await openStore(args.db);
      const reporter = createSweepReporter(process.stdout);
      const interrupt = new AbortController();
      let interruptedBy: string | undefined;
      const onSignal = (signal: NodeJS.Signals): void => {
        interruptedBy ??= signal;
        interrupt.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        if (args.resume && !(await store.findSweep(spec.name))) {
          throw new Error(`--resume: no sweep "${spec.name}" in ${displayPath(store.location)} to resume; drop --resume to start it`);
        }
        process.stdout.write(`sweep ${spec.name} (${args.spec}) → ${displayPath(store.location)}${executorName === 'slurm' ? ' (Slurm)' : ''}\n`);
        const summary = await runSweep(store, {
          name: spec.name,
          specPath: args.spec,
          spec: raw,
          runs,
          retries: args.retries ?? spec.retries,
          executor,
          host,
          owner: currentOwner(),
          signal: interrupt.signal,
          onEvent: reporter.onEvent,
        });
        reporter.stop();
        if (summary.status === 'interrupted') {
          process.stderr.write(
            `midg: sweep ${spec.name} interrupted by ${interruptedBy}: ${summary.done} of ${summary.total} runs done; rerun the same command to resume\n`,
          );
          process.exitCode = SIGNAL_EXIT_CODES[interruptedBy!] ?? 1;
          return;
        }
        const tables = await writeSweepTables(store, spec.name, tablesDir);
        const fresh = summary.done - summary.alreadyDone;
        process.stdout.write(
          (tables.length > 0 ? `tables: ${displayPath(tablesDir)} (${tables.length} files)\n` : 'tables: none (no finished runs)\n') +
            `sweep ${spec.name}: ${summary.total} runs, ${summary.done} done (${fresh} now, ${summary.alreadyDone} before), ${summary.failed.length} failed\n` +
            summary.failed.map((failure) => `  failed after ${failure.attempts} attempt(s): ${describeRun(failure.run)}: ${failure.reason}\n`).join(''),
        );
        if (summary.failed.length > 0) {
          throw new Error(`${summary.failed.length} of ${summary.total} runs failed; see: midg query --db ${displayDb(args.db)} --sweep ${spec.name} --status failed`);
        }
      } finally {
        reporter.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await store.close();
      }
    }),
};

/** The --db value as typed, its password (if any) hidden. */
function displayDb(db: string): string {
  return isPostgresUrl(db) ? redactUrl(db) : db;
}
