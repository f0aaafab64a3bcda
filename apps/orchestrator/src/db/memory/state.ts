import type { ConfigValue } from '@midg/trainer';
import type { ArtifactRecord, EpochLogRecord, RunRecord, SweepOwner, SweepRecord } from '../records';
import type { RunState } from '../store';

export interface MemorySweep extends SweepRecord {
  owner: SweepOwner | null;
  heartbeatAt: Date | null;
  executorState: unknown;
}

export interface MemoryRun extends RunRecord {
  claimedBy: number | null;
}

export interface Link {
  sweepId: number;
  runId: number;
  study: string;
  grid: Record<string, ConfigValue>;
}

export const clone = <T>(value: T): T => structuredClone(value);

/** The in-memory store's data, and the look-ups both its writer and its reader use. */
export class MemoryState {
  protected readonly sweeps: MemorySweep[] = [];
  protected readonly runs: MemoryRun[] = [];
  protected readonly links: Link[] = [];
  protected readonly epochs = new Map<number, EpochLogRecord[]>();
  protected readonly artifacts = new Map<number, ArtifactRecord[]>();

  protected sweep(id: number): MemorySweep {
    const sweep = this.sweeps.find((candidate) => candidate.id === id);
    if (!sweep) throw new Error(`no sweep with id ${id}`);
    return sweep;
  }

  protected run(id: number): MemoryRun {
    const run = this.runs.find((candidate) => candidate.id === id);
    if (!run) throw new Error(`no run with id ${id}`);
    return run;
  }

  protected state(run: MemoryRun): RunState {
    return { id: run.id, key: run.key, status: run.status, attempts: run.attempts, claimedBy: run.claimedBy };
  }
}
