import { existsSync, openSync, readdirSync, readFileSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { EpochEvent, TrainResult } from '@midg/trainer';
import type { SlurmResources } from '../../spec';
import { STDERR_TAIL_CHARS } from '../../worker';
import type { ExecutorOutcome } from '../executor';
import { logFile } from './script';
import type { Task } from './types';

/** The highest attempt of key with a result file in the work dir. */
export function findResult(workDir: string, key: string): { attempt: number; dir: string } | undefined {
  const base = join(workDir, key);
  if (!existsSync(base)) return undefined;
  const attempts = readdirSync(base).filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => b - a);
  for (const attempt of attempts) {
    const dir = join(base, String(attempt));
    if (existsSync(join(dir, 'result.json'))) return { attempt, dir };
  }
  return undefined;
}

export function readResult(dir: string, key: string): TrainResult | undefined {
  try {
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as TrainResult;
    if (result.event !== 'result' || typeof result.test !== 'object') return undefined;
    if (result.key !== undefined && result.key !== key) return undefined;
    return result;
  } catch {
    return undefined;
  }
}

/** Complete lines of events.jsonl after offset; the offset moves past the last newline only. */
export function readEvents(task: Pick<Task, 'dir' | 'offset'>): EpochEvent[] {
  const file = join(task.dir, 'events.jsonl');
  if (!existsSync(file)) return [];
  const size = statSync(file).size;
  if (size <= task.offset) return [];
  const buffer = Buffer.alloc(size - task.offset);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, task.offset);
  } finally {
    closeSync(fd);
  }
  const text = buffer.toString('utf8');
  const end = text.lastIndexOf('\n');
  if (end < 0) return [];
  task.offset += Buffer.byteLength(text.slice(0, end + 1));
  const events: EpochEvent[] = [];
  for (const line of text.slice(0, end).split('\n')) {
    try {
      const event = JSON.parse(line) as EpochEvent;
      if (event.event === 'epoch' && typeof event.epoch === 'number') events.push(event);
    } catch {
      // a torn or foreign line: not an epoch
    }
  }
  return events;
}

function tail(file: string): string {
  if (!existsSync(file)) return '';
  const size = statSync(file).size;
  const length = Math.min(size, STDERR_TAIL_CHARS * 2);
  const buffer = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8').slice(-STDERR_TAIL_CHARS);
}

const EXPLAINED: Record<string, string> = {
  TIMEOUT: 'time limit reached',
  OUT_OF_MEMORY: 'killed for using more memory than it asked for',
  NODE_FAIL: 'its node failed',
  CANCELLED: 'cancelled outside this sweep',
  PREEMPTED: 'preempted',
  BOOT_FAIL: 'its node failed to boot',
  DEADLINE: 'deadline reached',
};

/** The state Slurm's own messages in the task's log point to, when Slurm no longer remembers the task. */
function stateFromLog(log: string): string | undefined {
  if (/DUE TO TIME LIMIT/i.test(log)) return 'TIMEOUT';
  if (/oom[-_ ]kill|out of memory/i.test(log)) return 'OUT_OF_MEMORY';
  if (/DUE TO NODE FAIL/i.test(log)) return 'NODE_FAIL';
  if (/DUE TO PREEMPTION/i.test(log)) return 'PREEMPTED';
  if (/\*\*\* .*CANCELLED AT/i.test(log)) return 'CANCELLED';
  return undefined;
}

/** A task that ended without a result file, as a failed outcome with Slurm's reason. */
export function failure(task: Task, workDir: string, resources: SlurmResources, now: number): Extract<ExecutorOutcome, { ok: false }> {
  const log = tail(logFile(workDir, task.jobId, task.index));
  const end = task.end;
  const state = end && end.state !== 'COMPLETED' && end.state !== 'FAILED' ? end.state : (stateFromLog(log) ?? end?.state);
  const where = `job ${task.jobId}_${task.index}`;
  let reason: string | undefined;
  if (state && EXPLAINED[state]) {
    const limit = state === 'TIMEOUT' && resources.time ? ` (--time ${resources.time})` : state === 'OUT_OF_MEMORY' && resources.mem ? ` (--mem ${resources.mem})` : '';
    reason = `slurm ${state}: ${EXPLAINED[state]}${limit}${end?.reason ? `, ${end.reason}` : ''} [${where}]`;
  } else if (state === 'COMPLETED') {
    reason = `slurm COMPLETED but no result file in ${task.dir} [${where}]`;
  } else if (!state) {
    const lastLine = log.trim().split('\n').pop()?.trim();
    reason = `task ended, Slurm no longer says how: ${lastLine || 'no output'} [${where}]`;
  }
  // Otherwise (FAILED with an exit code) the exit code and the log's last line say it, as for a local worker.
  // Slurm's verdict goes under the log when it is more than the exit code (which the log's last line explains).
  const verdict = state && state !== 'FAILED' ? `slurm: ${where} ${state}${end?.reason ? ` (${end.reason})` : ''}\n` : '';
  const stderrTail = `${log}${log && verdict && !log.endsWith('\n') ? '\n' : ''}${verdict}`.slice(-STDERR_TAIL_CHARS);
  return {
    ok: false,
    exitCode: end?.exitCode ?? null,
    signal: end?.signal ?? null,
    stderrTail,
    durationMs: end?.elapsedMs ?? Math.max(0, now - task.startedAt),
    ...(reason ? { reason } : {}),
  };
}
