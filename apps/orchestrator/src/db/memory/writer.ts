import type { EpochEvent, TrainResult } from '@midg/trainer';
import { anonymousOwner, ownerIsLive } from '../lease';
import { runEvidenceOf, statusRank, type AttemptFailure, type EpochLogRecord, type RunDetail, type RunFailure, type RunHostInfo, type SweepOwner, type SweepRecord, type SweepStatus } from '../records';
import { SweepBusyError, SweepTakenOverError, SWEEP_LEASE_MS, type NewRun, type RunMerge, type RunState, type StartedSweep, type SweepStart } from '../store';
import { clone, MemoryState, type MemorySweep } from './state';

/** The writer side of the in-memory store. */
export class MemoryWriter extends MemoryState {
  // ---- writer ----

  async startSweep(input: SweepStart): Promise<StartedSweep> {
    const owner = input.owner ?? anonymousOwner();
    const now = new Date();
    let sweep = this.sweeps.find((candidate) => candidate.name === input.name);
    if (sweep?.owner && sweep.owner.token !== owner.token && ownerIsLive(sweep, now, input.leaseMs ?? SWEEP_LEASE_MS)) {
      throw new SweepBusyError(input.name, sweep.owner, sweep.heartbeatAt!);
    }
    if (!sweep) {
      sweep = { id: this.sweeps.length + 1, name: input.name, executorState: null } as MemorySweep;
      this.sweeps.push(sweep);
    }
    Object.assign(sweep, {
      specPath: input.specPath,
      spec: clone(input.spec),
      status: 'running',
      startedAt: now,
      finishedAt: null,
      executor: input.executor ?? 'local',
      owner,
      heartbeatAt: now,
    });
    return { id: sweep.id, name: sweep.name, executorState: clone(sweep.executorState) };
  }

  async heartbeat(sweepId: number, owner: SweepOwner): Promise<void> {
    const sweep = this.sweep(sweepId);
    if (sweep.owner?.token !== owner.token) throw new SweepTakenOverError(sweepId);
    sweep.heartbeatAt = new Date();
  }

  async saveExecutorState(sweepId: number, state: unknown): Promise<void> {
    this.sweep(sweepId).executorState = clone(state ?? null);
  }

  async finishSweep(sweepId: number, status: Exclude<SweepStatus, 'running'>): Promise<void> {
    Object.assign(this.sweep(sweepId), { status, finishedAt: new Date() });
  }

  async ensureRun(sweepId: number, input: NewRun): Promise<RunState> {
    let run = this.runs.find((candidate) => candidate.key === input.key);
    if (!run) {
      run = {
        id: this.runs.length + 1,
        key: input.key,
        model: input.spec.model,
        source: input.spec.source,
        target: input.spec.target,
        seed: input.spec.seed,
        config: clone(input.config),
        overrides: clone(input.spec.overrides),
        status: 'pending',
        attempts: 0,
        exitCode: null,
        signal: null,
        stderrTail: null,
        failures: [],
        createdAt: new Date(),
        startedAt: null,
        finishedAt: null,
        durationMs: null,
        backend: null,
        host: null,
        gitCommit: null,
        gitDirty: null,
        packageVersions: null,
        bestEpoch: null,
        epochsRun: null,
        expertUsage: null,
        adaptation: null,
        test: {},
        valid: {},
        testPredictions: null,
        peakRssBytes: null,
        claimedBy: null,
      };
      this.runs.push(run);
    }
    const runId = run.id;
    if (!this.links.some((link) => link.sweepId === sweepId && link.runId === runId && link.study === input.study)) {
      this.links.push({ sweepId, runId, study: input.study, grid: clone(input.grid) });
    }
    return this.state(run);
  }

  async claimRuns(sweepId: number, runIds: readonly number[], options: { leaseMs?: number } = {}): Promise<number[]> {
    const now = new Date();
    const claimed: number[] = [];
    for (const id of [...new Set(runIds)].sort((a, b) => a - b)) {
      const run = this.runs.find((candidate) => candidate.id === id);
      if (!run || run.status === 'done') continue;
      if (run.claimedBy !== null && run.claimedBy !== sweepId) {
        const holder = this.sweeps.find((sweep) => sweep.id === run.claimedBy);
        if (holder && ownerIsLive(holder, now, options.leaseMs ?? SWEEP_LEASE_MS)) continue;
      }
      if (run.status === 'running') run.status = 'pending';
      run.claimedBy = sweepId;
      claimed.push(id);
    }
    return claimed;
  }

  async runStates(runIds: readonly number[]): Promise<RunState[]> {
    return this.runs.filter((run) => runIds.includes(run.id)).map((run) => this.state(run));
  }

  async markRunning(runId: number, attempt: number, info: RunHostInfo): Promise<void> {
    Object.assign(this.run(runId), {
      status: 'running',
      attempts: attempt,
      startedAt: new Date(),
      finishedAt: null,
      exitCode: null,
      signal: null,
      stderrTail: null,
      host: info.host,
      gitCommit: info.gitCommit,
      gitDirty: info.gitDirty,
      packageVersions: clone(info.packageVersions),
    });
  }

  async recordEpoch(runId: number, event: EpochEvent): Promise<void> {
    const run = this.run(runId);
    const log = this.epochs.get(runId) ?? [];
    const entry: EpochLogRecord = {
      attempt: run.attempts,
      epoch: event.epoch,
      maxEpochs: event.maxEpochs,
      losses: clone(event.losses),
      valid: clone(event.valid),
      samplesPerSecond: event.samplesPerSecond,
      learningRate: typeof event.learningRate === 'number' ? event.learningRate : null,
      diagnostics: event.diagnostics ? clone(event.diagnostics) : null,
      createdAt: new Date(),
    };
    const index = log.findIndex((line) => line.attempt === entry.attempt && line.epoch === entry.epoch);
    if (index >= 0) log[index] = entry;
    else log.push(entry);
    log.sort((a, b) => a.attempt - b.attempt || a.epoch - b.epoch);
    this.epochs.set(runId, log);
  }

  async completeRun(runId: number, result: TrainResult): Promise<void> {
    Object.assign(this.run(runId), {
      status: 'done',
      finishedAt: new Date(),
      durationMs: Math.round(result.durationMs),
      backend: result.backend,
      bestEpoch: result.bestEpoch,
      epochsRun: result.epochsRun,
      expertUsage: result.expertUsage ? clone(result.expertUsage) : null,
      adaptation: result.adaptation ? clone(result.adaptation) : null,
      ...clone(runEvidenceOf(result)),
      exitCode: 0,
      signal: null,
      stderrTail: null,
      test: clone(result.test),
      valid: clone(result.valid),
      claimedBy: null,
    });
    if (result.checkpoint) {
      const artifacts = this.artifacts.get(runId) ?? [];
      if (!artifacts.some((artifact) => artifact.kind === 'checkpoint' && artifact.path === result.checkpoint)) {
        artifacts.push({ kind: 'checkpoint', path: result.checkpoint, createdAt: new Date() });
      }
      this.artifacts.set(runId, artifacts);
    }
  }

  async failRun(runId: number, failure: RunFailure): Promise<void> {
    const run = this.run(runId);
    const entry: AttemptFailure = {
      attempt: failure.attempt,
      exitCode: failure.exitCode,
      signal: failure.signal,
      stderrTail: failure.stderrTail,
      durationMs: Math.round(failure.durationMs),
      ...(failure.reason ? { reason: failure.reason } : {}),
      at: new Date().toISOString(),
    };
    Object.assign(run, {
      status: failure.final ? 'failed' : 'pending',
      attempts: failure.attempt,
      exitCode: failure.exitCode,
      signal: failure.signal,
      stderrTail: failure.stderrTail,
      durationMs: Math.round(failure.durationMs),
      finishedAt: new Date(),
      failures: [...run.failures, entry],
      ...(failure.final ? { claimedBy: null } : {}),
    });
  }

  async releaseRuns(sweepId: number): Promise<number> {
    let reset = 0;
    for (const run of this.runs.filter((candidate) => candidate.claimedBy === sweepId)) {
      if (run.status === 'running') {
        run.status = 'pending';
        reset += 1;
      }
      run.claimedBy = null;
    }
    return reset;
  }

  async mergeSweep(sweep: SweepRecord): Promise<'inserted' | 'unchanged'> {
    if (this.sweeps.some((candidate) => candidate.name === sweep.name)) return 'unchanged';
    this.sweeps.push({
      ...clone(sweep),
      id: this.sweeps.length + 1,
      status: sweep.status === 'running' ? 'interrupted' : sweep.status,
      owner: null,
      heartbeatAt: null,
      executorState: null,
    });
    return 'inserted';
  }

  async mergeRun(detail: RunDetail): Promise<RunMerge> {
    const incoming = clone(detail.run);
    let run = this.runs.find((candidate) => candidate.key === incoming.key);
    let outcome: RunMerge['run'] = 'unchanged';
    if (!run || statusRank(incoming.status) > statusRank(run.status)) {
      const fields = { ...incoming, status: incoming.status === 'running' ? ('pending' as const) : incoming.status };
      if (run) {
        Object.assign(run, fields, { id: run.id, claimedBy: run.claimedBy });
        outcome = 'replaced';
      } else {
        run = { ...fields, id: this.runs.length + 1, claimedBy: null };
        this.runs.push(run);
        outcome = 'inserted';
      }
      this.epochs.set(run.id, clone(detail.epochs));
      const artifacts = this.artifacts.get(run.id) ?? [];
      for (const artifact of detail.artifacts) {
        if (!artifacts.some((known) => known.kind === artifact.kind && known.path === artifact.path)) artifacts.push(clone(artifact));
      }
      this.artifacts.set(run.id, artifacts);
    }
    let linksAdded = 0;
    for (const membership of detail.memberships) {
      const sweep = this.sweeps.find((candidate) => candidate.name === membership.sweep);
      if (!sweep) throw new Error(`run ${incoming.key} belongs to sweep ${membership.sweep}, which is not in the target store`);
      const runId = run.id;
      if (this.links.some((link) => link.sweepId === sweep.id && link.runId === runId && link.study === membership.study)) continue;
      this.links.push({ sweepId: sweep.id, runId, study: membership.study, grid: clone(membership.grid) });
      linksAdded += 1;
    }
    return { run: outcome, linksAdded };
  }
}
