import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ResultsStore } from '../db';
import { HOST, tempDir } from '../db/testing/fixtures';
import type { PlannedRun } from './expand';
import { runSweep, type SweepEvent, type SweepOptions, type SweepStore } from './runner';
import { STDERR_TAIL_CHARS } from './worker';
import { fakeWorker, invocations, plannedRun, type FakeRule } from './testing/fixtures';
import { MemoryStore } from './testing/memory-store';

const tmp = tempDir('midg-sweep-runner-');
after(() => tmp.remove());
let dirs = 0;

/** A fresh directory with a fake worker following rules; options for runSweep over the given runs. */
function setup(runs: PlannedRun[], rules: FakeRule[] = [], extra: Partial<SweepOptions> = {}) {
  const dir = join(tmp.dir, `case-${++dirs}`);
  mkdirSync(dir);
  const worker = fakeWorker(dir, rules);
  const events: SweepEvent[] = [];
  const options: SweepOptions = {
    name: 'test',
    specPath: 'test.yaml',
    spec: { name: 'test' },
    runs,
    workers: 2,
    retries: 0,
    workerCommand: worker.command,
    checkpointRoot: join(dir, 'checkpoints'),
    host: HOST,
    onEvent: (event) => events.push(event),
    ...extra,
  };
  return { dir, markers: worker.markers, options, events };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runSweep with an in-memory store', () => {
  it('runs every run once, logs its epochs before its result, and passes each run its own checkpoint dir', async () => {
    const runs = [1, 2, 3].map((seed) => plannedRun(seed));
    const { options, markers, events } = setup(runs, [{ match: {}, attempts: [{ do: 'succeed', epochs: 3 }] }]);
    const store = new MemoryStore();
    const summary = await runSweep(store, options);

    assert.deepEqual({ status: summary.status, done: summary.done, failed: summary.failed.length }, { status: 'done', done: 3, failed: 0 });
    assert.equal(invocations(markers).length, 3);
    for (const stored of store.runs.values()) {
      assert.equal(stored.status, 'done');
      assert.deepEqual(stored.epochs.map((event) => event.epoch), [1, 2, 3]);
      const mine = store.calls.filter((call) => call.split(' ')[1] === String(stored.id) && call !== 'startSweep');
      assert.deepEqual(mine, [`markRunning ${stored.id} 1`, ...[1, 2, 3].map((epoch) => `recordEpoch ${stored.id} ${epoch}`), `completeRun ${stored.id}`]);
      const checkpoint = join(options.checkpointRoot!, stored.key);
      assert.equal(stored.result?.checkpoint, checkpoint);
      assert.ok(existsSync(join(checkpoint, 'manifest.json')));
    }
    assert.equal(store.calls.at(-1), 'finishSweep done');
    const kinds = events.map((event) => event.kind);
    assert.deepEqual([kinds[0], kinds.at(-1)], ['start', 'end']);
    assert.deepEqual([kinds.filter((kind) => kind === 'started').length, kinds.filter((kind) => kind === 'finished').length], [3, 3]);
    const end = events.at(-1)!;
    assert.equal(end.kind, 'end');
    assert.deepEqual({ done: end.counts.done, left: end.counts.left, running: end.counts.running }, { done: 3, left: 0, running: 0 });
  });

  it('records a failure with its exit code, stderr tail and duration, retries it, and keeps going', async () => {
    const runs = [1, 2, 3].map((seed) => plannedRun(seed));
    const noise = 'x'.repeat(3 * STDERR_TAIL_CHARS);
    const { options, markers } = setup(
      runs,
      [{ match: { seed: 2 }, attempts: [{ do: 'exit', code: 3, stderr: `${noise}\nmidg: error: out of memory\n` }] }],
      { retries: 1 },
    );
    const store = new MemoryStore();
    const summary = await runSweep(store, options);

    assert.equal(summary.status, 'failed');
    assert.equal(summary.done, 2, 'the other runs finish');
    assert.deepEqual(summary.failed.map((failure) => [failure.run.spec.seed, failure.attempts, failure.reason]), [[2, 2, 'exit 3: midg: error: out of memory']]);
    const failing = [...store.runs.values()].find((run) => run.spec.seed === 2)!;
    assert.equal(failing.status, 'failed');
    assert.deepEqual(failing.failures.map((failure) => [failure.attempt, failure.final, failure.exitCode, failure.signal]), [
      [1, false, 3, null],
      [2, true, 3, null],
    ]);
    for (const failure of failing.failures) {
      assert.ok(failure.stderrTail.endsWith('midg: error: out of memory\n'));
      assert.equal(failure.stderrTail.length, STDERR_TAIL_CHARS);
      assert.ok(failure.durationMs > 0 && failure.durationMs < 30_000, `duration ${failure.durationMs}`);
    }
    assert.equal(invocations(markers).filter((call) => call.spec.seed === 2).length, 2, 'one retry');
    assert.equal(store.calls.at(-1), 'finishSweep failed');
  });

  it('records a worker killed by SIGKILL as failed with the signal, then retries it', async () => {
    const runs = [plannedRun(7)];
    const { options, markers } = setup(runs, [{ match: { seed: 7 }, attempts: [{ do: 'sigkill' }, { do: 'succeed' }] }], { retries: 1 });
    const store = new MemoryStore();
    const summary = await runSweep(store, options);

    assert.equal(summary.status, 'done');
    const [run] = store.runs.values();
    assert.equal(run!.status, 'done');
    assert.equal(run!.attempts, 2);
    assert.deepEqual(run!.failures.map(({ exitCode, signal, final, attempt }) => ({ exitCode, signal, final, attempt })), [
      { exitCode: null, signal: 'SIGKILL', final: false, attempt: 1 },
    ]);
    assert.equal(invocations(markers).length, 2);
  });

  it('counts a worker that exits 0 without a result line, or cannot start, as failed', async () => {
    const quiet = setup([plannedRun(1)], [{ match: {}, attempts: [{ do: 'exit', code: 0 }] }]);
    const quietStore = new MemoryStore();
    const quietSummary = await runSweep(quietStore, quiet.options);
    assert.equal(quietSummary.failed[0]?.reason, 'exit 0: worker exited 0 without a result line on stdout');

    const missing = setup([plannedRun(1)], [], { workerCommand: [join(tmp.dir, 'no-such-program')] });
    const missingSummary = await runSweep(new MemoryStore(), missing.options);
    assert.equal(missingSummary.status, 'failed');
    assert.match(missingSummary.failed[0]!.reason, /ENOENT/);
  });

  it('rerunning skips done runs, retries failed ones, and continues attempt numbers', async () => {
    const runs = [1, 2].map((seed) => plannedRun(seed));
    const first = setup(runs, [{ match: { seed: 2 }, attempts: [{ do: 'exit', code: 1, stderr: 'boom' }, { do: 'succeed' }] }]);
    const store = new MemoryStore();
    assert.equal((await runSweep(store, first.options)).status, 'failed');
    const again = await runSweep(store, first.options);
    assert.deepEqual({ status: again.status, alreadyDone: again.alreadyDone, done: again.done }, { status: 'done', alreadyDone: 1, done: 2 });
    assert.deepEqual(invocations(first.markers).map((call) => call.spec.seed).sort(), [1, 2, 2]);
    assert.ok(store.calls.includes(`markRunning ${[...store.runs.values()].find((run) => run.spec.seed === 2)!.id} 2`));
  });

  it('a run in two studies is linked to both and run once', async () => {
    const shared = plannedRun(1);
    shared.memberships.push({ study: 'experts', grid: { experts: 4 } });
    const { options, markers } = setup([shared, plannedRun(2)]);
    const store = new MemoryStore();
    await runSweep(store, options);
    assert.equal(invocations(markers).length, 2);
    const run = [...store.runs.values()].find((candidate) => candidate.key === shared.key)!;
    assert.deepEqual(run.links.map((link) => [link.study, link.grid]), [
      ['table1', {}],
      ['experts', { experts: 4 }],
    ]);
  });

  it('an abort kills the workers, puts their runs back to pending and ends the sweep interrupted', async () => {
    const runs = [1, 2, 3].map((seed) => plannedRun(seed));
    const interrupt = new AbortController();
    const { options, markers } = setup(runs, [{ match: {}, attempts: [{ do: 'hang' }] }], { signal: interrupt.signal });
    // Abort once both workers are really running.
    const poll = setInterval(() => {
      if (invocations(markers).length === 2) interrupt.abort();
    }, 20);
    const store = new MemoryStore();
    const summary = await runSweep(store, options);
    clearInterval(poll);

    assert.equal(summary.status, 'interrupted');
    assert.deepEqual([...store.runs.values()].map((run) => run.status), ['pending', 'pending', 'pending']);
    assert.ok(!store.calls.some((call) => call.startsWith('failRun')), 'an interrupted run is not a failed run');
    assert.equal(store.calls.at(-1), 'finishSweep interrupted');
    const started = invocations(markers);
    assert.equal(started.length, 2, 'nothing new starts after the abort');
    assert.ok(started.every((call) => !isAlive(call.pid)), 'every worker is gone');
  });

  it('a store that fails stops the workers and the sweep with that error', async () => {
    class BrokenStore extends MemoryStore {
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
  });
});

describe('runSweep with the real ResultsStore', () => {
  it('stores results, epochs, checkpoints and every failed attempt', async () => {
    const runs = [plannedRun(1), plannedRun(2), plannedRun(3, 'alpha-beta', { alpha: 0.5 })];
    const { dir, options } = setup(
      runs,
      [
        { match: { seed: 1 }, attempts: [{ do: 'succeed', epochs: 2, test: { Has0_acc_2: 0.75, MAE: 0.5 }, valid: { MAE: 0.6 } }] },
        { match: { seed: 2 }, attempts: [{ do: 'sigkill' }, { do: 'exit', code: 3, stderr: 'midg: error: bad\n' }] },
      ],
      { retries: 1 },
    );
    const store: ResultsStore = await ResultsStore.open(join(dir, 'results.sqlite'));
    try {
      const summary = await runSweep(store as SweepStore, options);
      assert.equal(summary.status, 'failed');
      const good = (await store.getRunDetail(runs[0]!.key))!;
      assert.equal(good.run.status, 'done');
      assert.deepEqual(good.run.test, { Has0_acc_2: 0.75, MAE: 0.5 });
      assert.deepEqual(good.epochs.map((epoch) => [epoch.attempt, epoch.epoch]), [
        [1, 1],
        [1, 2],
      ]);
      assert.deepEqual(good.artifacts.map((artifact) => [artifact.kind, artifact.path]), [['checkpoint', join(options.checkpointRoot!, runs[0]!.key)]]);
      assert.deepEqual(good.memberships, [{ sweep: 'test', study: 'table1', grid: {} }]);

      const bad = (await store.getRunDetail(runs[1]!.key))!;
      assert.equal(bad.run.status, 'failed');
      assert.deepEqual(bad.run.failures.map(({ attempt, exitCode, signal, stderrTail }) => ({ attempt, exitCode, signal, stderrTail })), [
        { attempt: 1, exitCode: null, signal: 'SIGKILL', stderrTail: '' },
        { attempt: 2, exitCode: 3, signal: null, stderrTail: 'midg: error: bad\n' },
      ]);
      assert.equal((await store.getRunDetail(runs[2]!.key))!.memberships[0]!.grid.alpha, 0.5);
      assert.equal((await store.findSweep('test'))!.status, 'failed');
    } finally {
      await store.close();
    }
  });
});
