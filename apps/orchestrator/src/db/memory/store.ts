import { matchesWhere, type RunDetail, type RunFilter, type RunRecord, type SqlResult, type SweepMember, type SweepRecord } from '../records';
import type { ResultsStore } from '../store';
import { clone, type MemoryRun, type MemorySweep } from './state';
import { MemoryWriter } from './writer';

/**
 * The results store in this process's memory: for tests, and for trying a sweep without a file. Every method runs
 * to completion without yielding, so each is atomic; records go in and out as copies.
 */
export class MemoryStore extends MemoryWriter implements ResultsStore {
  readonly location = ':memory:';

  get file(): string {
    return this.location;
  }

  // ---- reader ----

  private record(run: MemoryRun): RunRecord {
    const { claimedBy: _claimedBy, ...record } = clone(run);
    return record;
  }

  private sweepRecord(sweep: MemorySweep): SweepRecord {
    const { owner: _owner, heartbeatAt: _heartbeatAt, executorState: _state, ...record } = clone(sweep);
    return record;
  }

  async listSweeps(): Promise<SweepRecord[]> {
    return [...this.sweeps].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || b.id - a.id).map((sweep) => this.sweepRecord(sweep));
  }

  async findSweep(name?: string): Promise<SweepRecord | undefined> {
    if (name === undefined) return (await this.listSweeps())[0];
    const sweep = this.sweeps.find((candidate) => candidate.name === name);
    return sweep && this.sweepRecord(sweep);
  }

  async sweepMembers(sweepId: number): Promise<SweepMember[]> {
    return this.links
      .filter((link) => link.sweepId === sweepId)
      .sort((a, b) => a.runId - b.runId)
      .map((link) => ({ run: this.record(this.run(link.runId)), study: link.study, grid: clone(link.grid) }));
  }

  async findRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const sweepId = filter.sweep === undefined ? undefined : this.sweeps.find((sweep) => sweep.name === filter.sweep)?.id ?? -1;
    return this.runs
      .filter((run) => (['model', 'source', 'target', 'seed', 'status'] as const).every((column) => filter[column] === undefined || run[column] === filter[column]))
      .filter(
        (run) =>
          (sweepId === undefined && filter.study === undefined) ||
          this.links.some((link) => link.runId === run.id && (sweepId === undefined || link.sweepId === sweepId) && (filter.study === undefined || link.study === filter.study)),
      )
      .filter((run) => matchesWhere(run.config, filter.where))
      .map((run) => this.record(run));
  }

  private detail(run: MemoryRun): RunDetail {
    return {
      run: this.record(run),
      memberships: this.links
        .filter((link) => link.runId === run.id)
        .map((link) => ({ sweep: this.sweep(link.sweepId).name, study: link.study, grid: clone(link.grid) })),
      epochs: clone(this.epochs.get(run.id) ?? []),
      artifacts: clone(this.artifacts.get(run.id) ?? []),
    };
  }

  async getRunDetail(ref: string): Promise<RunDetail | undefined> {
    const text = ref.trim();
    const run =
      (/^\d+$/.test(text) ? this.runs.find((candidate) => candidate.id === Number(text)) : undefined) ??
      this.runs.find((candidate) => candidate.key === text) ??
      (() => {
        if (text.length < 4 || !/^[0-9a-f]+$/i.test(text)) return undefined;
        const matches = this.runs.filter((candidate) => candidate.key.startsWith(text.toLowerCase()));
        if (matches.length > 1) throw new Error(`run key prefix "${text}" is ambiguous; give more characters`);
        return matches[0];
      })();
    return run && this.detail(run);
  }

  async *exportRuns(): AsyncIterable<RunDetail> {
    for (const run of [...this.runs]) yield this.detail(run);
  }

  async sql(): Promise<SqlResult> {
    throw new Error('--sql needs an SQLite or PostgreSQL database; this store is in memory');
  }

  async appliedMigrations(): Promise<string[]> {
    return [];
  }

  async close(): Promise<void> {}
}
