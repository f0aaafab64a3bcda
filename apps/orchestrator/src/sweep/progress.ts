import type { PlannedRun } from './expand';
import type { SweepCounts, SweepEvent } from './runner';

export interface SweepReporter {
  onEvent(event: SweepEvent): void;
  /** Leaves the terminal clean (the status line erased). */
  stop(): void;
}

/** `3m 12s`, `45s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** Remaining time: mean attempt time × runs left ÷ runs at once (the most seen running so far, at most the workers). */
export function estimateRemainingMs(counts: SweepCounts): number | undefined {
  if (counts.meanAttemptMs === undefined) return undefined;
  const atOnce = counts.peakRunning ? Math.min(counts.workers, counts.peakRunning) : counts.workers;
  return (counts.meanAttemptMs * counts.left) / Math.max(1, atOnce);
}

/** `midg synth:mosi:tiny -> synth:mosei:tiny seed 1111 alpha=0.05 beta=1`: the run and what its studies vary. */
export function describeRun(run: PlannedRun): string {
  const varied = new Set([...run.memberships.flatMap((membership) => Object.keys(membership.grid)), 'ablation', 'modalities']);
  const settings = Object.entries(run.spec.overrides)
    .filter(([key]) => varied.has(key))
    .map(([key, value]) => `${key}=${String(value)}`);
  return [`${run.spec.model} ${run.spec.source} -> ${run.spec.target} seed ${run.spec.seed}`, ...settings].join(' ');
}

export function formatCounts(counts: SweepCounts): string {
  const eta = estimateRemainingMs(counts);
  return (
    `done ${counts.done}/${counts.total} · running ${counts.running} · failed ${counts.failed} · left ${counts.left}` +
    ` · ETA ${eta === undefined ? '?' : formatDuration(eta)}`
  );
}

function finishedLine(event: Extract<SweepEvent, { kind: 'finished' }>): string {
  const what = { done: 'done', retry: 'failed, will retry', failed: 'FAILED' }[event.outcome];
  const why = event.reason ? ` (${event.reason})` : '';
  return `${what}: ${describeRun(event.run)} [attempt ${event.attempt}, ${formatDuration(event.durationMs)}]${why}`;
}

function startLine(event: Extract<SweepEvent, { kind: 'start' }>): string {
  const toRun = event.counts.total - event.alreadyDone - event.waiting;
  const slots = Math.min(event.counts.workers, toRun);
  const plan =
    toRun === 0
      ? 'nothing to run'
      : event.executor === 'slurm'
        ? `${toRun} to run as Slurm array tasks, ${slots} at a time`
        : `${toRun} to run on ${slots} workers`;
  const waiting = event.waiting > 0 ? `, ${event.waiting} running in another sweep (waited for)` : '';
  return `${event.counts.total} runs: ${event.alreadyDone} already done, ${plan}${waiting}`;
}

/**
 * On a terminal: one status line rewritten in place, with failures printed above it. Elsewhere (CI, pipes, files):
 * one plain line per finished attempt, each with the counts.
 */
export function createSweepReporter(out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }): SweepReporter {
  const tty = Boolean(out.isTTY) && !process.env.CI;
  let statusShown = false;
  const clear = (): void => {
    if (statusShown) out.write('\r\x1b[2K');
    statusShown = false;
  };
  const status = (counts: SweepCounts): void => {
    clear();
    out.write(formatCounts(counts).slice(0, Math.max(20, (out.columns || 120) - 1)));
    statusShown = true;
  };
  return {
    onEvent(event) {
      if (event.kind === 'start') {
        out.write(`${startLine(event)}\n`);
      } else if (event.kind === 'note') {
        clear();
        out.write(`${event.message}\n`);
        if (tty) status(event.counts);
      } else if (!tty) {
        if (event.kind === 'finished') out.write(`[${formatCounts(event.counts)}] ${finishedLine(event)}\n`);
      } else {
        if (event.kind === 'finished' && event.outcome !== 'done') {
          clear();
          out.write(`${finishedLine(event)}\n`);
        }
        if (event.kind === 'end') clear();
        else status(event.counts);
      }
    },
    stop: clear,
  };
}
