import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { ResultsStore } from '../db';
import { MIDG_BIN } from '../bin-path';
import { runCommand } from '../errors';
import { collectHostInfo, createSweepReporter, describeRun, expandSweep, loadSweepSpec, runSweep, type PlannedRun, type SweepSpec } from '../sweep';
import { writeSweepTables } from '../tables';

interface SweepArgs {
  spec: string;
  db: string;
  workers: number;
  resume: boolean;
  retries?: number;
  'dry-run': boolean;
  'tables-dir'?: string;
  datasets?: string;
}

/** Exit codes of a process stopped by SIGINT / SIGTERM, by shell convention. */
const SIGNAL_EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

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

/** A repeated option keeps its last value: `nx run orchestrator:sweep --spec x.yaml` overrides the target's default spec. */
function lastValue<T>(value: T | T[]): T {
  return Array.isArray(value) ? value[value.length - 1]! : value;
}

function displayPath(path: string): string {
  const shown = relative(process.cwd(), path);
  return shown.startsWith('..') ? path : shown || '.';
}

export const sweepCommand: CommandModule<object, SweepArgs> = {
  command: 'sweep',
  describe: 'run a sweep spec: every run in its own process, logged to the results database, resumable; then the tables',
  builder: (y: Argv) =>
    y
      .option('spec', { type: 'string', demandOption: true, coerce: (value: string | string[]) => lastValue(value), describe: 'sweep spec file (YAML or JSON; see docs/sweeps.md)' })
      .option('db', { type: 'string', default: 'results/midg.sqlite', coerce: (value: string | string[]) => lastValue(value), describe: 'results database file' })
      .option('workers', { type: 'number', default: availableParallelism(), coerce: (value: number | number[]) => lastValue(value), describe: 'training processes at once (default: cores)' })
      .option('resume', { type: 'boolean', default: false, describe: 'finish an earlier sweep (the default anyway: done runs are skipped)' })
      .option('retries', { type: 'number', describe: "extra attempts for a failed run (default: the spec's retries)" })
      .option('dry-run', { type: 'boolean', default: false, describe: 'print the expanded runs and exit' })
      .option('tables-dir', { type: 'string', describe: 'where the tables go (default: tables/ beside the database)' })
      .option('datasets', { type: 'string', describe: 'datasets config for aliases, passed to every run (default: ./datasets.yaml)' })
      .check((args) => {
        if (!Number.isInteger(args.workers) || args.workers < 1) throw new Error(`--workers must be a whole number ≥ 1, got ${args.workers}`);
        if (args.retries !== undefined && (!Number.isInteger(args.retries) || args.retries < 0)) {
          throw new Error(`--retries must be a whole number ≥ 0, got ${args.retries}`);
        }
        return true;
      })
      .example('$0 sweep --spec experiments/default.yaml', 'the default sweep on the synthetic benchmark, then its tables')
      .example('$0 sweep --spec experiments/table1.yaml --dry-run', 'list the runs a spec expands to')
      .example('$0 sweep --spec experiments/ci.yaml --workers 2 --db /tmp/ci.sqlite', 'a small sweep in its own database') as unknown as Argv<SweepArgs>,
  handler: (args) =>
    runCommand(async () => {
      const { spec, raw } = loadSweepSpec(args.spec);
      const runs = expandSweep(spec, args.spec);
      if (args['dry-run']) {
        printPlan(spec, runs, args.spec);
        return;
      }
      const command = workerCommand();
      const dbDir = dirname(resolve(args.db));
      const tablesDir = resolve(args['tables-dir'] ?? join(dbDir, 'tables'));
      const host = await collectHostInfo();
      const store = await ResultsStore.open(args.db);
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
        process.stdout.write(`sweep ${spec.name} (${args.spec}) → ${displayPath(store.file)}\n`);
        const summary = await runSweep(store, {
          name: spec.name,
          specPath: args.spec,
          spec: raw,
          runs,
          workers: args.workers,
          retries: args.retries ?? spec.retries,
          workerCommand: command,
          checkpointRoot: join(dbDir, 'checkpoints'),
          ...(args.datasets ? { datasets: resolve(args.datasets) } : {}),
          host,
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
          throw new Error(`${summary.failed.length} of ${summary.total} runs failed; see: midg query --db ${args.db} --sweep ${spec.name} --status failed`);
        }
      } finally {
        reporter.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await store.close();
      }
    }),
};
