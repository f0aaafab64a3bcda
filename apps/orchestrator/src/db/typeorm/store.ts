import type { DataSource } from 'typeorm';
import type { EpochEvent, TrainResult } from '@midg/trainer';
import type { RunDetail, RunFailure, RunFilter, RunHostInfo, RunRecord, SqlResult, SweepMember, SweepOwner, SweepRecord, SweepStatus } from '../records';
import { SWEEP_LEASE_MS, type NewRun, type ResultsStore, type RunMerge, type RunState, type StartedSweep, type SweepStart } from '../store';
import type { Entities } from './entities';
import * as reader from './reader';
import * as writer from './writer';
import type { Tx } from './writer';

/**
 * A results store on a TypeORM connection: the writer and reader sides are shared by the dialects, which differ in
 * how they connect, migrate, isolate a write transaction and run read-only SQL (sqlite/, postgres/).
 */
export abstract class TypeormStore implements ResultsStore {
  protected constructor(
    protected readonly dataSource: DataSource,
    protected readonly entities: Entities,
    readonly location: string,
    protected readonly readonly: boolean,
  ) {}

  get file(): string {
    return this.location;
  }

  /** Runs body as one write transaction. */
  protected abstract transaction<T>(body: (tx: Tx) => Promise<T>): Promise<T>;
  abstract sql(statement: string): Promise<SqlResult>;
  abstract appliedMigrations(): Promise<string[]>;

  private write<T>(body: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.readonly) return Promise.reject(new Error(`results store ${this.location} is open read-only`));
    return this.transaction(body);
  }

  protected get rx(): reader.Rx {
    return { manager: this.dataSource.manager, entities: this.entities };
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  // ---- writer ----

  startSweep(input: SweepStart): Promise<StartedSweep> {
    return this.write((tx) => writer.startSweep(tx, input));
  }
  heartbeat(sweepId: number, owner: SweepOwner): Promise<void> {
    return this.write((tx) => writer.heartbeat(tx, sweepId, owner));
  }
  saveExecutorState(sweepId: number, state: unknown): Promise<void> {
    return this.write((tx) => writer.saveExecutorState(tx, sweepId, state));
  }
  finishSweep(sweepId: number, status: Exclude<SweepStatus, 'running'>): Promise<void> {
    return this.write((tx) => writer.finishSweep(tx, sweepId, status));
  }
  ensureRun(sweepId: number, run: NewRun): Promise<RunState> {
    return this.write((tx) => writer.ensureRun(tx, sweepId, run));
  }
  claimRuns(sweepId: number, runIds: readonly number[], options: { leaseMs?: number } = {}): Promise<number[]> {
    return this.write((tx) => writer.claimRuns(tx, sweepId, runIds, options.leaseMs ?? SWEEP_LEASE_MS));
  }
  runStates(runIds: readonly number[]): Promise<RunState[]> {
    return writer.runStates({ manager: this.dataSource.manager, entities: this.entities }, runIds);
  }
  markRunning(runId: number, attempt: number, info: RunHostInfo): Promise<void> {
    return this.write((tx) => writer.markRunning(tx, runId, attempt, info));
  }
  recordEpoch(runId: number, event: EpochEvent): Promise<void> {
    return this.write((tx) => writer.recordEpoch(tx, runId, event));
  }
  completeRun(runId: number, result: TrainResult): Promise<void> {
    return this.write((tx) => writer.completeRun(tx, runId, result));
  }
  failRun(runId: number, failure: RunFailure): Promise<void> {
    return this.write((tx) => writer.failRun(tx, runId, failure));
  }
  releaseRuns(sweepId: number): Promise<number> {
    return this.write((tx) => writer.releaseRuns(tx, sweepId));
  }
  mergeSweep(sweep: SweepRecord): Promise<'inserted' | 'unchanged'> {
    return this.write((tx) => writer.mergeSweep(tx, sweep));
  }
  mergeRun(detail: RunDetail): Promise<RunMerge> {
    return this.write((tx) => writer.mergeRun(tx, detail));
  }

  // ---- reader ----

  listSweeps(): Promise<SweepRecord[]> {
    return reader.listSweeps(this.rx);
  }
  findSweep(name?: string): Promise<SweepRecord | undefined> {
    return reader.findSweep(this.rx, name);
  }
  sweepMembers(sweepId: number): Promise<SweepMember[]> {
    return reader.sweepMembers(this.rx, sweepId);
  }
  findRuns(filter?: RunFilter): Promise<RunRecord[]> {
    return reader.findRuns(this.rx, filter);
  }
  getRunDetail(ref: string): Promise<RunDetail | undefined> {
    return reader.getRunDetail(this.rx, ref);
  }
  exportRuns(): AsyncIterable<RunDetail> {
    return reader.exportRuns(this.rx);
  }
}
