import type { EpochEvent, TrainResult } from '@midg/trainer';
import { MemoryStore, type RunFailure, type RunHostInfo } from '../../db';

/** The in-memory results store with every write call logged in order (`markRunning 3 1`, `finishSweep done`). */
export class RecordingStore extends MemoryStore {
  readonly calls: string[] = [];

  override async finishSweep(sweepId: number, status: 'done' | 'failed' | 'interrupted'): Promise<void> {
    this.calls.push(`finishSweep ${status}`);
    return super.finishSweep(sweepId, status);
  }

  override async markRunning(runId: number, attempt: number, info: RunHostInfo): Promise<void> {
    this.calls.push(`markRunning ${runId} ${attempt}`);
    return super.markRunning(runId, attempt, info);
  }

  override async recordEpoch(runId: number, event: EpochEvent): Promise<void> {
    this.calls.push(`recordEpoch ${runId} ${event.epoch}`);
    return super.recordEpoch(runId, event);
  }

  override async completeRun(runId: number, result: TrainResult): Promise<void> {
    this.calls.push(`completeRun ${runId}`);
    return super.completeRun(runId, result);
  }

  override async failRun(runId: number, failure: RunFailure): Promise<void> {
    this.calls.push(`failRun ${runId} ${failure.attempt}${failure.final ? ' final' : ''}`);
    return super.failRun(runId, failure);
  }
}
