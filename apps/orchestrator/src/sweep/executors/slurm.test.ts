// The Slurm executor under the runner, against FakeSlurm (local processes running the very scripts it submits) for
// what a real cluster cannot do on demand: time limits, out-of-memory kills, node failures, a forgetful scheduler.
// The same executor runs on a real single-node Slurm in commands/sweep.slurm.test.ts.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStore, type ResultsStore, type RunDetail } from '../../db';
import { HOST, tempDir } from '../../db/testing/fixtures';
import type { PlannedRun } from '../expand';
import { runSweep, type SweepEvent, type SweepOptions } from '../runner';
import { FakeSlurm } from '../testing/fake-slurm';
import { fakeWorker, invocations, plannedRun, type FakeRule } from '../testing/fixtures';
import { createSlurmExecutor, type SlurmExecutorOptions } from './slurm/executor';
import { parseDuration, parseExitCode, parseSacct, parseScontrolJob, parseSqueue } from './slurm/client';
import { renderArrayScript, shellQuote } from './slurm/script';

const tmp = tempDir('midg-slurm-');
after(() => tmp.remove());
let cases = 0;

function setup(runs: PlannedRun[], rules: FakeRule[] = [], extra: Partial<SweepOptions> = {}, executorOptions: Partial<SlurmExecutorOptions> = {}, slurm = new FakeSlurm()) {
  const dir = join(tmp.dir, `case-${++cases}`);
  mkdirSync(dir);
  const worker = fakeWorker(dir, rules);
  const workDir = join(dir, 'work');
  const executor = (): ReturnType<typeof createSlurmExecutor> =>
    createSlurmExecutor({
      workDir,
      resources: { time: '0:10:00', mem: '1G' },
      parallel: 2,
      command: worker.command,
      cwd: dir,
      checkpointRoot: join(dir, 'checkpoints'),
      pollMs: 40,
      resultGraceMs: 200,
      client: slurm,
      ...executorOptions,
    });
  const events: SweepEvent[] = [];
  const options: SweepOptions = {
    name: 'slurmy',
    specPath: 's.yaml',
    spec: {},
    runs,
    retries: 0,
    executor: executor(),
    host: HOST,
    onEvent: (event) => events.push(event),
    ...extra,
  };
  return { dir, workDir, slurm, markers: worker.markers, options, events, executor };
}

/** The store, until the nth call of method: that one throws, as if the host had been killed right there. */
function dyingAt(store: MemoryStore, method: 'completeRun' | 'markRunning', n: number): MemoryStore {
  let calls = 0;
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (property !== method) return value.bind(target);
      return async (...args: unknown[]) => {
        if (++calls === n) throw new Error('host killed');
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const detail = async (store: ResultsStore, run: PlannedRun): Promise<RunDetail> => (await store.getRunDetail(run.key))!;
const notes = (events: SweepEvent[]): string[] => events.flatMap((event) => (event.kind === 'note' ? [event.message] : []));

describe('Slurm executor (fake Slurm)', () => {
  it('runs a sweep as job arrays of at most MaxArraySize tasks, recording epochs and results from the run directories', async () => {
    const runs = [1, 2, 3, 4, 5].map((seed) => plannedRun(seed));
    const t = setup(runs, [{ match: {}, attempts: [{ do: 'succeed', epochs: 3, delayMs: 60 }] }], {}, {}, new FakeSlurm({ maxArraySize: 3 }));
    const store = new MemoryStore();
    const summary = await runSweep(store, t.options);
    assert.deepEqual([summary.status, summary.done], ['done', 5]);
    assert.equal(t.slurm.submitted.length, 2, 'two arrays: 3 + 2 tasks');
    assert.match(t.slurm.submitted[0]!, /^#SBATCH --array=0-2%2$/m);
    assert.match(t.slurm.submitted[1]!, /^#SBATCH --array=0-1%2$/m);
    for (const line of ['--time=0:10:00', '--mem=1G', '--cpus-per-task=1', '--no-requeue', `--chdir=${t.dir}`, `--output=${t.workDir}/logs/%A_%a.out`]) {
      assert.ok(t.slurm.submitted[0]!.includes(`#SBATCH ${line}\n`), line);
    }
    for (const run of runs) {
      const { run: record, epochs, artifacts } = await detail(store, run);
      assert.equal(record.status, 'done');
      assert.deepEqual(epochs.map((epoch) => [epoch.attempt, epoch.epoch]), [[1, 1], [1, 2], [1, 3]]);
      assert.deepEqual(artifacts.map((artifact) => artifact.path), [join(t.dir, 'checkpoints', run.key)]);
      const runDir = join(t.workDir, run.key, '1');
      assert.deepEqual(JSON.parse(readFileSync(join(runDir, 'spec.json'), 'utf8')), { ...run.spec, key: run.key });
      assert.ok(existsSync(join(runDir, 'result.json')) && existsSync(join(runDir, 'events.jsonl')));
    }
    assert.equal(invocations(t.markers).length, 5);
    assert.equal(notes(t.events).filter((note) => note.startsWith('slurm: submitted job')).length, 2);
    assert.deepEqual((await store.findSweep('slurmy'))?.executor, 'slurm');
  });

  it("records a task Slurm killed (time limit, memory, node failure) as a failed attempt with Slurm's reason, and retries it", async () => {
    const runs = [1, 2, 3].map((seed) => plannedRun(seed));
    const t = setup(runs, [{ match: {}, attempts: [{ do: 'hang' }, { do: 'succeed' }] }], { retries: 1 });
    const store = new MemoryStore();
    // Each task of the first array is killed once its worker is up (task i runs seed i + 1).
    const killer = setInterval(() => {
      if (t.slurm.submitted.length !== 1) return;
      for (const task of t.slurm.running()) {
        if (invocations(t.markers).some((call) => call.spec.seed === task.index + 1)) t.slurm.fail(task, (['TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL'] as const)[task.index]!);
      }
    }, 60);
    const summary = await runSweep(store, t.options);
    clearInterval(killer);
    assert.deepEqual([summary.status, summary.done], ['done', 3]);
    const reasons = await Promise.all(runs.map(async (run) => (await detail(store, run)).run.failures.map((failure) => failure.reason)));
    assert.match(reasons[0]![0]!, /^slurm TIMEOUT: time limit reached \(--time 0:10:00\) \[job \d+_0\]$/);
    assert.match(reasons[1]![0]!, /^slurm OUT_OF_MEMORY: killed for using more memory than it asked for \(--mem 1G\) \[job \d+_1\]$/);
    assert.match(reasons[2]![0]!, /^slurm NODE_FAIL: its node failed, NodeDown \[job \d+_2\]$/);
    const timedOut = (await detail(store, runs[0]!)).run;
    assert.equal(timedOut.attempts, 2);
    assert.equal(timedOut.failures[0]!.signal, 'SIGKILL');
    assert.match(timedOut.failures[0]!.stderrTail, /CANCELLED AT .* DUE TO TIME LIMIT \*\*\*\nslurm: job \d+_0 TIMEOUT\n$/);
    assert.equal(t.slurm.submitted.length, 2, 'the retries went in a second array');
  });

  it('reads the reason from the log when Slurm has forgotten the task, and a worker error from its last line', async () => {
    const runs = [1, 2].map((seed) => plannedRun(seed));
    const t = setup(runs, [
      { match: { seed: 1 }, attempts: [{ do: 'hang' }] },
      { match: { seed: 2 }, attempts: [{ do: 'exit', code: 3, stderr: 'loading\nmidg: error: no such dataset\n' }] },
    ]);
    t.slurm.forgetFinished = true;
    const killer = setInterval(() => {
      const hanging = t.slurm.running().find((task) => task.index === 0);
      if (hanging && invocations(t.markers).some((call) => call.spec.seed === 1)) t.slurm.fail(hanging, 'TIMEOUT');
    }, 60);
    const store = new MemoryStore();
    const summary = await runSweep(store, t.options);
    clearInterval(killer);
    assert.equal(summary.status, 'failed');
    assert.match(summary.failed.find((failure) => failure.run.spec.seed === 1)!.reason, /^slurm TIMEOUT: time limit reached/);
    const exited = summary.failed.find((failure) => failure.run.spec.seed === 2)!;
    // Slurm forgot the task, so its exit code is unknown; its own last line says what went wrong.
    assert.equal(exited.reason, 'task ended, Slurm no longer says how: midg: error: no such dataset [job 100_1]');
    const failed = (await detail(store, runs[1]!)).run.failures[0]!;
    assert.match(failed.stderrTail, /midg: error: no such dataset\n$/);
  });

  it('a worker error is the last line of its log when Slurm remembers the task', async () => {
    const t = setup([plannedRun(2)], [{ match: {}, attempts: [{ do: 'exit', code: 3, stderr: 'loading\nmidg: error: no such dataset\n' }] }]);
    const summary = await runSweep(new MemoryStore(), t.options);
    assert.equal(summary.failed[0]!.reason, 'exit 3: midg: error: no such dataset');
  });

  it('Ctrl-C cancels the arrays and puts the unfinished runs back to pending', async () => {
    const runs = [1, 2, 3].map((seed) => plannedRun(seed));
    const interrupt = new AbortController();
    const t = setup(runs, [{ match: {}, attempts: [{ do: 'hang' }] }], { signal: interrupt.signal });
    const poll = setInterval(() => {
      if (t.slurm.running().length === 2) interrupt.abort();
    }, 20);
    const store = new MemoryStore();
    const summary = await runSweep(store, t.options);
    clearInterval(poll);
    assert.equal(summary.status, 'interrupted');
    assert.deepEqual((await store.findRuns()).map((run) => run.status), ['pending', 'pending', 'pending']);
    await t.slurm.settle();
    assert.deepEqual(t.slurm.running(), []);
    assert.ok(notes(t.events).some((note) => /^slurm: cancelled job \d+$/.test(note)));
    assert.ok((await store.findRuns()).every((run) => run.failures.length === 0), 'a cancelled run did not fail');
  });

  it('after the host dies: results written meanwhile are recorded, running tasks reattached, failures kept; nothing runs twice', async () => {
    const runs = [1, 2, 3, 4, 5, 6].map((seed) => plannedRun(seed));
    const rules: FakeRule[] = [
      { match: { seed: 6 }, attempts: [{ do: 'exit', code: 2, stderr: 'midg: error: boom\n' }, { do: 'succeed', delayMs: 50 }] },
      { match: { seed: 5 }, attempts: [{ do: 'succeed', delayMs: 4000 }] },
      { match: { seed: 4 }, attempts: [{ do: 'succeed', delayMs: 900 }] },
      { match: { seed: 3 }, attempts: [{ do: 'succeed', delayMs: 900 }] },
      { match: {}, attempts: [{ do: 'succeed', delayMs: 100 }] },
    ];
    const t = setup(runs, rules, {}, { parallel: 6 });
    const store = new MemoryStore();
    // The host "dies" at its second recorded result: no more events are taken, nothing is cancelled.
    const dying = dyingAt(store, 'completeRun', 2);
    await assert.rejects(runSweep(dying, t.options), /host killed/);
    assert.ok(t.slurm.running().length > 0, 'the array goes on without its host');
    // Seeds 3 and 4 finish while nobody watches; seed 5 is still running when the sweep comes back.
    await new Promise((resolve) => setTimeout(resolve, 1800));

    const second = await runSweep(store, { ...t.options, executor: t.executor(), retries: 0 });
    assert.deepEqual([second.status, second.done], ['done', 6]);
    assert.equal(t.slurm.submitted.length, 2, 'only the failed run was submitted again');
    for (const run of runs.slice(0, 5)) assert.equal(invocations(t.markers).filter((call) => call.spec.seed === run.spec.seed).length, 1);
    const six = (await detail(store, runs[5]!)).run;
    assert.deepEqual([six.attempts, six.failures.map((failure) => [failure.attempt, failure.reason])], [2, [[1, 'exit 2: midg: error: boom']]]);
    assert.ok(notes(t.events).some((note) => /recorded [1-3] result\(s\) written while the sweep was away/.test(note)), notes(t.events).join('\n'));
    assert.ok(notes(t.events).some((note) => /^slurm: reattached to job 100 \(1 task\(s\) still queued or running\)$/.test(note)), notes(t.events).join('\n'));
  });

  it('a task that failed while the host was away is recorded as that earlier attempt, without using up a try', async () => {
    const t = setup([plannedRun(1)], [{ match: {}, attempts: [{ do: 'exit', code: 2, stderr: 'midg: error: late\n' }, { do: 'succeed' }] }]);
    const store = new MemoryStore();
    await assert.rejects(runSweep(dyingAt(store, 'markRunning', 1), t.options), /host killed/);
    await t.slurm.settle();
    const summary = await runSweep(store, { ...t.options, executor: t.executor() });
    assert.deepEqual([summary.status, summary.done], ['done', 1]);
    const { run } = await detail(store, plannedRun(1));
    assert.deepEqual([run.attempts, run.failures.map((failure) => [failure.attempt, failure.exitCode, failure.reason])], [2, [[1, 2, 'exit 2: midg: error: late']]]);
  });

  it('an sbatch that refuses the job is one error, and leaves nothing to reattach to', async () => {
    const slurm = new FakeSlurm();
    slurm.submit = async () => {
      throw new Error('sbatch /x.sh: sbatch: error: invalid partition specified: gpu');
    };
    const t = setup([plannedRun(1)], [], {}, {}, slurm);
    const store = new MemoryStore();
    await assert.rejects(runSweep(store, t.options), /^Error: sbatch \/x\.sh: sbatch: error: invalid partition specified: gpu$/);
    assert.equal((await store.findRuns())[0]!.status, 'pending');
    assert.deepEqual((await store.startSweep({ name: 'slurmy', specPath: 's', spec: {} })).executorState, { executor: 'slurm', arrays: [] });
  });
});

describe('Slurm command output', () => {
  it('parses squeue, scontrol and sacct as a Slurm 22 cluster prints them', () => {
    assert.deepEqual([...parseSqueue('5|0|RUNNING|None\n5|1|PENDING|JobArrayTaskLimit\n6|0-9%2|PENDING|None\n')], [
      ['5_0', { state: 'RUNNING', reason: 'None' }],
      ['5_1', { state: 'PENDING', reason: 'JobArrayTaskLimit' }],
    ]);
    const scontrol =
      'JobId=7 ArrayJobId=5 ArrayTaskId=1 JobName=t2 UserId=root(0) JobState=NODE_FAIL Reason=NodeDown Dependency=(null) ExitCode=0:15 RunTime=00:00:09 TimeLimit=UNLIMITED\n' +
      'JobId=6 ArrayJobId=5 ArrayTaskId=0 JobName=t2 UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 RunTime=00:01:02 TimeLimit=UNLIMITED\n';
    assert.deepEqual(parseScontrolJob(scontrol, 1), { state: 'NODE_FAIL', reason: 'NodeDown', exitCode: null, signal: 'SIGTERM', elapsedMs: 9000 });
    assert.deepEqual(parseScontrolJob(scontrol, 0), { state: 'FAILED', reason: 'NonZeroExitCode', exitCode: 3, signal: null, elapsedMs: 62_000 });
    assert.equal(parseScontrolJob(scontrol, 2), undefined);
    assert.deepEqual(parseSacct('CANCELLED by 0|0:9|00:00:04|None\n'), { state: 'CANCELLED', reason: null, exitCode: null, signal: 'SIGKILL', elapsedMs: 4000 });
    assert.equal(parseSacct(''), undefined);
    assert.deepEqual([parseDuration('1-02:03:04'), parseDuration('03:04'), parseDuration('x')], [93_784_000, 184_000, null]);
    assert.deepEqual(parseExitCode('0:0'), { exitCode: 0, signal: null });
  });

  it('quotes for bash and writes a script that reads its task from the task list', () => {
    assert.deepEqual([shellQuote('/a/b-c.d'), shellQuote("it's here"), shellQuote('a b')], ['/a/b-c.d', `'it'\\''s here'`, `'a b'`]);
    const script = renderArrayScript({
      jobName: 'midg-ci-x',
      workDir: '/shared/work',
      taskList: '/shared/work/arrays/x.tasks',
      tasks: 1000,
      parallel: 50,
      resources: { partition: 'gpu', account: 'lab', time: '02:00:00', cpus: 4, mem: '16G', gres: 'gpu:1', extra: ['--qos=short'] },
      cwd: '/shared/midg',
      command: ['/usr/bin/node', '/shared/midg/apps/orchestrator/bin/midg.js'],
      checkpointRoot: '/shared/results/checkpoints',
      datasets: '/shared/midg/datasets.yaml',
    });
    assert.equal(
      script,
      [
        '#!/bin/bash',
        '#SBATCH --job-name=midg-ci-x',
        '#SBATCH --array=0-999%50',
        '#SBATCH --output=/shared/work/logs/%A_%a.out',
        '#SBATCH --chdir=/shared/midg',
        '#SBATCH --no-requeue',
        '#SBATCH --partition=gpu',
        '#SBATCH --account=lab',
        '#SBATCH --time=02:00:00',
        '#SBATCH --cpus-per-task=4',
        '#SBATCH --mem=16G',
        '#SBATCH --gres=gpu:1',
        '#SBATCH --qos=short',
        '# Written by `midg sweep --executor slurm`: one task per run attempt (docs/cluster.md).',
        'set -euo pipefail',
        `TASK=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" /shared/work/arrays/x.tasks)`,
        'KEY=${TASK% *}',
        'ATTEMPT=${TASK#* }',
        'RUN_DIR=/shared/work/"$KEY"/"$ATTEMPT"',
        'echo "midg: run $KEY attempt $ATTEMPT on $(hostname) (job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID})" >&2',
        'exec /usr/bin/node /shared/midg/apps/orchestrator/bin/midg.js train --run-spec "$RUN_DIR/spec.json" --run-dir "$RUN_DIR" ' +
          '--checkpoint-dir /shared/results/checkpoints/"$KEY" --datasets /shared/midg/datasets.yaml',
        '',
      ].join('\n'),
    );
  });
});
