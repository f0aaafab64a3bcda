import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { RunSpec, TrainResult } from '@midg/trainer';
import { MIDG_BIN } from '../../bin-path';
import { plannedRun } from '../testing/fixtures';
import { failureReason } from '../runner';
import type { ExecutorEvent, LaunchContext } from './executor';
import { createLocalExecutor } from './local';
import { RunServerProcess } from './run-server-client';

const FAKE_SERVER = [process.execPath, fileURLToPath(new URL('./testing/fake-run-server.mjs', import.meta.url))];
const tmp = mkdtempSync(join(tmpdir(), 'midg-local-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function context(signal = new AbortController().signal): LaunchContext {
  return { sweep: 'test', signal, savedState: null, saveState: async () => undefined };
}

async function collect(events: AsyncIterable<ExecutorEvent>): Promise<ExecutorEvent[]> {
  const all: ExecutorEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

type Finished = Extract<ExecutorEvent, { kind: 'finished' }>;
const finished = (events: ExecutorEvent[]): Finished[] => events.filter((event): event is Finished => event.kind === 'finished');
const pidOf = (event: Finished): number => (event.outcome.ok ? Number(event.outcome.result.config.pid) : -1);

describe('the local executor with reused worker processes (midg run-server)', () => {
  it('one process per worker trains run after run, each with its epochs before its result', async () => {
    const runs = [1, 1, 1, 1].map((seed, index) => plannedRun(seed, `study-${index}`, { index }));
    const executor = createLocalExecutor({ workers: 2, command: FAKE_SERVER, reuseProcesses: true });
    const events = await collect(executor.launch(runs.map((run) => ({ run, attempt: 1 })), context()));

    const done = finished(events);
    assert.equal(done.length, 4);
    assert.ok(done.every((event) => event.outcome.ok));
    assert.equal(new Set(done.map(pidOf)).size, 2, 'two workers, two processes for four runs');
    for (const run of runs) {
      const mine = events.filter((event) => event.kind !== 'note' && event.key === run.key).map((event) => event.kind);
      assert.deepEqual(mine, ['started', 'epoch', 'epoch', 'finished']);
    }
  });

  it('a failed run retires its process: the next run gets a fresh one, and the failure reads as a one-shot worker failure', async () => {
    const runs = [1, 2, 1, 5, 1].map((seed, index) => plannedRun(seed, `s${index}`, { index }));
    const executor = createLocalExecutor({ workers: 1, command: FAKE_SERVER, reuseProcesses: true });
    const done = finished(await collect(executor.launch(runs.map((run) => ({ run, attempt: 1 })), context())));

    assert.deepEqual(done.map((event) => event.outcome.ok), [true, false, true, false, true]);
    const failure = done[1]!.outcome;
    assert.ok(!failure.ok);
    assert.equal(failureReason(failure), 'exit 1: midg: error: boom');
    const noResult = done[3]!.outcome;
    assert.ok(!noResult.ok && /ended without a result line/.test(noResult.stderrTail));
    const [first, , second, , third] = done.map(pidOf);
    assert.ok(first! > 0 && second! > 0 && third! > 0);
    assert.equal(new Set([first, second, third]).size, 3, 'each failure retired the process that had it');
  });

  it('a process left above the memory limit after a run is retired; the next run gets a fresh one', async () => {
    const runs = [1, 6, 1, 1].map((seed, index) => plannedRun(seed, `s${index}`, { index }));
    const executor = createLocalExecutor({ workers: 1, command: FAKE_SERVER, reuseProcesses: true });
    const done = finished(await collect(executor.launch(runs.map((run) => ({ run, attempt: 1 })), context())));

    assert.ok(done.every((event) => event.outcome.ok));
    const [first, big, after, last] = done.map(pidOf);
    assert.equal(first, big, 'under the limit the process is kept');
    assert.notEqual(big, after, 'the run that reported 1 TiB retired its process');
    assert.equal(after, last);
  });

  it('a process that dies under a run fails that run with its signal and stderr; the runs after it go on in a new process', async () => {
    const runs = [1, 3, 1].map((seed, index) => plannedRun(seed, `s${index}`, { index }));
    const executor = createLocalExecutor({ workers: 1, command: FAKE_SERVER, reuseProcesses: true });
    const done = finished(await collect(executor.launch(runs.map((run) => ({ run, attempt: 1 })), context())));

    const killed = done[1]!.outcome;
    assert.ok(!killed.ok);
    assert.equal(killed.signal, 'SIGKILL');
    assert.match(killed.stderrTail, /about to die/);
    assert.equal(failureReason(killed), 'killed by SIGKILL: about to die');
    assert.ok(done[2]!.outcome.ok);
    assert.notEqual(pidOf(done[0]!), pidOf(done[2]!));
  });

  it('an interrupt kills the processes and ends the launch without a finished event for the stopped runs', async () => {
    const runs = [4, 4].map((seed, index) => plannedRun(seed, `s${index}`, { index }));
    const stop = new AbortController();
    const executor = createLocalExecutor({ workers: 2, command: FAKE_SERVER, reuseProcesses: true });
    const events: ExecutorEvent[] = [];
    for await (const event of executor.launch(runs.map((run) => ({ run, attempt: 1 })), context(stop.signal))) {
      events.push(event);
      if (events.filter((candidate) => candidate.kind === 'started').length === 2) stop.abort();
    }
    assert.deepEqual(events.map((event) => event.kind), ['started', 'started']);
  });

  it('a server that cannot start fails the run with the reason', async () => {
    const executor = createLocalExecutor({ workers: 1, command: [join(tmp, 'no-such-program')], reuseProcesses: true });
    const [event] = finished(await collect(executor.launch([{ run: plannedRun(1), attempt: 1 }], context())));
    assert.ok(event && !event.outcome.ok);
    assert.match(event.outcome.stderrTail, /ENOENT|no-such-program/);
  });
});

describe('midg run-server', () => {
  it('a run served after another run gives exactly what `midg train` gives it in a fresh process', async () => {
    const spec = (model: string, seed: number): string => {
      const file = join(tmp, `${model}-${seed}.json`);
      const runSpec: RunSpec = { model, source: 'synth:mosi:tiny', target: 'synth:sims:tiny', seed, backend: 'wasm', overrides: { epochs: 1, maxTrainSamples: 32 } };
      writeFileSync(file, JSON.stringify(runSpec));
      return file;
    };
    const command = [process.execPath, MIDG_BIN];
    const server = new RunServerProcess(command, new AbortController().signal);
    const served: TrainResult[] = [];
    for (const file of [spec('late-fusion', 5), spec('midg', 6)]) {
      const outcome = await server.run({ runSpecFile: file, onEpoch: () => undefined });
      assert.ok(outcome.ok, outcome.ok ? '' : outcome.stderrTail);
      served.push(outcome.result);
    }
    await server.close();
    assert.ok(!server.alive);

    const fresh = await execa(process.execPath, [MIDG_BIN, 'train', '--run-spec', spec('midg', 6), '--json']);
    const alone = JSON.parse(fresh.stdout.trim().split('\n').pop()!) as TrainResult;
    assert.equal(served[1]!.key, alone.key);
    assert.deepEqual(served[1]!.test, alone.test);
    assert.deepEqual(served[1]!.valid, alone.valid);
  });
});
