import type { ConfigRecord, ConfigValue, EpochEvent, RunSpec, TrainResult } from '@midg/trainer';
import type { RunFailure, RunHostInfo, RunStatus } from '../../db';
import type { SweepStore } from '../runner';

export interface MemoryRun {
  id: number;
  key: string;
  spec: RunSpec;
  status: RunStatus;
  attempts: number;
  links: { sweepId: number; study: string; grid: Record<string, ConfigValue> }[];
  epochs: EpochEvent[];
  result?: TrainResult;
  failures: RunFailure[];
}

/** The sweep's store contract kept in memory, with every call logged in order: for the runner's unit tests. */
export class MemoryStore implements SweepStore {
  readonly sweeps = new Map<number, { name: string; status: string }>();
  readonly runs = new Map<number, MemoryRun>();
  readonly calls: string[] = [];

  async startSweep(input: { name: string; specPath: string; spec: unknown }): Promise<{ id: number; name: string }> {
    this.calls.push(`startSweep ${input.name}`);
    const existing = [...this.sweeps.entries()].find(([, sweep]) => sweep.name === input.name);
    const id = existing?.[0] ?? this.sweeps.size + 1;
    this.sweeps.set(id, { name: input.name, status: 'running' });
    return { id, name: input.name };
  }

  async finishSweep(sweepId: number, status: 'done' | 'failed' | 'interrupted'): Promise<void> {
    this.calls.push(`finishSweep ${status}`);
    this.sweeps.get(sweepId)!.status = status;
  }

  async ensureRun(
    sweepId: number,
    run: { key: string; spec: RunSpec; config: ConfigRecord; study: string; grid: Record<string, ConfigValue> },
  ): Promise<{ id: number; status: RunStatus; attempts: number }> {
    let stored = [...this.runs.values()].find((candidate) => candidate.key === run.key);
    if (!stored) {
      stored = { id: this.runs.size + 1, key: run.key, spec: run.spec, status: 'pending', attempts: 0, links: [], epochs: [], failures: [] };
      this.runs.set(stored.id, stored);
    }
    if (!stored.links.some((link) => link.sweepId === sweepId && link.study === run.study)) stored.links.push({ sweepId, study: run.study, grid: run.grid });
    return { id: stored.id, status: stored.status, attempts: stored.attempts };
  }

  async markRunning(runId: number, attempt: number, _info: RunHostInfo): Promise<void> {
    this.calls.push(`markRunning ${runId} ${attempt}`);
    Object.assign(this.runs.get(runId)!, { status: 'running', attempts: attempt });
  }

  async recordEpoch(runId: number, event: EpochEvent): Promise<void> {
    this.calls.push(`recordEpoch ${runId} ${event.epoch}`);
    this.runs.get(runId)!.epochs.push(event);
  }

  async completeRun(runId: number, result: TrainResult): Promise<void> {
    this.calls.push(`completeRun ${runId}`);
    Object.assign(this.runs.get(runId)!, { status: 'done', result });
  }

  async failRun(runId: number, failure: RunFailure): Promise<void> {
    this.calls.push(`failRun ${runId} ${failure.attempt}${failure.final ? ' final' : ''}`);
    const run = this.runs.get(runId)!;
    run.failures.push(failure);
    Object.assign(run, { status: failure.final ? 'failed' : 'pending', attempts: failure.attempt });
  }

  async resetInterruptedRuns(sweepId: number): Promise<number> {
    this.calls.push('resetInterruptedRuns');
    const interrupted = [...this.runs.values()].filter((run) => run.status === 'running' && run.links.some((link) => link.sweepId === sweepId));
    for (const run of interrupted) run.status = 'pending';
    return interrupted.length;
  }
}
