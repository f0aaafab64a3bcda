import { it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createSweepReporter, describeRun, estimateRemainingMs, formatDuration } from './progress';
import type { SweepCounts, SweepEvent } from './runner';
import { plannedRun } from './testing/fixtures';

const counts = (partial: Partial<SweepCounts>): SweepCounts => ({
  total: 10,
  done: 0,
  failed: 0,
  running: 0,
  left: 10,
  workers: 2,
  meanAttemptMs: undefined,
  ...partial,
});

function capture(tty: boolean): { stream: PassThrough & { isTTY?: boolean; columns?: number }; text: () => string } {
  const stream: PassThrough & { isTTY?: boolean; columns?: number } = new PassThrough();
  stream.isTTY = tty;
  stream.columns = 200;
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(String(chunk)));
  return { stream, text: () => chunks.join('') };
}

const run = plannedRun(1111, 'alpha-beta', { alpha: 0.5 });
const events: SweepEvent[] = [
  { kind: 'start', counts: counts({}), alreadyDone: 4, waiting: 0, executor: 'local' },
  { kind: 'note', counts: counts({}), message: 'sbatch: job 12, tasks 0-5%2' },
  { kind: 'started', counts: counts({ running: 1 }), run, attempt: 1 },
  { kind: 'finished', counts: counts({ left: 10 }), run, attempt: 1, outcome: 'retry', durationMs: 1500, reason: 'exit 3: boom' },
  { kind: 'finished', counts: counts({ done: 5, left: 5, meanAttemptMs: 60_000 }), run, attempt: 2, outcome: 'done', durationMs: 61_000 },
  { kind: 'end', counts: counts({ done: 10, left: 0, meanAttemptMs: 60_000 }), status: 'done' },
];

it('formats durations and estimates the time left from the mean attempt time', () => {
  assert.deepEqual([formatDuration(400), formatDuration(45_000), formatDuration(192_000), formatDuration(3_725_000)], ['0s', '45s', '3m 12s', '1h 02m']);
  assert.equal(estimateRemainingMs(counts({})), undefined);
  assert.equal(estimateRemainingMs(counts({ left: 6, meanAttemptMs: 1000 })), 3000);
  assert.equal(estimateRemainingMs(counts({ left: 6, meanAttemptMs: 1000, workers: 100, peakRunning: 3 })), 2000, 'a cluster giving 3 of 100 slots');
  assert.equal(describeRun(run), 'midg synth:mosi:tiny -> synth:mosei:tiny seed 1111 alpha=0.5');
});

it('without a terminal: one plain line per finished attempt', () => {
  const { stream, text } = capture(false);
  const reporter = createSweepReporter(stream);
  for (const event of events) reporter.onEvent(event);
  reporter.stop();
  assert.equal(
    text(),
    '10 runs: 4 already done, 6 to run on 2 workers\n' +
      'sbatch: job 12, tasks 0-5%2\n' +
      '[done 0/10 · running 0 · failed 0 · left 10 · ETA ?] failed, will retry: midg synth:mosi:tiny -> synth:mosei:tiny seed 1111 alpha=0.5 [attempt 1, 2s] (exit 3: boom)\n' +
      '[done 5/10 · running 0 · failed 0 · left 5 · ETA 2m 30s] done: midg synth:mosi:tiny -> synth:mosei:tiny seed 1111 alpha=0.5 [attempt 2, 1m 01s]\n',
  );
});

it('on a terminal: one status line rewritten in place, failures printed above it, erased at the end', () => {
  const previousCi = process.env.CI;
  delete process.env.CI;
  try {
    const { stream, text } = capture(true);
    const reporter = createSweepReporter(stream);
    for (const event of events) reporter.onEvent(event);
    const output = text();
    assert.ok(!output.includes('] done: '), 'finished runs only update the status line');
    const afterFailure = output.split('failed, will retry: ')[1]!;
    assert.ok(afterFailure.startsWith('midg synth:mosi:tiny'));
    assert.ok(output.includes('\r\x1b[2Kdone 5/10 · running 0 · failed 0 · left 5 · ETA 2m 30s'));
    assert.ok(output.endsWith('\r\x1b[2K'), 'the status line is erased at the end');
  } finally {
    if (previousCi !== undefined) process.env.CI = previousCi;
  }
});
