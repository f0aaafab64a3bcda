// The protocol between the local executor and a long-lived worker process (`midg run-server`): one request per
// stdin line, the arguments a one-shot worker gets after `train`; the worker answers on stdout with the same epoch
// and result lines `midg train --json --events` prints, then one run-end line. Lines that are none of these are not
// ours and are ignored, as with one-shot workers.

/** The hidden `midg` command that serves runs (bin/midg.js dispatches it before the CLI is loaded). */
export const RUN_SERVER_COMMAND = 'run-server';

export interface RunRequest {
  /** `train --run-spec <file> --json --events [...]`: what `midg train` would be started with. */
  argv: string[];
}

export interface RunEnd {
  event: 'run-end';
  /** What `midg train` would have exited with (0, or 1 after `midg: error: ...`). */
  exitCode: number;
  /** The end of what the run wrote to stderr; complete when this line is read, unlike the stderr pipe. */
  stderrTail: string;
}

export function formatRunRequest(request: RunRequest): string {
  return `${JSON.stringify(request)}\n`;
}

/** A request line; an error naming the problem when the line is not one. */
export function parseRunRequest(line: string): RunRequest {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    throw new Error(`run-server: a request must be one JSON line {"argv": ["train", ...]}, got ${line.slice(0, 80)}`);
  }
  const argv = (message as { argv?: unknown } | null)?.argv;
  if (!Array.isArray(argv) || argv[0] !== 'train' || !argv.every((part) => typeof part === 'string')) {
    throw new Error(`run-server: a request's argv must be a list of strings starting with "train", got ${line.slice(0, 80)}`);
  }
  return { argv: argv as string[] };
}

/** The run-end line of the protocol, or undefined for any other line. */
export function parseRunEnd(line: string): RunEnd | undefined {
  if (!line.startsWith('{"event":"run-end"')) return undefined;
  try {
    const message = JSON.parse(line) as Partial<RunEnd>;
    if (typeof message.exitCode !== 'number' || typeof message.stderrTail !== 'string') return undefined;
    return { event: 'run-end', exitCode: message.exitCode, stderrTail: message.stderrTail };
  } catch {
    return undefined;
  }
}
