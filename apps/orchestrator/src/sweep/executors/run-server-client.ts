import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import type { TrainResult } from '@midg/trainer';
import { parseProtocolLine, STDERR_TAIL_CHARS, workerArguments, type WorkerLaunch, type WorkerOutcome } from '../worker';
import { formatRunRequest, parseRunEnd, RUN_SERVER_COMMAND } from './run-server-protocol';

/** A server asked to stop gets this long after SIGTERM before SIGKILL (as a one-shot worker). */
const KILL_GRACE_MS = 2000;
/** How long a server whose stdin was closed may take to finish before it is killed. */
const CLOSE_GRACE_MS = 10_000;

/** One run as the local executor hands it over: a one-shot worker's launch without the command and signal. */
export type ServedLaunch = Omit<WorkerLaunch, 'command' | 'cancelSignal'>;

interface InFlight {
  onEpoch: ServedLaunch['onEpoch'];
  started: number;
  result?: TrainResult;
  stderrTail: string;
  settle(outcome: WorkerOutcome): void;
}

/**
 * A long-lived `midg run-server` process that trains one run after another (run-server.ts). Never throws from run():
 * a run that fails is a failed outcome, as is the process dying under it; the caller then starts a fresh process.
 */
export class RunServerProcess {
  private readonly subprocess: ResultPromise;
  private readonly exited: Promise<void>;
  private current: InFlight | undefined;
  private ended = false;
  /** Runs taken so far. */
  runs = 0;

  /** `command` as for a one-shot worker ([node, bin/midg.js]); `run-server` is appended. Aborting kills the process. */
  constructor(command: readonly string[], cancelSignal: AbortSignal) {
    const [program, ...leading] = command;
    this.subprocess = execa(program!, [...leading, RUN_SERVER_COMMAND], {
      reject: false,
      buffer: false,
      stdin: 'pipe',
      // Its own process group, as a one-shot worker: a Ctrl-C reaches only the sweep, which stops its workers itself.
      detached: true,
      cancelSignal,
      forceKillAfterDelay: KILL_GRACE_MS,
    });
    // A request written to a process that just died fails with EPIPE; the exit below reports the run.
    this.subprocess.stdin!.on('error', () => undefined);
    this.subprocess.stderr!.setEncoding('utf8');
    this.subprocess.stderr!.on('data', (chunk: string) => {
      if (this.current) this.current.stderrTail = (this.current.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    const lines = createInterface({ input: this.subprocess.stdout!, crlfDelay: Infinity });
    lines.on('line', (line) => this.onLine(line));
    this.exited = Promise.all([this.subprocess, once(lines, 'close')]).then(([exit]) => {
      this.ended = true;
      const run = this.current;
      if (!run) return;
      let { stderrTail } = run;
      if (exit.exitCode === undefined && exit.signal === undefined) stderrTail += `${stderrTail ? '\n' : ''}${exit.shortMessage}`;
      else if (exit.exitCode === 0) stderrTail += `${stderrTail ? '\n' : ''}the worker process exited 0 before the run ended`;
      run.settle({ ok: false, exitCode: exit.exitCode ?? null, signal: exit.signal ?? null, stderrTail: stderrTail.slice(-STDERR_TAIL_CHARS), durationMs: performance.now() - run.started });
    });
  }

  /** False once the process has exited (or could not start): it takes no more runs. */
  get alive(): boolean {
    return !this.ended;
  }

  private onLine(line: string): void {
    const run = this.current;
    if (!run) return;
    const end = parseRunEnd(line);
    if (end) {
      const durationMs = performance.now() - run.started;
      if (end.exitCode === 0 && run.result) {
        run.settle({ ok: true, result: run.result, durationMs });
        return;
      }
      const stderrTail = end.exitCode === 0 ? `${end.stderrTail}${end.stderrTail ? '\n' : ''}the run ended without a result line on stdout` : end.stderrTail;
      run.settle({ ok: false, exitCode: end.exitCode, signal: null, stderrTail: stderrTail.slice(-STDERR_TAIL_CHARS), durationMs });
      return;
    }
    const message = parseProtocolLine(line);
    if (message?.event === 'epoch') run.onEpoch(message);
    else if (message?.event === 'result') run.result = message;
  }

  /** Trains one run in this process; one at a time. */
  run(launch: ServedLaunch): Promise<WorkerOutcome> {
    if (this.current) throw new Error('a run server takes one run at a time');
    this.runs += 1;
    return new Promise<WorkerOutcome>((resolve) => {
      this.current = {
        onEpoch: launch.onEpoch,
        started: performance.now(),
        stderrTail: '',
        settle: (outcome) => {
          this.current = undefined;
          resolve(outcome);
        },
      };
      if (this.ended) {
        this.current.settle({ ok: false, exitCode: null, signal: null, stderrTail: 'the worker process had exited before the run was sent', durationMs: 0 });
        return;
      }
      this.subprocess.stdin!.write(formatRunRequest({ argv: workerArguments(launch) }));
    });
  }

  /** Lets the process finish: closes its stdin and waits for it to exit (killing it if it does not). */
  async close(): Promise<void> {
    this.subprocess.stdin!.end();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), CLOSE_GRACE_MS);
    });
    if ((await Promise.race([this.exited, late])) === 'late') this.subprocess.kill();
    clearTimeout(timer);
    await this.exited;
  }
}
