/**
 * `midg run-server`: the worker side of the local executor's long-lived processes. It reads one request per stdin
 * line, runs it exactly as `midg train` would (the same command module, in this process), and ends each with a
 * run-end line on stdout (run-server-protocol.ts). Module loading, tsx's transpilation and the backend's
 * initialisation are paid once per process instead of once per run. Exits when stdin ends.
 */
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import yargs from 'yargs';
import { trainCommand } from '../../commands/train';
import '../../models';
import { STDERR_TAIL_CHARS } from '../worker';
import { parseRunRequest, type RunEnd } from './run-server-protocol';

/**
 * Starts the kernel's peak-RSS counter afresh (Linux: `5` to /proc/self/clear_refs), so that the peak resident set
 * size a run reports is its own, not that of an earlier run in this process. Elsewhere it stays the process's peak.
 */
function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Not Linux, or not allowed: the peak stays the process's.
  }
}

/** Runs `fn` while keeping the last STDERR_TAIL_CHARS characters written to stderr (still passed through). */
async function withStderrTail(fn: () => Promise<void>): Promise<string> {
  const write = process.stderr.write;
  let tail = '';
  process.stderr.write = function (this: NodeJS.WriteStream, chunk: string | Uint8Array, ...rest: unknown[]) {
    tail = (tail + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))).slice(-STDERR_TAIL_CHARS);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return tail;
}

/** One request: `midg train` with its arguments, its exit code taken from where `midg train` leaves it. */
async function serveOne(line: string): Promise<RunEnd> {
  resetPeakRss();
  process.exitCode = undefined;
  const stderrTail = await withStderrTail(async () => {
    try {
      const { argv } = parseRunRequest(line);
      await yargs()
        .scriptName('midg')
        .command(trainCommand)
        .strict()
        .exitProcess(false)
        .fail((message, error) => {
          throw error ?? new Error(message);
        })
        .parseAsync(argv);
    } catch (error) {
      // What the CLI's own failure handler prints for bad arguments; the train command reports its errors itself.
      process.stderr.write(`midg: error: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}\n`);
      process.exitCode = 1;
    }
  });
  const exitCode = typeof process.exitCode === 'number' ? process.exitCode : 0;
  process.exitCode = undefined;
  return { event: 'run-end', exitCode, stderrTail };
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === '') continue;
  process.stdout.write(`${JSON.stringify(await serveOne(line))}\n`);
}
// Nothing the runs left behind (a timer, a handle) may keep a finished server alive.
process.exit(0);
