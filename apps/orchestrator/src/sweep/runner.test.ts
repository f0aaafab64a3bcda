import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStore, openStore, type ResultsStore, type RunRecord } from '../db';
import { HOST, tempDir } from '../db/testing/fixtures';
import type { PlannedRun } from './expand';
import { createLocalExecutor } from './executors/local';
import { runSweep, type SweepEvent, type SweepOptions } from './runner';
import { STDERR_TAIL_CHARS } from './worker';
import { fakeWorker, invocations, plannedRun, type FakeRule } from './testing/fixtures';
import { instantExecutor } from './testing/instant-executor';
import { RecordingStore } from './testing/memory-store';

const tmp = tempDir('midg-sweep-runner-');
after(() => tmp.remove());
let dirs = 0;

/** A fresh directory with a fake worker following rules; options for runSweep over the given runs, run locally. */
function setup(runs: PlannedRun[], rules: FakeRule[] = [], extra: Partial<SweepOptions> = {}, command?: string[]) {
  const dir = join(tmp.dir, `case-${++dirs}`);
  mkdirSync(dir);
  const worker = fakeWorker(dir, rules);
  const events: SweepEvent[] = [];
  const checkpointRoot = join(dir, 'checkpoints');
  const options: SweepOptions = {
    name: 'test',
    specPath: 'test.yaml',
    spec: { name: 'test' },
    runs,
    retries: 0,
    executor: createLocalExecutor({ workers: 2, command: command ?? worker.command, checkpointRoot }),
    host: HOST,
    onEvent: (event) => events.push(event),
    ...extra,
  };
  return { dir, markers: worker.markers, options, events, checkpointRoot };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const runOf = async (store: ResultsStore, run: PlannedRun) => (await store.getRunDetail(run.key))!;
const statuses = async (store: ResultsStore): Promise<string[]> => (await store.findRuns()).map((run: RunRecord) => run.status);

describe('runSweep with the local executor and an in-memory store', () => {
  it('runs every run once, logs its epochs before its result, and passes each run its own checkpoint dir and key', async () => {
    const runs = [1, 2, 3].map((seed) => plannedRun(seed));
    const { options, markers, events, checkpointRoot } = setup(runs, [{ match: {}, attempts: [{ do: 'succeed', epochs: 3 }] }]);
    const store = new RecordingStore();
    const summary = await runSweep(store, options);

    assert.deepEqual({ status: summary.status, done: summary.done, failed: summary.failed.length }, { status: 'done', done: 3, failed: 0 });
    assert.equal(invocations(markers).length, 3);
    for (const run of runs) {
      const { run: stored, epochs } = await runOf(store, run);
      assert.equal(stored.status, 'done');
      assert.deepEqual(epochs.map((event) => event.epoch), [1, 2, 3]);
      const mine = store.calls.filter((call) => call.split(' ')[1] === String(stored.id));
      assert.deepEqual(mine, [`markRunning ${stored.id} 1`, ...[1, 2, 3].map((epoch) => `recordEpoch ${stored.id} ${epoch}`), `completeRun ${stored.id}`]);
      const checkpoint = join(checkpointRoot, stored.key);
      assert.equal((await runOf(store, run)).artifacts[0]?.path, checkpoint);
      assert.ok(existsSync(join(checkpoint, 'manifest.json')));
      const call = invocations(markers).find((candidate) => candidate.spec.seed === run.spec.seed)!;
      assert.equal((call.spec as unknown as { key: string }).key, run.key, 'the worker is told the planned key');
    }
    assert.equal(store.calls.at(-1), 'finishSweep done');
    const kinds = events.map((event) => event.kind);
    assert.deepEqual([kinds[0], kinds.at(-1)], ['start', 'end']);
    assert.deepEqual([kinds.filter((kind) => kind === 'started').length, kinds.filter((kind) => kind === 'finished').length], [3, 3]);
    const end = events.at(-1)!;
    assert.deepEqual({ done: end.counts.done, left: end.counts.left, running: end.counts.running }, { done: 3, left: 0, running: 0 });
  });

  it('records a failure with its exit code, stderr tail and duration, retries it, and keeps going', async () => {
    const runs = [1, 2, 3].map((seed) => plannedRun(seed));
    const noise = 'x'.repeat(3 * STDERR_TAIL_CHARS);
    const { options, markers } = setup(runs, [{ match: { seed: 2 }, attempts: [{ do: 'exit', code: 3, stderr: `${noise}\nmidg: error: out of memory\n` }] }], { retries: 1 });
    const store = new RecordingStore();
    const summary = await runSweep(store, options);

    assert.equal(summary.status, 'failed');
    assert.equal(summary.done, 2, 'the other runs finish');
    assert.deepEqual(summary.failed.map((failure) => [failure.run.spec.seed, failure.attempts, failure.reason]), [[2, 2, 'exit 3: midg: error: out of memory']]);
    const failing = await runOf(store, runs[1]!);
    assert.equal(failing.run.status, 'failed');
    assert.deepEqual(failing.run.failures.map((failure) => [failure.attempt, failure.exitCode, failure.signal, failure.reason]), [
      [1, 3, null, 'exit 3: midg: error: out of memory'],
      [2, 3, null, 'exit 3: midg: error: out of memory'],
    ]);
    for (const failure of failing.run.failures) {
      assert.ok(failure.stderrTail.endsWith('midg: error: out of memory\n'));
      assert.equal(failure.stderrTail.length, STDERR_TAIL_CHARS);
      assert.ok(failure.durationMs > 0 && failure.durationMs < 30_000, `duration ${failure.durationMs}`);
    }
    assert.ok(store.calls.includes(`failRun ${failing.run.id} 1`) && store.calls.includes(`failRun ${failing.run.id} 2 final`));
    assert.equal(invocations(markers).filter((call) => call.spec.seed === 2).length, 2, 'one retry');
    assert.equal(store.calls.at(-1), 'finishSweep failed');
  });

  it('records a worker killed by SIGKILL as failed with the signal, then retries it', async () => {
    const runs = [plannedRun(7)];
    const { options, markers } = setup(runs, [{ match: { seed: 7 }, attempts: [{ do: 'sigkill' }, { do: 'succeed' }] }], { retries: 1 });
    const store = new MemoryStore();
    const summary = await runSweep(store, options);

    assert.equal(summary.status, 'done');
    const { run } = await runOf(store, runs[0]!);
    assert.deepEqual([run.status, run.attempts], ['done', 2]);
    assert.deepEqual(run.failures.map(({ exitCode, signal, attempt }) => ({ exitCode, signal, attempt })), [{ exitCode: null, signal: 'SIGKILL', attempt: 1 }]);
    assert.equal(invocations(markers).length, 2);
  });

  it('counts a worker that exits 0 without a result line, or cannot start, as failed', async () => {
    const quiet = setup([plannedRun(1)], [{ match: {}, attempts: [{ do: 'exit', code: 0 }] }]);
    const quietSummary = await runSweep(new MemoryStore(), quiet.options);
    assert.equal(quietSummary.failed[0]?.reason, 'exit 0: worker exited 0 without a result line on stdout');

    const missing = setup([plannedRun(1)], [], {}, [join(tmp.dir, 'no-such-program')]);
    const missingSummary = await runSweep(new MemoryStore(), missing.options);
    assert.equal(missingSummary.status, 'failed');
    assert.match(missingSummary.failed[0]!.reason, /ENOENT/);
  });

  it('rerunning skips done runs, retries failed ones, and continues attempt numbers', async () => {
    const runs = [1, 2].map((seed) => plannedRun(seed));
    const first = setup(runs, [{ match: { seed: 2 }, attempts: [{ do: 'exit', code: 1, stderr: 'boom' }, { do: 'succeed' }] }]);
    const store = new RecordingStore();
    assert.equal((await runSweep(store, first.options)).status, 'failed');
    const again = await runSweep(store, first.options);
    assert.deepEqual({ status: again.status, alreadyDone: again.alreadyDone, done: again.done }, { status: 'done', alreadyDone: 1, done: 2 });
    assert.deepEqual(invocations(first.markers).map((call) => call.spec.seed).sort(), [1, 2, 2]);
    assert.ok(store.calls.includes(`markRunning ${(await runOf(store, runs[1]!)).run.id} 2`));
  });

  it('a run in two studies is linked to both and run once', async () => {
    const shared = plannedRun(1);
    shared.memberships.push({ study: 'experts', grid: { experts: 4 } });
    const { options, markers } = setup([shared, plannedRun(2)]);
    const store = new MemoryStore();
    await runSweep(store, options);
    assert.equal(invocations(markers).length, 2);
    assert.deepEqual((await runOf(store, shared)).memberships.map((link) => [link.study, link.grid]), [
      ['table1', {}],
      ['experts', { experts: 4 }],
    ]);
  });

  it('an abort kills the workers, puts their runs back to pending and ends the sweep interrupted', async () => {
    const runs = [1, 2, 3].map((seed) => plannedRun(seed));
    const interrupt = new AbortController();
    const { options, markers } = setup(runs, [{ match: {}, attempts: [{ do: 'hang' }] }], { signal: interrupt.signal });
    const poll = setInterval(() => {
      if (invocations(markers).length === 2) interrupt.abort();
    }, 20);
    const store = new RecordingStore();
    const summary = await runSweep(store, options);
    clearInterval(poll);

    assert.equal(summary.status, 'interrupted');
    assert.deepEqual(await statuses(store), ['pending', 'pending', 'pending']);
    assert.ok(!store.calls.some((call) => call.startsWith('failRun')), 'an interrupted run is not a failed run');
    assert.equal(store.calls.at(-1), 'finishSweep interrupted');
    const started = invocations(markers);
    assert.equal(started.length, 2, 'nothing new starts after the abort');
    assert.ok(started.every((call) => !isAlive(call.pid)), 'every worker is gone');
    assert.deepEqual((await store.runStates((await store.findRuns()).map((run) => run.id))).map((state) => state.claimedBy), [null, null, null], 'claims released');
  });

  it('a store that fails stops the workers and the sweep with that error', async () => {
    class BrokenStore extends RecordingStore {
      override async recordEpoch(): Promise<void> {
        throw new Error('disk full');
      }
    }
    const runs = [1, 2, 3, 4].map((seed) => plannedRun(seed));
    const { options, markers } = setup(runs, [{ match: {}, attempts: [{ do: 'succeed', delayMs: 300 }] }]);
    const store = new BrokenStore();
    await assert.rejects(runSweep(store, options), /disk full/);
    assert.equal(store.calls.at(-1), 'finishSweep failed');
    assert.ok(invocations(markers).length <= 2, 'no new runs start once the store has failed');
    assert.ok(invocations(markers).every((call) => !isAlive(call.pid)), 'every worker is gone');
  });
});

describe('runSweep: two sweeps sharing runs', () => {
  it('never runs a run twice: a run another live sweep holds is waited for and counted done', async () => {
    const shared = [1, 2, 3, 4].map((seed) => plannedRun(seed));
    const store = new MemoryStore();
    const log = join(tmp.dir, 'shared-runs.log');
    const options = (name: string, runs: PlannedRun[]): SweepOptions => ({
      name,
      specPath: `${name}.yaml`,
      spec: {},
      runs,
      retries: 0,
      executor: instantExecutor({ log, delayMs: 30 }),
      host: HOST,
      waitPollMs: 20,
    });
    const [a, b] = await Promise.all([
      runSweep(store, options('a', [...shared, plannedRun(10)])),
      runSweep(store, options('b', [plannedRun(20), ...shared.slice().reverse()])),
    ]);
    assert.deepEqual([a.status, a.done, b.status, b.done], ['done', 5, 'done', 5]);
    const executions = readFileSync(log, 'utf8').trim().split('\n').map((line) => line.split(' ')[0]);
    assert.equal(executions.length, 6, `each of the 6 distinct runs once: ${executions.join(', ')}`);
    assert.equal(new Set(executions).size, 6);
    assert.equal((await store.findRuns({ sweep: 'a' })).length, 5);
    assert.equal((await store.findRuns({ sweep: 'b' })).length, 5);
    assert.ok((await store.findRuns()).every((run) => run.status === 'done' && run.attempts === 1));
  });

  it('a second process of the same sweep is refused while the first is live', async () => {
    const store = new MemoryStore();
    const first = runSweep(store, { name: 'solo', specPath: 's.yaml', spec: {}, runs: [plannedRun(1)], retries: 0, executor: instantExecutor({ delayMs: 200 }), host: HOST });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await assert.rejects(
      runSweep(store, { name: 'solo', specPath: 's.yaml', spec: {}, runs: [plannedRun(1)], retries: 0, executor: instantExecutor(), host: HOST, owner: { host: 'other-host', pid: 1, token: 't' } }),
      /sweep solo is being run by another process/,
    );
    assert.equal((await first).status, 'done');
  });
});

describe('runSweep with the local executor and an SQLite store', () => {
  it('stores results, epochs, checkpoints and every failed attempt', async () => {
    const runs = [plannedRun(1), plannedRun(2), plannedRun(3, 'alpha-beta', { alpha: 0.5 })];
    const { dir, options, checkpointRoot } = setup(
      runs,
      [
        { match: { seed: 1 }, attempts: [{ do: 'succeed', epochs: 2, test: { Has0_acc_2: 0.75, MAE: 0.5 }, valid: { MAE: 0.6 } }] },
        { match: { seed: 2 }, attempts: [{ do: 'sigkill' }, { do: 'exit', code: 3, stderr: 'midg: error: bad\n' }] },
      ],
      { retries: 1 },
    );
    const store = await openStore(join(dir, 'results.sqlite'));
    try {
      const summary = await runSweep(store, options);
      assert.equal(summary.status, 'failed');
      const good = await runOf(store, runs[0]!);
      assert.equal(good.run.status, 'done');
      assert.deepEqual(good.run.test, { Has0_acc_2: 0.75, MAE: 0.5 });
      assert.deepEqual(good.epochs.map((epoch) => [epoch.attempt, epoch.epoch, epoch.learningRate]), [
        [1, 1, 0.001],
        [1, 2, 0.001],
      ]);
      assert.deepEqual(good.artifacts.map((artifact) => [artifact.kind, artifact.path]), [['checkpoint', join(checkpointRoot, runs[0]!.key)]]);
      assert.deepEqual(good.memberships, [{ sweep: 'test', study: 'table1', grid: {} }]);

      const bad = await runOf(store, runs[1]!);
      assert.equal(bad.run.status, 'failed');
      assert.deepEqual(bad.run.failures.map(({ attempt, exitCode, signal, stderrTail }) => ({ attempt, exitCode, signal, stderrTail })), [
        { attempt: 1, exitCode: null, signal: 'SIGKILL', stderrTail: '' },
        { attempt: 2, exitCode: 3, signal: null, stderrTail: 'midg: error: bad\n' },
      ]);
      assert.equal((await runOf(store, runs[2]!)).memberships[0]!.grid.alpha, 0.5);
      assert.equal((await store.findSweep('test'))!.status, 'failed');
    } finally {
      await store.close();
    }
  });
});
