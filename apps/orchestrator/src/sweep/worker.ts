import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import type { EpochEvent, TrainResult } from '@midg/trainer';

/** How much of a failed worker's stderr is kept: enough for a stack trace's top, not a whole log. */
export const STDERR_TAIL_CHARS = 2048;
/** A worker asked to stop gets this long after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2000;

export interface WorkerLaunch {
  /** The program and leading arguments, e.g. [node, apps/orchestrator/bin/midg.js]; `train ...` is appended. */
  command: readonly string[];
  runSpecFile: string;
  checkpointDir?: string;
  datasets?: string;
  /** Aborting kills the worker (SIGTERM, then SIGKILL). */
  cancelSignal: AbortSignal;
  onEpoch(event: EpochEvent): void;
}

export type WorkerOutcome =
  | { ok: true; result: TrainResult; durationMs: number }
  | { ok: false; exitCode: number | null; signal: string | null; stderrTail: string; durationMs: number };

/** An EpochEvent or TrainResult line of the worker protocol; anything else on stdout is not ours and is ignored. */
export function parseProtocolLine(line: string): EpochEvent | TrainResult | undefined {
  if (!line.startsWith('{')) return undefined;
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!message || typeof message !== 'object') return undefined;
  const { event } = message as { event?: unknown };
  if (event === 'epoch' && typeof (message as EpochEvent).epoch === 'number') return message as EpochEvent;
  if (event === 'result' && typeof (message as TrainResult).test === 'object' && typeof (message as TrainResult).config === 'object') {
    return message as TrainResult;
  }
  return undefined;
}

export function workerArguments(launch: Pick<WorkerLaunch, 'runSpecFile' | 'checkpointDir' | 'datasets'>): string[] {
  return [
    'train',
    '--run-spec',
    launch.runSpecFile,
    '--json',
    '--events',
    ...(launch.checkpointDir ? ['--checkpoint-dir', launch.checkpointDir] : []),
    ...(launch.datasets ? ['--datasets', launch.datasets] : []),
  ];
}

/**
 * Runs one training in its own process and reads its stdout as it arrives. Never throws: a worker that exits
 * non-zero, dies by a signal, cannot start, or exits 0 without a result line is a failed outcome.
 */
export async function runWorker(launch: WorkerLaunch): Promise<WorkerOutcome> {
  const started = performance.now();
  const [program, ...leading] = launch.command;
  const subprocess = execa(program!, [...leading, ...workerArguments(launch)], {
    reject: false,
    buffer: false,
    stdin: 'ignore',
    // Its own process group: a Ctrl-C on the terminal reaches only the sweep, which then stops the workers itself,
    // so a worker dying of that SIGINT is never mistaken for a failed run.
    detached: true,
    cancelSignal: launch.cancelSignal,
    forceKillAfterDelay: KILL_GRACE_MS,
  });
  let stderrTail = '';
  subprocess.stderr.setEncoding('utf8');
  subprocess.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  let result: TrainResult | undefined;
  const lines = createInterface({ input: subprocess.stdout, crlfDelay: Infinity });
  lines.on('line', (line) => {
    const message = parseProtocolLine(line);
    if (message?.event === 'epoch') launch.onEpoch(message);
    else if (message?.event === 'result') result = message;
  });
  const [exit] = await Promise.all([subprocess, once(lines, 'close')]);
  const durationMs = performance.now() - started;
  if (exit.exitCode === 0 && result) return { ok: true, result, durationMs };
  if (exit.exitCode === undefined && exit.signal === undefined) stderrTail += `${stderrTail ? '\n' : ''}${exit.shortMessage}`;
  else if (exit.exitCode === 0) stderrTail += `${stderrTail ? '\n' : ''}worker exited 0 without a result line on stdout`;
  return { ok: false, exitCode: exit.exitCode ?? null, signal: exit.signal ?? null, stderrTail: stderrTail.slice(-STDERR_TAIL_CHARS), durationMs };
}
